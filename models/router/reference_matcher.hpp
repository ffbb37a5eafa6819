#pragma once
/// The obviously-correct matcher: Kong 2.8's traditional router semantics
/// (`kong/router.lua`, Router.new + find_route) written as plain scans over
/// sorted route entries, without Kong's indexes or caches. Faster matchers
/// are checked against it.

#include "models/router/regex.hpp"
#include "models/router/route.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
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
  struct host_rule {
    std::string value;
    std::unique_ptr<regex> wildcard; ///< null for a plain host
  };
  struct header_rule {
    std::string name;                ///< lower-cased
    std::vector<std::string> values; ///< lower-cased
  };
  struct uri_rule {
    std::string value;
    std::unique_ptr<regex> re; ///< null for a prefix
  };
  /// One entry per (route, path): Kong splits a route with several paths
  /// into one marshalled route per path before sorting (Router.new).
  struct entry {
    std::size_t route_index = 0;
    std::uint32_t match_rules = 0;
    int match_weight = 0;
    std::uint32_t submatch_weight = 0;
    std::size_t max_uri_length = 0;
    std::vector<host_rule> hosts;
    std::vector<header_rule> headers;
    std::vector<uri_rule> uris;
    std::vector<std::string> methods; ///< upper-cased, unique
    std::vector<std::string> snis;    ///< unique
  };
  struct category {
    std::uint32_t bits = 0;
    int match_weight = 0;
    std::vector<std::size_t> entries; ///< indexes into entries_, sorted order
  };
  struct context;

  [[nodiscard]] entry marshall(std::size_t route_index, const std::vector<std::string>& paths) const;
  [[nodiscard]] bool matches(const entry& e, const context& ctx) const;
  [[nodiscard]] std::vector<std::size_t> reduce(const category& cat, const context& ctx) const;

  std::vector<route> routes_;
  std::vector<entry> entries_;       ///< in Kong's sort_routes order
  std::vector<category> categories_; ///< in Kong's category order
};

} // namespace gwsim::router
