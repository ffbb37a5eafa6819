#pragma once
/// The state Kong 2.8's traditional router derives from the whole route set,
/// kept updatable route by route: the routes and their marshalled entries,
/// the compiled patterns, the global "hit" indexes that classify a request,
/// the per-category count tables behind Kong's reduced candidate lists, and
/// one global candidate_set. incremental_router and sharded_router build on
/// it and select exactly what reference_matcher selects.
///
/// Every global fact Kong reads from its sorted route list is kept as an
/// ordered or counted structure instead of a precomputed rank:
///  - header names, wildcard hosts and regex paths: for each value, the set
///    of its occurrences (entry, position) in sort_routes order and a dense
///    id (reused after the value goes), and the values ordered by their
///    first occurrence ("the first header name the request carries", "the
///    first wildcard that matches", "the first regex that matches");
///  - regex path values are also filed in literal groups, one per literal
///    prefix (regex_literal_prefixes()): a group lists its values in
///    first-occurrence order and, from its first use after a change to the
///    group, one alternation of them (regex::alternation(), compiled once
///    per distinct member list process-wide), so one PCRE2 call tells the
///    group's first matching value; a change to a value's first occurrence
///    reorders and invalidates only that value's groups;
///  - plain hosts, methods and SNIs: counted multisets (only presence is
///    read);
///  - prefix paths: the trie of the global candidate_set (longest prefix);
///  - per category (indexed by its rule bits): counted tables of host values,
///    header names, path values, methods and SNIs, i.e. the sizes of Kong's
///    routes_by_* lists;
///  - compiled patterns: reference-counted per entry using them, so a
///    pattern lives exactly as long as some route uses it.
/// Adding or removing a route with d entries costs O(d (log N + |values| +
/// k)) for k entries or values sharing a list or literal group; nothing is
/// rebuilt.
///
/// Choosing the winner (pick()): candidates come as a few lists in
/// precedence order, merged lazily. Kong's hits are computed only as far as
/// the winner needs them (as radix_router does): the literal groups on the
/// path are run first (one alternation each), which settles Kong's uri hit
/// and memoises every regex answer they imply, then candidates are tested,
/// first with the filters copied into their slots (method and plain host
/// bits, memoised regex and wildcard answers), then in full (regex and
/// wildcard answers are computed at most once per request, in flat arrays
/// indexed by value id). The first matching candidate fixes the category (a
/// request that hits nothing at all matches nothing); if the category has a
/// reduced list for the request (the shortest non-empty routes_by_* list
/// for the request's hits, read from the count tables) and that candidate
/// is not in it, the scan goes on through the category for the first
/// matching candidate that is, as Kong tries the reduced list before the
/// whole category. A first candidate that is in every list that could be
/// the reduced one wins without reading the count tables.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/router/candidate_set.hpp"
#include "models/router/literal_trie.hpp"
#include "models/router/marshalled_route.hpp"
#include "models/router/route.hpp"

namespace gwsim::router {

class route_index {
 public:
  /// A route with its marshalled entries (one per path), at a stable address.
  struct record {
    route r;
    std::vector<indexed_entry> entries;
  };

  route_index() = default;
  route_index(const route_index&) = delete;
  route_index& operator=(const route_index&) = delete;
  route_index(route_index&&) = default;
  route_index& operator=(route_index&&) = default;
  ~route_index() = default;

  /// Marshals `r` (compiling its patterns, reusing those already held) into
  /// a record that is not yet indexed. Throws std::invalid_argument exactly
  /// as reference_matcher does for that route (no matching field; a pattern
  /// that does not compile), leaving the index unchanged. The record holds
  /// references to its patterns until release() or remove().
  [[nodiscard]] std::unique_ptr<record> prepare(const route& r);
  /// Drops the pattern references of a prepared record that will not be
  /// inserted.
  void release(std::unique_ptr<record> rec);
  /// Indexes a prepared record; its id must not be held (checked by callers).
  const record& insert(std::unique_ptr<record> rec);
  /// Unindexes and destroys the record of `id`; returns false when absent.
  bool remove(std::uint32_t id);
  /// The record of `id`, or nullptr.
  [[nodiscard]] const record* find(std::uint32_t id) const;

  /// Routes held.
  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
  /// Marshalled entries held (one per route path, at least one per route).
  [[nodiscard]] std::size_t entry_count() const noexcept { return global_.size(); }
  /// Whether some route has a header rule on the lower-cased `name` (the
  /// other request headers cannot change a match and are dropped).
  [[nodiscard]] bool wants_header(const std::string& name) const { return headers_.by_value.contains(name); }

  /// The request context with only the wanted headers.
  [[nodiscard]] match_context context(const request& req) const;
  /// The same into `ctx`, reusing its buffers.
  void context(const request& req, match_context& ctx) const;

