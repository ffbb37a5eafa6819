#pragma once
/// The obviously-correct matcher: Kong 2.8's traditional router semantics
/// (`kong/router.lua`, Router.new + find_route) written as plain scans over
/// sorted route entries, without Kong's indexes or caches. Faster matchers
/// are checked against it.

#include "models/router/marshalled_route.hpp"
#include "models/router/route.hpp"

#include <cstddef>
#include <vector>

namespace gwsim::router {

class reference_matcher {
public:
  /// Throws std::invalid_argument for a route with no matching field at all
  /// or with a path regex / wildcard host that does not compile (the message
  /// names the route id and the pattern).
  explicit reference_matcher(std::vector<route> routes);

  /// The route Kong 2.8 would select, or nullptr.
  [[nodiscard]] const route* match(const request& req) const;

private:
  struct category {
    std::uint32_t bits = 0;
    int match_weight = 0;
    std::vector<std::size_t> entries; ///< indexes into entries_, sorted order
  };

  [[nodiscard]] std::vector<std::size_t> reduce(const category& cat, const match_context& ctx) const;

  std::vector<route> routes_;
  regex_cache regexes_;                   ///< owns the patterns entries_ point to
  std::vector<marshalled_route> entries_; ///< in Kong's sort_routes order
  std::vector<category> categories_;      ///< in Kong's category order
};

} // namespace gwsim::router
