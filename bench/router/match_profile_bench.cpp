// Match profiles: path-only matching, gwsim's radix router against the R3
// peer (bench/peers/r3_routes.cc, run by bench/peers/run), where both get the
// same job, and the floor any matcher pays on the full synthetic set:
//
//   BM_RadixPathOnlyBuild/<N>   build a radix_router from N path-only routes
//   BM_RadixPathOnlyMatch/<N>   one match of a request aimed at an exact route
//                               path (counter found_ratio: share answered with the expected route)
//
// The route set is generate_routes() with hosts, methods, headers and regex
// paths turned off, so every route is one or more plain paths and paths are
// unique across the set; a request carries exactly one of those paths, so
// the longest-prefix answer is that path's route and R3's whole-path match
// finds the same one. Requests visit the paths in a fixed scattered order
// (path k*7919 mod P for request k).
//
//   BM_MatchFloor/<N>           the floor of any exact matcher on the full
//                               synthetic route set and request stream of
//                               BM_RadixMatch/<N>/0 (router_bench.cpp): one
//                               hash lookup of the request's host among the
//                               route hosts and one walk down the trie of the
//                               route set's prefix paths, nothing else (no
//                               method, regex, wildcard or precedence work,
//                               no route touched). Its rate bounds what a
//                               router that at least finds the request's
//                               host and prefix keys can reach on this
//                               machine: at 5e4 routes the walk misses the
//                               cache on most requests.
//   BM_RadixShapeMatch/<N>/<regex%>/<wildcard%>
//                               BM_RadixMatch/<N>/0 on route sets of another
//                               shape: <regex%> of the routes on regex paths
//                               (5 in the default set) and <wildcard%> of the
//                               hosted routes on a wildcard host (10); how
//                               the miss cost moves with the regexes and
//                               wildcards a request's path and host reach.
//                               Three arguments: the calibration leaves it out.
//   BM_RadixRepeatingMisses/<N>/<distinct>
//                               BM_RadixMatch/<N>/0 over only the first
//                               <distinct> requests of its stream, repeated:
//                               with few, everything a match touches stays
//                               in the caches, so the gap to BM_RadixMatch
//                               is what the misses of the full stream wait
//                               for memory (the name ends in no operation,
//                               so the calibration neither runs nor reads it).
//
// When the environment variable GWSIM_PATHS_OUT names a directory, the
// benchmarks also write <dir>/paths_<N>.txt (outside the timing): lines
// "R <route index> <path>" for every route path and "Q <route index> <path>"
// for the request stream, which r3_routes reads to build its tree and check
// every answer.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/router/prefix_index.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/synthetic_routes.hpp"

