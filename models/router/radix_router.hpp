#pragma once
/// An APISIX-style router (lua-resty-radixtree's design: a radix tree over
/// path prefixes whose nodes carry the routes registered under that prefix)
/// that selects exactly the route Kong 2.8's traditional router selects, i.e.
/// exactly what reference_matcher returns. Kong's precedence is the
/// specification; the tree only replaces Kong's candidate search.
///
/// Build: routes are marshalled and sorted as Kong sorts them (one entry per
/// path), grouped into Kong's ordered categories, and each entry gets a
/// precomputed rank (category position, then position in sort order). Every
/// entry with a prefix path is stored on the node of a compressed trie over
/// the bytes of that prefix, split there by plain host (path_host_index);
/// entries with a regex path are listed per distinct regex, and the regexes
/// indexed by their literal prefixes (regex_literal_prefixes()) in a second
/// trie; entries without a path go into a side list. Hosts, methods and SNIs
/// of all routes are indexed in hash sets (plain hosts, methods, SNIs) and a
/// sorted list (wildcard hosts) to classify requests.
///
/// Match:
///  1. classify the request as Kong does: the first route header name the
///     request carries, the plain or first wildcard host hit, the first
///     matching regex path (only regexes whose literal prefix starts the
///     path are tried) or else the longest prefix path (found by walking the
///     trie), and whether any route uses the method / SNI. A request that
///     hits nothing matches nothing.
///  2. candidates: the entries on every trie node passed while walking the
///     path (their prefix is a prefix of the path) that list no plain hosts
///     or list the request's host, the entries of every regex that matches
///     the path and every entry without a path; the rest cannot match. Each candidate is
///     tested with the shared predicate `matches()` (host, header, path,
///     method and SNI filtering).
///  3. the winning category is the lowest category rank among the matching
///     candidates. Inside it Kong first scans a "reduced" list (the routes
///     indexed under the request's hit for the category's most selective
///     rule) and only then the whole category, so the winner is the
///     lowest-ranked matching candidate that belongs to that reduced list,
///     or failing that the lowest-ranked matching candidate of the category.
///     The reduced list's size is read from per-category count tables
///     computed at build time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/path_host_index.hpp"
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
  /// the small-string buffer, plus the routes and the marshalled entries.
  /// PCRE2's compiled code and JIT memory are not visible and not counted
  /// (each pattern counts as its object and pattern strings only).
  [[nodiscard]] std::size_t bytes() const;

  /// Trie nodes (including the root), for tests and reports.
  [[nodiscard]] std::size_t node_count() const noexcept { return index_.node_count(); }

 private:
  using count_table = string_map<std::uint32_t>;

  struct category {
    std::uint32_t bits = 0;
    int match_weight = 0;
    /// Kong's routes_by_* tables reduced to their list sizes (occurrences).
    count_table by_host;
    count_table by_header;
    count_table by_uri;
    count_table by_method;
    count_table by_sni;
  };

  struct wildcard_host {
    const std::string* value = nullptr;
    const regex* re = nullptr;
  };

  [[nodiscard]] const route* pick(std::vector<std::uint32_t>& matching, const match_context& ctx) const;

  std::vector<route> routes_;
  regex_cache regexes_;                     ///< owns the patterns entries_ point to
  std::vector<marshalled_route> entries_;   ///< in Kong's sort_routes order
  std::vector<category> categories_;        ///< in Kong's category order
  std::vector<std::uint32_t> category_of_;  ///< per entry: index into categories_

  path_host_index index_;                   ///< candidates by path and host

  /// Classification indexes.
  std::vector<std::string> header_names_;  ///< first-occurrence order in sorted entries
  string_set header_name_set_;
  string_set plain_hosts_;
  std::vector<wildcard_host> wildcard_hosts_;  ///< sorted entry order
  string_set methods_;
  string_set snis_;
};

}  // namespace gwsim::router
