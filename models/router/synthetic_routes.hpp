#pragma once
/// Synthetic route sets and request streams with the shapes real Kong
/// deployments show: REST resource paths under API versions, a few regex
/// paths with id placeholders, a skewed popularity of top-level resources,
/// hosts drawn from a shared pool (some wildcards, a few with ports), method
/// subsets, rare header rules. Everything is a deterministic function of the
/// configuration (including its seed).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/router/route.hpp"

namespace gwsim::router {

struct route_set_config {
  /// Number of routes; ids are 1..routes.
  std::size_t routes = 50'000;
  /// Number of services; 0 gives every route its own (service = id).
  std::size_t services = 0;
  /// Fraction of routes whose paths are regexes (all of that route's paths).
  double regex_fraction = 0.05;
  /// Fraction of routes with a `hosts` field.
  double host_fraction = 0.6;
  /// Among routes with hosts, the fraction whose first host is a wildcard.
  double wildcard_host_fraction = 0.1;
  /// Size of the plain host pool (the wildcard pool is an eighth of it).
  std::size_t distinct_hosts = 200;
  /// Fraction of routes with a header rule.
  double header_fraction = 0.02;
  /// Fraction of routes restricted to a subset of methods.
  double method_fraction = 0.3;
  /// Mean number of paths per route (geometric, at least 1, at most 8).
  double paths_per_route_mean = 1.2;
  /// Path version prefixes `/v1`..`/vN`; 0 gives unversioned paths only.
  std::size_t api_versions = 3;
  std::uint64_t seed = 1;
};

/// Throws std::invalid_argument naming the field, its value and the
/// accepted range when a field is out of range.
void validate(const route_set_config& config);

/// A route set as described by route_set_config (validated first). Every
/// route has at least one path; (host set, path) pairs are unique across
/// the set; created_at strictly increases with id.
[[nodiscard]] std::vector<route> generate_routes(const route_set_config& config);

/// `n` requests: a fraction `miss_fraction` aimed at nothing (a host and a
/// path that no generated route carries), the rest aimed at a route drawn
/// with Zipf(`zipf_s`) popularity over a seed-shuffled ranking of `routes`.
/// An aimed request carries one of the route's hosts (a concrete name for a
/// wildcard), a concrete path matching one of its paths (a prefix, possibly
/// extended, or a string matching the regex), an allowed method and the
/// route's headers. Throws std::invalid_argument for zipf_s < 0 or not
/// finite, or miss_fraction outside [0, 1].
[[nodiscard]] std::vector<request> generate_requests(const std::vector<route>& routes, std::size_t n,
                                                     std::uint64_t seed, double zipf_s = 1.0,
                                                     double miss_fraction = 0.05);

/// The host and path prefix generate_requests uses for requests aimed at
/// nothing, so callers can recognise them.
inline constexpr std::string_view synthetic_miss_host_suffix = ".nomatch.invalid";
inline constexpr std::string_view synthetic_miss_path_prefix = "/zz-nomatch/";

}  // namespace gwsim::router