  /// The host probe of `ctx` for candidate_set::collect().
  [[nodiscard]] static host_probe probe(const match_context& ctx) noexcept;

  /// Appends the global candidate lists for `ctx`'s path and host (`h` is
  /// probe(ctx)) to `ranges` and returns the longest prefix path of the
  /// whole route set that starts the path (a view into it), or none.
  hit_string collect(const match_context& ctx, const host_probe& h, std::vector<entry_range>& ranges) const {
    return global_.collect(ctx.path, h, ranges);
  }

  /// Kong's choice among the candidates in `ranges` (each in precedence
  /// order; an entry may appear in several) for `ctx`, whose hits it fills
  /// as far as it needs them. `longest` is what collect() returned and `h`
  /// probe(ctx); the overload without them computes them (for candidates
  /// that did not come from collect()).
  [[nodiscard]] const route* pick(const std::vector<entry_range>& ranges, match_context& ctx, hit_string longest,
                                  const host_probe& h) const;
  [[nodiscard]] const route* pick(const std::vector<entry_range>& ranges, match_context& ctx) const;

  /// Estimated heap bytes (byte_estimates.hpp style) of the routes, entries,
  /// patterns (objects and strings only: PCRE2 memory is not visible),
  /// indexes and the global candidate set.
  [[nodiscard]] std::size_t bytes() const;

 private:
  using count_table = string_map<std::size_t>;

  /// An occurrence of a value: entry and position in its host / header / uri
  /// list, ordered as Kong walks its sorted route list.
  struct occurrence {
    const indexed_entry* e = nullptr;
    std::uint32_t pos = 0;
  };
  struct occurrence_less {
    [[nodiscard]] bool operator()(const occurrence& a, const occurrence& b) const noexcept {
      if (a.e != b.e) {
        return sorts_before(a.e->m, *a.e->r, b.e->m, *b.e->r);
      }
      return a.pos < b.pos;
    }
  };
  /// Values ordered by their first occurrence, each with a dense id (ids of
  /// values that went are reused), so a match memoises per-value answers in
  /// flat arrays.
  struct first_index {
    struct value_info {
      std::set<occurrence, occurrence_less> occ;
      std::uint32_t id = 0;
      bool literal_host = false;  ///< wildcard_host_is_literal(value), computed once
    };
    struct first {
      occurrence at;
      const std::string* value = nullptr;  ///< key in by_value
      std::uint32_t id = 0;
    };
    struct first_less {
      [[nodiscard]] bool operator()(const first& a, const first& b) const noexcept {
        return occurrence_less{}(a.at, b.at);
      }
    };
    std::unordered_map<std::string, value_info, string_hash, std::equal_to<>> by_value;
    /// A value with its occurrences (stable while the value is held).
    using value_entry = std::pair<const std::string, value_info>;
    std::set<first, first_less> firsts;
    /// Per id: its value, or null while the id is free.
    std::vector<const std::pair<const std::string, value_info>*> by_id;
    std::vector<std::uint32_t> free_ids;

    void add(std::string_view value, occurrence o);
    void remove(std::string_view value, occurrence o);
    [[nodiscard]] std::size_t bytes() const;
  };
  using value_entry = first_index::value_entry;
  /// The regex path values under one literal prefix, in first-occurrence
  /// order, and their alternation: built on first use after the group
  /// changed (null with one member, or when they cannot be combined).
  struct regex_group {
    std::vector<const value_entry*> members;
    std::vector<std::uint32_t> ids;  ///< the members' ids, read without touching the members
    mutable std::shared_ptr<const regex> alternation;
    mutable std::atomic<bool> ready{false};
  };
  /// Kong's routes_by_* list sizes for one category.
  struct category_counts {
    count_table by_host;
    count_table by_header;
    count_table by_uri;
    count_table by_method;
    count_table by_sni;
  };

  void index(const indexed_entry& e, bool add);
  void index_regex(const indexed_entry& e, std::uint32_t pos, bool add);
  /// Files `v` in (add) or out of the literal groups of its regex.
  void group(const value_entry* v, bool add);
  void retain(const record& rec);

  std::unordered_map<std::uint32_t, std::unique_ptr<record>> records_;
  regex_cache regexes_;
  std::unordered_map<const regex*, std::size_t> regex_refs_;

  first_index headers_;
  first_index wildcard_hosts_;
  first_index regex_uris_;
  /// Regex path values (entries of regex_uris_.by_value) by literal prefix.
  literal_trie<regex_group> regex_groups_;
  count_table plain_hosts_;
  count_table methods_;
  count_table snis_;
  /// Rule bits are within 0x7c: indexed by bits >> 2.
  std::array<category_counts, 32> categories_{};
  candidate_set global_;
};

}  // namespace gwsim::router
