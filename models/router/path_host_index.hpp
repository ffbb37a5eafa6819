#pragma once
/// The marshalled entries that can match a request, found from its path and
/// host without scanning: an entry matches only when one of its uris matches
/// the path (a prefix of the path, or a regex matching it) and, when all its
/// hosts are plain, one of them equals the request's host (as sent or
/// without its port). So:
///  - prefix paths are keys of a trie (prefix_index); every key passed while
///    walking the path is selected;
///  - regex paths are indexed by their literal prefixes in a second trie;
///    the regexes so selected are run, and each that matches is selected;
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
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/prefix_index.hpp"

namespace gwsim::router {

class path_host_index {
 public:
  path_host_index() = default;

  /// Indexes `entries` (in sort order); the index points into them, so they
  /// must outlive it and keep their addresses.
  explicit path_host_index(const std::vector<marshalled_route>& entries);

  /// What a request's path and host select.
  struct result {
    const std::string* regex_hit = nullptr;    ///< first matching regex, sorted order
    const std::string* longest_prefix = nullptr;  ///< longest prefix path of the path
  };

  /// Appends to `out` (cleared first) the indexes of the entries that can
  /// match a request with this path and host, ascending and without repeats.
  result candidates(std::string_view path, std::string_view raw_host, std::string_view host_no_port,
                    std::vector<std::uint32_t>& out) const;

  /// Heap bytes held, counted as byte_estimates.hpp counts them.
  [[nodiscard]] std::size_t bytes() const;

  /// Nodes of the prefix-path trie (root included).
  [[nodiscard]] std::size_t node_count() const noexcept { return prefixes_.node_count(); }

 private:
  [[nodiscard]] std::uint32_t host_id(std::string_view host) const;

  prefix_index prefixes_;                    ///< prefix path -> key id
  std::vector<const std::string*> key_uri_;  ///< per key id: the prefix string
  /// Key ids: prefix paths first, then regexes (regex id + regex_base_).
  std::uint32_t regex_base_ = 0;
  std::vector<std::uint32_t> general_offsets_;  ///< per key id: start in general_ (+1 sentinel)
  std::vector<std::uint32_t> general_;          ///< entries not filtered by plain host, grouped by key
  /// (key id << 32 | host id, entry), sorted: entries whose hosts are all
  /// plain, once per host.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_host_;
  string_map<std::uint32_t> host_ids_;       ///< plain host -> id

  prefix_index regex_literals_;                ///< literal prefix -> regex id
  std::vector<const uri_rule*> regexes_;       ///< per regex id, first occurrence in sorted order
  std::vector<std::uint32_t> no_uri_;          ///< entries without a path
};

}  // namespace gwsim::router
