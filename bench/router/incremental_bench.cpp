// Costs of the updatable routers (incremental_router, sharded_router) on the
// synthetic route sets of router_bench.cpp (same configuration):
//
//   BM_IncrementalBuild/<N>     a full build of N routes (the destruction of
//                               the previous router included); counter
//                               bytes_per_route (taken outside the timing)
//   BM_IncrementalAdd/<N>       one add of a new route AND its removal (a
//                               pair per iteration keeps the set at N routes)
//   BM_IncrementalRemove/<N>    one removal of an existing route AND its
//                               re-addition (a pair per iteration)
//   BM_IncrementalUpdate/<N>    one update (a route's paths replaced, then
//                               restored on the next iteration)
//   BM_IncrementalMatch/<N>     one match with the cache off (every match a
//                               miss), Zipf(1) requests, 5% aimed at nothing
//   BM_ShardedBuild/<N>         as BM_IncrementalBuild
//   BM_ShardedUpdate/<N>        one update of a route with plain hosts only
//                               (rebuilds its host shards); counter
//                               reindexed_per_update
//   BM_ShardedUpdateCatchAll/<N> one update of a route without host (rebuilds
//                               the catch-all shard)
//   BM_ShardedMatch/<N>         as BM_IncrementalMatch
//
// Each change also flushes the match cache (5,000 slots, the default).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "models/router/incremental_router.hpp"
#include "models/router/sharded_router.hpp"
#include "models/router/synthetic_routes.hpp"

