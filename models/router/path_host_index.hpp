#pragma once
/// The marshalled entries that can match a request, found from its path and
/// host without scanning: an entry matches only when one of its uris matches
/// the path (a prefix of the path, or a regex matching it) and, when all its
/// hosts are plain, one of them equals the request's host (as sent or
/// without its port). So:
///  - prefix paths are keys of a trie (prefix_index); every key passed while
///    walking the path is selected;
///  - regex paths are indexed by their literal prefixes in the same trie;
///    the regexes sharing one literal prefix form a group, tried as one
///    alternation (regex::alternation) that tells which of them matches
///    first; each selected regex that matches is selected (see candidates()
///    for the regexes after a group's first match);
///  - a selected key (prefix or regex) gives its entries without a plain-only
///    host list and, from a sorted (key, host) table, its entries listing the
///    request's host;
///  - entries without a path are always candidates.
/// The candidates are a superset of the matching entries (the caller still
/// applies matches()) and every matching entry is among them. The same walk
/// gives Kong's uri hit: the first matching regex in sorted order, else the
/// longest prefix.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/prefix_index.hpp"
#include "models/router/view_table.hpp"

namespace gwsim::router {

class path_host_index {
 public:
  path_host_index() = default;

  /// Indexes `entries` (in sort order); the index points into them, so they
  /// must outlive it and keep their addresses.
  explicit path_host_index(const std::vector<marshalled_route>& entries);

  /// What a request's path and host select.
  struct result {
    hit_string regex_hit;       ///< first matching regex, sorted order
    hit_string longest_prefix;  ///< longest prefix path of the path
  };

  /// Appends to `out` (cleared first) the indexes of the entries that can
  /// match a request with this path and host, ascending and without repeats.
  /// Without `unchecked`, every selected regex is run and only entries whose
  /// path matches are selected. With it (cleared first), a group's regexes
  /// after its first match are not run: their entries are selected anyway
  /// and also listed in `unchecked` (ascending, no repeats), as entries
  /// whose regex path the caller still has to check. Every other entry of
  /// `out` has a path known to match (or no path). The hits returned are
  /// the same either way.
  result candidates(std::string_view path, std::string_view raw_host, std::string_view host_no_port,
                    std::vector<std::uint32_t>& out, std::vector<std::uint32_t>* unchecked = nullptr) const;

  /// Heap bytes held, counted as byte_estimates.hpp counts them.
  [[nodiscard]] std::size_t bytes() const;

  /// Nodes of the path trie (prefix paths and regex literal prefixes, root
  /// included).
  [[nodiscard]] std::size_t node_count() const noexcept { return prefixes_.node_count(); }

 private:
  [[nodiscard]] std::uint32_t host_id(std::string_view host) const;
  [[nodiscard]] std::size_t literal_bytes() const;

  /// Prefix paths (-> key id) and the regexes' literal prefixes (-> group
  /// id | group_flag) in one trie, so one walk of the path finds both.
  prefix_index prefixes_;
  static constexpr std::uint32_t group_flag = 0x80000000U;
  std::vector<std::string_view> key_uri_;  ///< per key id: the prefix string
  /// Key ids: prefix paths first, then regexes (regex id + regex_base_).
  std::uint32_t regex_base_ = 0;
  std::vector<std::uint32_t> general_offsets_;  ///< per key id: start in general_ (+1 sentinel)
  std::vector<std::uint32_t> general_;          ///< entries not filtered by plain host, grouped by key
  /// (key id << 32 | host id, entry), sorted: entries whose hosts are all
  /// plain, once per host.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_host_;
  std::vector<std::uint32_t> by_host_offsets_;  ///< per key id: start of its rows in by_host_ (+1 sentinel)
  view_table host_ids_;  ///< plain host (a view of the routes' string) -> id

  std::vector<const uri_rule*> regexes_;  ///< per regex id, first occurrence in sorted order
  /// Per group id: its regex ids (ascending) from literal_off_[g] to
  /// literal_off_[g + 1] in literal_regexes_, and their alternation (null
  /// for a single regex or when they cannot be combined).
  std::vector<std::uint32_t> literal_off_;
  std::vector<std::uint32_t> literal_regexes_;
  std::vector<std::shared_ptr<const regex>> literal_code_;  ///< from compiled_alternation()
  std::vector<std::uint32_t> no_uri_;  ///< entries without a path
};

}  // namespace gwsim::router
