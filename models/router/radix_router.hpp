#pragma once
/// An APISIX-style router (lua-resty-radixtree's design: a radix tree over
/// path prefixes whose nodes carry the routes registered under that prefix)
/// that selects exactly the route Kong 2.8's traditional router selects, i.e.
/// exactly what reference_matcher returns. Kong's precedence is the
/// specification; the tree only replaces Kong's candidate search.
///
/// Build: routes are marshalled and sorted as Kong sorts them (one entry per
/// path) and grouped into Kong's ordered categories. The marshalled entries
/// are then flattened into small records numbered in *rank* order (category
/// position, then position in sort order), so "lower number" is "Kong tries
/// it first"; the marshalled copies are dropped. Every string a record needs
/// (host, method, SNI, header name, path) is interned into a 32-bit id, so
/// matching compares integers; host and SNI strings are views into the owned
/// routes, not copies. Each distinct path value is a key (what Kong's uri
/// hit and routes_by_uri name): prefix paths are keys of a compressed trie,
/// regex paths are gathered in the same trie into literal groups, the
/// regexes sharing a literal prefix (regex_literal_prefixes()), and entries
/// without a path share one extra key. The entries are listed in rank order
/// under each prefix key, under the entries without a path, and under each
/// literal group (the entries of all its regexes), and each list is split by
/// host: an entry with hosts sits in one list per host it names (plain or
/// wildcard), an entry without hosts in the general list. Kong's
/// routes_by_* list sizes per category are kept as counts keyed by (rule,
/// category, value id).
///
/// Match (no heap allocation once the thread's scratch buffers are warm):
///  1. the request's host, method and SNI become ids (hash lookups on views);
///  2. one walk of the path down the trie reaches the prefix keys the path
///     starts with and the literal groups whose literal it starts with; a
///     group's alternation settles its members up to the first that matches
///     (a group none of whose members matches adds nothing); the general
///     lists, the lists for the request's host and the lists for the
///     wildcards matching it (each wildcard tested at most once per
///     request) are merged lazily in rank order;
///  3. candidates are tested cheapest rule first (method, plain host ids,
///     SNI, headers, then wildcard hosts and regex paths, each evaluated at
///     most once per request); the first matching candidate fixes Kong's
///     category, and the scan goes on inside that category only while Kong's
///     reduced list (the shortest non-empty routes_by_* list for the
///     request's hits) has not been hit. Kong's "hits" (first wildcard host,
///     first header name, first matching regex or else longest prefix) are
///     computed only when the winning category needs them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/prefix_index.hpp"
#include "models/router/route.hpp"

namespace gwsim::router {

class radix_router {
 public:
  /// Throws std::invalid_argument on the same routes reference_matcher
  /// rejects, with the same message.
  explicit radix_router(std::vector<route> routes);

  /// The route Kong 2.8 would select, or nullptr.
  [[nodiscard]] const route* match(const request& req) const;

  /// Estimated bytes held: every vector as capacity times element size, every
  /// hash container as its bucket array plus one node (value, next pointer,
  /// cached hash) per element, every string's heap buffer when longer than
  /// the small-string buffer, plus the routes. PCRE2's compiled code and JIT
  /// memory are not visible and not counted (each pattern counts as its
  /// object and pattern strings only).
  [[nodiscard]] std::size_t bytes() const;

  /// Trie nodes (including the root), for tests and reports.
  [[nodiscard]] std::size_t node_count() const noexcept { return paths_.node_count(); }

 private:
  static constexpr std::uint32_t none = UINT32_MAX;
  /// Marks a wildcard in an entry's host list (the rest is its index in
  /// wildcards_; plain hosts are host ids), so matching a plain host needs
  /// no lookup beside the entry.
  static constexpr std::uint32_t wildcard_bit = 0x80000000U;

  /// One marshalled entry, flattened. Its index is its rank.
  struct entry {
    std::uint32_t route = 0;  ///< into routes_
    std::uint32_t attrs = 0;  ///< into attrs_: hosts, method ids, SNI ids, header rule indexes
    std::uint32_t key = none; ///< path key (prefix or regex), none without a path
    std::uint16_t n_hosts = 0;
    std::uint16_t n_methods = 0;
    std::uint16_t n_snis = 0;
    std::uint16_t n_headers = 0;
    std::uint8_t category = 0;  ///< position in Kong's category order
    std::uint8_t rules = 0;     ///< match_rules
  };

  struct header_cond {
    std::uint32_t name = 0;           ///< header name id
    std::vector<std::string> values;  ///< lower-cased
  };