namespace gwsim::router {
namespace {

constexpr double build_min_time_s = 0.3;
constexpr double change_min_time_s = 0.2;
constexpr std::size_t request_stream = 100'000;

route_set_config config(std::int64_t n) {
  route_set_config c;
  c.routes = static_cast<std::size_t>(n);
  c.distinct_hosts = std::max<std::size_t>(10, c.routes / 250);
  return c;
}

const std::vector<route>& routes_of(std::int64_t n) {
  static std::map<std::int64_t, std::vector<route>> sets;
  auto it = sets.find(n);
  if (it == sets.end()) it = sets.emplace(n, generate_routes(config(n))).first;
  return it->second;
}

const std::vector<request>& requests_of(std::int64_t n) {
  static std::map<std::int64_t, std::vector<request>> streams;
  auto it = streams.find(n);
  if (it == streams.end()) it = streams.emplace(n, generate_requests(routes_of(n), request_stream, 2)).first;
  return it->second;
}

incremental_router& incremental_of(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<incremental_router>> routers;
  auto& r = routers[n];
  if (!r) r = std::make_unique<incremental_router>(routes_of(n));
  return *r;
}

sharded_router& sharded_of(std::int64_t n) {
  static std::map<std::int64_t, std::unique_ptr<sharded_router>> routers;
  auto& r = routers[n];
  if (!r) r = std::make_unique<sharded_router>(routes_of(n));
  return *r;
}

/// One untimed pass over the request stream, the first time a router of
/// this type and size is matched: a pattern is JIT-compiled at its first
/// match (regex.hpp), a cost of the first requests after a build rather
/// than of the steady match rate.
template <class Router>
void warm_once(const Router& router, std::int64_t n, const std::vector<request>& requests) {
  static std::set<std::int64_t> warmed;
  if (warmed.insert(n).second) {
    for (const request& q : requests) benchmark::DoNotOptimize(router.match_uncached(q));
  }
}

/// A changed copy of `r`: each path gets a suffix.
route changed(const route& r) {
  route c = r;
  for (auto& p : c.paths) p += "/changed";
  return c;
}

/// Routes spread over the set (a fixed stride), to change in turn.
std::vector<std::size_t> spread(const std::vector<route>& routes, bool plain_hosts_only, bool no_host) {
  std::vector<std::size_t> picked;
  for (std::size_t i = 0; i < routes.size() && picked.size() < 512; i += 7) {
    const auto keys = sharded_router::shard_keys(routes[i]);
    const bool catch_all = keys.size() == 1 && keys.front().empty();
    if ((plain_hosts_only && !catch_all) || (no_host && routes[i].hosts.empty()) || (!plain_hosts_only && !no_host)) {
      picked.push_back(i);
    }
  }
  return picked;
}

void BM_IncrementalBuild(benchmark::State& state) {
  const auto& routes = routes_of(state.range(0));
  std::unique_ptr<incremental_router> router;
  for (auto _ : state) {
    router = std::make_unique<incremental_router>(routes);
    benchmark::DoNotOptimize(router.get());
  }
  state.counters["bytes_per_route"] = static_cast<double>(router->bytes()) / static_cast<double>(routes.size());
}
BENCHMARK(BM_IncrementalBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMillisecond)
    ->MinTime(build_min_time_s);

void BM_IncrementalAdd(benchmark::State& state) {
  const auto& routes = routes_of(state.range(0));
  incremental_router& router = incremental_of(state.range(0));
  const auto fresh_id = static_cast<std::uint32_t>(routes.size() + 1);
  std::size_t i = 0;
  for (auto _ : state) {
    route r = changed(routes[i++ % routes.size()]);
    r.id = fresh_id;
    router.add(r);
    router.remove(fresh_id);
  }
}
BENCHMARK(BM_IncrementalAdd)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_IncrementalRemove(benchmark::State& state) {
  const auto& routes = routes_of(state.range(0));
  incremental_router& router = incremental_of(state.range(0));
  const auto picked = spread(routes, false, false);
  std::size_t i = 0;
  for (auto _ : state) {
    const route& r = routes[picked[i++ % picked.size()]];
    router.remove(r.id);
    router.add(r);
  }
}
BENCHMARK(BM_IncrementalRemove)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_IncrementalUpdate(benchmark::State& state) {
  const auto& routes = routes_of(state.range(0));
  incremental_router& router = incremental_of(state.range(0));
  const auto picked = spread(routes, false, false);
  std::vector<route> variants;
  for (std::size_t k : picked) variants.push_back(changed(routes[k]));
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i % picked.size();
    /// Odd rounds through the list restore the originals.
    router.update((i / picked.size()) % 2 == 0 ? variants[k] : routes[picked[k]]);
    ++i;
  }
  /// Leave every route as generated.
  for (std::size_t k = 0; k < picked.size(); ++k) router.update(routes[picked[k]]);
}
BENCHMARK(BM_IncrementalUpdate)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_IncrementalMatch(benchmark::State& state) {
  const auto& requests = requests_of(state.range(0));
  const incremental_router& router = incremental_of(state.range(0));
  warm_once(router, state.range(0), requests);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match_uncached(requests[i++ % requests.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IncrementalMatch)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_ShardedBuild(benchmark::State& state) {
  const auto& routes = routes_of(state.range(0));
  std::unique_ptr<sharded_router> router;
  for (auto _ : state) {
    router = std::make_unique<sharded_router>(routes);
    benchmark::DoNotOptimize(router.get());
  }
  state.counters["bytes_per_route"] = static_cast<double>(router->bytes()) / static_cast<double>(routes.size());
  state.counters["shards"] = static_cast<double>(router->shard_count());
}
BENCHMARK(BM_ShardedBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMillisecond)
    ->MinTime(build_min_time_s);

void sharded_update(benchmark::State& state, bool catch_all) {
  const auto& routes = routes_of(state.range(0));
  sharded_router& router = sharded_of(state.range(0));
  const auto picked = spread(routes, !catch_all, catch_all);
  std::vector<route> variants;
  for (std::size_t k : picked) variants.push_back(changed(routes[k]));
  const auto reindexed_before = router.routes_reindexed();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i % picked.size();
    router.update((i / picked.size()) % 2 == 0 ? variants[k] : routes[picked[k]]);
    ++i;
  }
  state.counters["reindexed_per_update"] =
      static_cast<double>(router.routes_reindexed() - reindexed_before) / static_cast<double>(i);
  for (std::size_t k = 0; k < picked.size(); ++k) router.update(routes[picked[k]]);
}

void BM_ShardedUpdate(benchmark::State& state) { sharded_update(state, false); }
BENCHMARK(BM_ShardedUpdate)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_ShardedUpdateCatchAll(benchmark::State& state) { sharded_update(state, true); }
BENCHMARK(BM_ShardedUpdateCatchAll)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

void BM_ShardedMatch(benchmark::State& state) {
  const auto& requests = requests_of(state.range(0));
  const sharded_router& router = sharded_of(state.range(0));
  warm_once(router, state.range(0), requests);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match_uncached(requests[i++ % requests.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShardedMatch)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMicrosecond)
    ->MinTime(change_min_time_s);

}  // namespace
}  // namespace gwsim::router