namespace gwsim::router {
namespace {

constexpr std::size_t path_only_requests = 100'000;

/// generate_routes() restricted to plain paths.
const std::vector<route>& path_only_routes(std::int64_t n) {
  static std::map<std::int64_t, std::vector<route>> sets;
  auto it = sets.find(n);
  if (it == sets.end()) {
    route_set_config c;
    c.routes = static_cast<std::size_t>(n);
    c.regex_fraction = 0.0;
    c.host_fraction = 0.0;
    c.header_fraction = 0.0;
    c.method_fraction = 0.0;
    it = sets.emplace(n, generate_routes(c)).first;
  }
  return it->second;
}

/// (route index, path) of every route path, in route order.
std::vector<std::pair<std::uint32_t, std::string>> route_paths(const std::vector<route>& routes) {
  std::vector<std::pair<std::uint32_t, std::string>> out;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    for (const auto& p : routes[i].paths) out.emplace_back(static_cast<std::uint32_t>(i), p);
  }
  return out;
}

/// Requests aimed at exact route paths, with the route index each expects.
std::vector<std::pair<std::uint32_t, request>> path_only_stream(const std::vector<route>& routes) {
  const auto paths = route_paths(routes);
  std::vector<std::pair<std::uint32_t, request>> out;
  out.reserve(path_only_requests);
  for (std::size_t k = 0; k < path_only_requests; ++k) {
    const auto& [index, path] = paths[(k * 7919) % paths.size()];
    request q;
    q.host = "gateway.example.org";
    q.path = path;
    q.method = "GET";
    out.emplace_back(index, std::move(q));
  }
  return out;
}

/// Writes <GWSIM_PATHS_OUT>/paths_<n>.txt once per process and size.
void dump_paths(std::int64_t n, const std::vector<route>& routes,
                const std::vector<std::pair<std::uint32_t, request>>& stream) {
  const char* dir = std::getenv("GWSIM_PATHS_OUT");
  static std::map<std::int64_t, bool> done;
  if (dir == nullptr || done[n]) return;
  done[n] = true;
  std::ofstream f(std::string(dir) + "/paths_" + std::to_string(n) + ".txt");
  for (const auto& [index, path] : route_paths(routes)) f << "R " << index << ' ' << path << '\n';
  for (const auto& [index, q] : stream) f << "Q " << index << ' ' << q.path << '\n';
}

void BM_RadixPathOnlyBuild(benchmark::State& state) {
  const std::vector<route>& routes = path_only_routes(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(radix_router(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  const radix_router once(routes);
  state.counters["bytes_per_route"] = static_cast<double>(once.bytes()) / static_cast<double>(routes.size());
}
BENCHMARK(BM_RadixPathOnlyBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond)->MinTime(0.3);

void BM_RadixPathOnlyMatch(benchmark::State& state) {
  const std::vector<route>& routes = path_only_routes(state.range(0));
  const auto stream = path_only_stream(routes);
  dump_paths(state.range(0), routes, stream);
  const radix_router r(routes);
  /// Every answer is checked in an untimed pass, as r3_routes checks R3's;
  /// the timed loop, like R3's, only reads the answer (a check against the
  /// route list inside it timed a random read of that list per match).
  std::size_t found = 0;
  for (const auto& [index, q] : stream) {
    const route* m = r.match(q);
    found += m != nullptr && m->id == routes[index].id ? 1U : 0U;
  }
  std::uint64_t sink = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const route* m = r.match(stream[i].second);
    sink += m != nullptr ? m->id : 0U;
    i = (i + 1) % stream.size();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["found_ratio"] = static_cast<double>(found) / static_cast<double>(stream.size());
}
BENCHMARK(BM_RadixPathOnlyMatch)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kNanosecond)->MinTime(0.3);

/// The route set and request stream of BM_RadixMatch (router_bench.cpp).
route_set_config full_config(std::int64_t n) {
  route_set_config c;
  c.routes = static_cast<std::size_t>(n);
  c.distinct_hosts = std::max<std::size_t>(10, c.routes / 250);
  return c;
}

void BM_MatchFloor(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(full_config(state.range(0)));
  const std::vector<request> requests = generate_requests(routes, 100'000, 2);
  std::unordered_map<std::string_view, std::uint32_t> hosts;
  std::unordered_map<std::string_view, std::uint32_t> keys;
  std::vector<std::pair<std::string_view, std::uint32_t>> items;
  for (const route& r : routes) {
    for (const auto& h : r.hosts) hosts.try_emplace(h, static_cast<std::uint32_t>(hosts.size()));
    for (const auto& p : r.paths) {
      if (!is_regex_path(p) && keys.try_emplace(p, static_cast<std::uint32_t>(keys.size())).second) {
        items.emplace_back(p, keys.at(p));
      }
    }
  }
  const prefix_index trie(items);
  std::size_t i = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    const request& q = requests[i];
    const auto h = hosts.find(q.host);
    std::uint32_t longest = UINT32_MAX;
    trie.for_each_prefix_of(q.path, [&longest](std::span<const std::uint32_t> v, std::size_t) { longest = v.front(); });
    found += (h != hosts.end() ? 1U : 0U) + (longest != UINT32_MAX ? 1U : 0U);
    benchmark::DoNotOptimize(found);
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchFloor)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kNanosecond)->MinTime(0.3);

/// Radix misses (no cache) on `routes`, cycling through `requests`; one
/// untimed pass first, as every pattern is JIT-compiled at its first match.
void time_radix_misses(benchmark::State& state, const std::vector<route>& routes,
                       const std::vector<request>& requests) {
  const radix_router r(routes);
  for (const request& q : requests) benchmark::DoNotOptimize(r.match(q));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RadixShapeMatch(benchmark::State& state) {
  route_set_config c = full_config(state.range(0));
  c.regex_fraction = static_cast<double>(state.range(1)) / 100.0;
  c.wildcard_host_fraction = static_cast<double>(state.range(2)) / 100.0;
  const std::vector<route> routes = generate_routes(c);
  time_radix_misses(state, routes, generate_requests(routes, 100'000, 2));
}
BENCHMARK(BM_RadixShapeMatch)
    ->ArgsProduct({{50'000}, {5, 20}, {10, 50}})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.3);

void BM_RadixRepeatingMisses(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(full_config(state.range(0)));
  std::vector<request> requests = generate_requests(routes, 100'000, 2);
  requests.resize(static_cast<std::size_t>(state.range(1)));
  time_radix_misses(state, routes, requests);
}
BENCHMARK(BM_RadixRepeatingMisses)
    ->ArgsProduct({{50'000}, {100, 1'000, 100'000}})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(0.3);

}  // namespace
}  // namespace gwsim::router