  struct wildcard {
    std::string_view value;  ///< the host as written (a view into routes_)
    const regex* re = nullptr;
    std::uint32_t host_id = 0;
    /// The value holds only characters PCRE2 reads literally (besides `.`,
    /// escaped, and `*`), so its `*`-separated pieces must appear in order.
    bool literal_pieces = false;
  };

  /// Kong's routes_by_* list sizes: (rule, category, value id) -> count, open
  /// addressing with linear probing. Keys are never 0 (the rule tag is).
  struct count_table {
    std::vector<std::uint64_t> keys;
    std::vector<std::uint32_t> counts;
    void build(const std::vector<std::uint64_t>& occurrences);
    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept;
  };

  /// A host list of one key: entries in [off, next group's off) of by_host_.
  struct host_group {
    std::uint32_t host = 0;
    std::uint32_t off = 0;
  };

  /// Where a key's lists start: its general list in general_ and its host
  /// lists in groups_ (each ends where the next key's start), side by side
  /// so that finding both reads one place.
  struct key_lists {
    std::uint32_t general = 0;
    std::uint32_t groups = 0;
  };

  struct request_state;

  using id_map = std::unordered_map<std::string_view, std::uint32_t>;

  [[nodiscard]] bool wildcard_matches(std::uint32_t w, request_state& st) const;
  [[nodiscard]] bool regex_matches(std::uint32_t r, request_state& st) const;
  [[nodiscard]] bool entry_matches(const entry& e, request_state& st) const;
  [[nodiscard]] std::uint32_t hit_host(request_state& st) const;
  [[nodiscard]] std::uint32_t hit_header(request_state& st) const;
  [[nodiscard]] std::uint32_t hit_uri(request_state& st) const;
  [[nodiscard]] bool any_hit(request_state& st) const;
  void parse_headers(request_state& st) const;
  void add_list(std::uint32_t list, request_state& st) const;
  /// List ids: a prefix key's is the key; then the entries without a path;
  /// then one per literal group.
  [[nodiscard]] std::uint32_t no_path_list() const noexcept { return regex_base_; }
  [[nodiscard]] std::uint32_t group_list(std::uint32_t g) const noexcept { return regex_base_ + 1 + g; }
  void select_regexes(std::uint32_t group, request_state& st) const;

  std::vector<route> routes_;
  regex_cache regexes_;  ///< owns the patterns wildcards_ and regex_code_ point to

  std::vector<entry> entries_;           ///< in rank order
  std::vector<std::uint32_t> attrs_;     ///< per-entry id lists
  std::vector<header_cond> header_conds_;
  std::vector<std::uint32_t> category_bits_;  ///< per category position: its rule bits

  /// Interned values. Host ids cover plain and wildcard hosts; header name
  /// ids and wildcard indexes follow first occurrence in Kong's sort order,
  /// the order Kong scans them when classifying a request.
  id_map host_ids_;
  std::vector<std::uint32_t> host_wildcard_;  ///< per host id: index into wildcards_, or none
  std::vector<wildcard> wildcards_;
  std::vector<std::string> method_names_;     ///< upper-cased
  id_map method_ids_;                         ///< views into method_names_
  id_map sni_ids_;
  std::vector<std::string> header_names_;     ///< lower-cased
  id_map header_ids_;                         ///< views into header_names_

  /// Keys: prefix paths 0..regex_base_-1, regexes (in first-occurrence
  /// order) from regex_base_, then one key for the entries without a path.
  /// The trie maps a prefix path to its key and a literal prefix to its
  /// literal group | literal_bit.
  static constexpr std::uint32_t literal_bit = 0x80000000U;
  prefix_index paths_;
  std::vector<const regex*> regex_code_;  ///< per regex index
  /// Per literal group: its regexes (ascending) and, when there are several,
  /// one alternation of them (null when they cannot be combined).
  std::vector<std::uint32_t> literal_off_;
  std::vector<std::uint32_t> literal_regexes_;
  std::vector<std::shared_ptr<const regex>> literal_code_;  ///< from compiled_alternation()
  std::uint32_t regex_base_ = 0;
  std::uint32_t no_path_key_ = 0;
  std::vector<key_lists> key_lists_;  ///< per list id, plus a sentinel
  std::vector<std::uint32_t> general_;
  std::vector<host_group> groups_;    ///< sorted by host inside a key, plus a sentinel
  std::vector<std::uint32_t> by_host_;

  count_table counts_;
};

}  // namespace gwsim::router
