// Router costs on synthetic route sets: the measurements that calibrate the
// simulator's rebuild and match costs (gwsim_calibrate reads them; see
// bench/README.md, "Router benchmarks and calibration"). Names are parsed by
// the calibration:
//
//   BM_<Design>Build/<N>           a full build of N routes (the route copy
//                                  and the destruction of the previous router
//                                  included); counters bytes_per_route and
//                                  paths_per_route (taken outside the timing)
//   BM_<Design>Match/<N>/<hit%>    one match; <hit%> is the nominal share of
//                                  requests answered from the match cache
//                                  (0 = cache off, every match a miss; 100 =
//                                  every match a hit; 90 = the hit mix); the
//                                  counter hit_ratio is the share measured
//
// Designs here: Traditional (Kong 2.x, with its LRU match cache) and Radix
// (path radix tree, no cache). BM_GenerateRoutes, BM_ReferenceBuild and
// BM_ReferenceMatch are baselines. Route sets are generated once per N and
// shared by all benchmarks; every benchmark runs for a fixed, short time so
// the whole router suite stays under two minutes.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/router/radix_router.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/synthetic_routes.hpp"
#include "models/router/traditional_router.hpp"

namespace gwsim::router {
namespace {

constexpr double build_min_time_s = 0.3;
constexpr double match_min_time_s = 0.2;
constexpr std::size_t request_stream = 100'000;

route_set_config config(std::int64_t n) {
  route_set_config c;
  c.routes = static_cast<std::size_t>(n);
  c.distinct_hosts = std::max<std::size_t>(10, c.routes / 250);
  return c;
}

/// The route set of size n, generated on first use and kept for the process.
const std::vector<route>& routes_of(std::int64_t n) {
  static std::map<std::int64_t, std::vector<route>> sets;
  auto it = sets.find(n);
  if (it == sets.end()) it = sets.emplace(n, generate_routes(config(n))).first;
  return it->second;
}

/// Zipf(1) requests over the route set of size n (5% aimed at no route).
const std::vector<request>& requests_of(std::int64_t n) {
  static std::map<std::int64_t, std::vector<request>> streams;
  auto it = streams.find(n);
  if (it == streams.end()) it = streams.emplace(n, generate_requests(routes_of(n), request_stream, 2)).first;
  return it->second;
}

/// The hot pool of hit_mix: 500 Zipf(1) requests, fewer distinct keys than
/// the cache has slots, so they all hit once the cache is warm.
std::vector<request> hot_pool(std::int64_t n) {
  return generate_requests(routes_of(n), 500, 3);
}

/// A request stream as positions in a pool of distinct requests: each
/// position names a pool entry, so a request that recurs is the same object
/// every time. A gateway matches the request it has just parsed, whose
/// fields are in the CPU's cache; a stream of 100,000 separately allocated
/// copies would instead make every hit read its request from main memory,
/// a cost of the benchmark's input and not of the router (at 5e4 routes it
/// was a quarter of the 90% mix's time per match).
struct pooled_stream {
  std::vector<request> pool;
  std::vector<std::uint32_t> order;
  [[nodiscard]] const request& operator[](std::size_t i) const { return pool[order[i]]; }
  [[nodiscard]] std::size_t size() const noexcept { return order.size(); }
};

/// A stream in which a share hit_percent/100 of the positions cycle through
/// the hot pool and the rest are cold: requests with a unique path suffix
/// from a pool of 10,000, each recurring only after more distinct keys than
/// the cache holds, so they always miss. Cold positions are spread evenly
/// (position i is cold when floor(i c) steps, c the cold share).
pooled_stream hit_mix(std::int64_t n, std::int64_t hit_percent) {
  const std::vector<route>& routes = routes_of(n);
  pooled_stream out;
  out.pool = hot_pool(n);
  const auto hot = static_cast<std::uint32_t>(out.pool.size());
  std::vector<request> cold = generate_requests(routes, 10'000, 4);
  for (std::size_t k = 0; k < cold.size(); ++k) {
    cold[k].path += "/~cold" + std::to_string(k);
    out.pool.push_back(std::move(cold[k]));
  }
  const auto n_cold = static_cast<std::uint32_t>(out.pool.size()) - hot;
  const auto cold_per_100 = static_cast<std::size_t>(100 - hit_percent);
  out.order.reserve(request_stream);
  std::uint32_t h = 0;
  std::uint32_t c = 0;
  for (std::size_t i = 0; i < request_stream; ++i) {
    const bool is_cold = ((i + 1) * cold_per_100) / 100 > (i * cold_per_100) / 100;
    out.order.push_back(is_cold ? hot + (c++ % n_cold) : (h++ % hot));
  }
  return out;
}

double paths_per_route(const std::vector<route>& routes) {
  std::size_t paths = 0;
  for (const route& r : routes) paths += r.paths.size();
  return static_cast<double>(paths) / static_cast<double>(routes.size());
}

void BM_GenerateRoutes(benchmark::State& state) {
  const route_set_config c = config(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(generate_routes(c));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_GenerateRoutes)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond)->MinTime(build_min_time_s);

void BM_ReferenceBuild(benchmark::State& state) {
  const std::vector<route>& routes = routes_of(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(reference_matcher(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ReferenceBuild)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond)->MinTime(build_min_time_s);

void BM_ReferenceMatch(benchmark::State& state) {
  const std::vector<route>& routes = routes_of(state.range(0));
  const reference_matcher m(routes);
  const std::vector<request> requests = generate_requests(routes, 1'000, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReferenceMatch)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMicrosecond)->MinTime(match_min_time_s);

/// Full build of router type R from the shared route set of state.range(0).
template <class R>
void build(benchmark::State& state) {
  const std::vector<route>& routes = routes_of(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(R(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  const R once(routes);
  state.counters["bytes_per_route"] = static_cast<double>(once.bytes()) / static_cast<double>(routes.size());
  state.counters["paths_per_route"] = paths_per_route(routes);
}

/// The route copy alone (made and destroyed): the part of every design's
/// BM_<Design>Build that is the routes' own allocations, the baseline the
/// build targets are read against (bench/router/targets).
void BM_RouteCopy(benchmark::State& state) {
  const std::vector<route>& routes = routes_of(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(std::vector<route>(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RouteCopy)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->MinTime(build_min_time_s);

void BM_TraditionalBuild(benchmark::State& state) {
  build<traditional_router>(state);
}
BENCHMARK(BM_TraditionalBuild)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(50'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(build_min_time_s);

void BM_RadixBuild(benchmark::State& state) {
  build<radix_router>(state);
}
BENCHMARK(BM_RadixBuild)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(50'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(build_min_time_s);

/// The traditional router of size n with the match cache (warmed with the
/// hot pool) or without it, built on first use and kept for the process: a
/// miss at 1e5 routes costs milliseconds, and Google Benchmark calls a
/// benchmark several times while it sizes the iteration count.
traditional_router& traditional_of(std::int64_t n, bool cached) {
  static std::map<std::pair<std::int64_t, bool>, traditional_router> routers;
  auto it = routers.find({n, cached});
  if (it == routers.end()) {
    it = routers.emplace(std::pair{n, cached}, traditional_router(routes_of(n), cached ? 5'000 : 0)).first;
    if (cached) {
      for (const request& q : hot_pool(n)) benchmark::DoNotOptimize(it->second.match(q));
    } else {
      /// One untimed pass, as for radix_of: the first matches JIT-compile.
      for (const request& q : requests_of(n)) benchmark::DoNotOptimize(it->second.match(q));
    }
  }
  return it->second;
}

/// Traditional match; range(1) is the nominal hit percentage (0 = cache off
/// on the plain Zipf stream, otherwise the hit_mix stream on a cache warmed
/// with the hot pool; 100 times pure hits). hit_ratio counts only the timed
/// matches. The position in a hit_mix stream carries over between the calls
/// Google Benchmark makes, so cold requests never come round while cached.
void BM_TraditionalMatch(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const std::int64_t hit_percent = state.range(1);
  const bool cached = hit_percent != 0;
  traditional_router& r = traditional_of(n, cached);
  static std::map<std::pair<std::int64_t, std::int64_t>, std::pair<pooled_stream, std::size_t>> mixes;
  const std::uint64_t hits0 = r.cache_hits();
  const std::uint64_t misses0 = r.cache_misses();
  if (cached) {
    auto mix = mixes.find({n, hit_percent});
    if (mix == mixes.end()) {
      mix = mixes.emplace(std::pair{n, hit_percent}, std::pair{hit_mix(n, hit_percent), std::size_t{0}}).first;
    }
    const pooled_stream& requests = mix->second.first;
    std::size_t i = mix->second.second;
    for (auto _ : state) {
      benchmark::DoNotOptimize(r.match(requests[i]));
      i = (i + 1) % requests.size();
    }
    mix->second.second = i;
  } else {
    const std::vector<request>& requests = requests_of(n);
    std::size_t i = 0;
    for (auto _ : state) {
      benchmark::DoNotOptimize(r.match(requests[i]));
      i = (i + 1) % requests.size();
    }
  }
  state.SetItemsProcessed(state.iterations());
  const auto hits = static_cast<double>(r.cache_hits() - hits0);
  const double total = hits + static_cast<double>(r.cache_misses() - misses0);
  state.counters["hit_ratio"] = cached && total > 0 ? hits / total : 0.0;
}
BENCHMARK(BM_TraditionalMatch)
    ->ArgsProduct({{1'000, 10'000, 50'000, 100'000}, {0, 90, 100}})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(match_min_time_s);

/// The radix router of size n, built on first use and kept for the process,
/// after one untimed pass over the request stream: a pattern is
/// JIT-compiled at its first match (regex.hpp), a cost of the first
/// requests after a build rather than of the steady match rate.
const radix_router& radix_of(std::int64_t n) {
  static std::map<std::int64_t, radix_router> routers;
  auto it = routers.find(n);
  if (it == routers.end()) {
    it = routers.emplace(n, radix_router(routes_of(n))).first;
    for (const request& q : requests_of(n)) benchmark::DoNotOptimize(it->second.match(q));
  }
  return it->second;
}

/// Radix match (no cache: every match a miss) on the plain Zipf stream.
void BM_RadixMatch(benchmark::State& state) {
  const radix_router& r = radix_of(state.range(0));
  const std::vector<request>& requests = requests_of(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_ratio"] = 0.0;
}
BENCHMARK(BM_RadixMatch)
    ->ArgsProduct({{1'000, 10'000, 50'000, 100'000}, {0}})
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(match_min_time_s);

}  // namespace
}  // namespace gwsim::router
