// Router costs on synthetic route sets: the measurements that will calibrate
// the simulator's rebuild and match costs.
//
//   BM_GenerateRoutes/<N>          synthetic route-set generation (baseline)
//   BM_ReferenceBuild/<N>          building the reference (linear) matcher
//   BM_ReferenceMatch/<N>          one match by linear scan (the slow yardstick)
//   BM_TraditionalBuild/<N>        a full build of the Kong 2.x router
//   BM_TraditionalMatch/<N>/<hit%> matches with the LRU cache (Zipf requests;
//                                  0 = cache off, every match a miss)
//   BM_TraditionalBytes/<N>        bytes per route it holds (counter)
//   BM_RadixBuild/<N>, BM_RadixMatch/<N>, BM_RadixBytes/<N>  the same for the
//                                  path radix tree (no cache: every match a miss)

#include <benchmark/benchmark.h>

#include "models/router/reference_matcher.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/synthetic_routes.hpp"
#include "models/router/traditional_router.hpp"

namespace gwsim::router {
namespace {

route_set_config config(std::int64_t n) {
  route_set_config c;
  c.routes = static_cast<std::size_t>(n);
  c.distinct_hosts = std::max<std::size_t>(10, c.routes / 250);
  return c;
}

void BM_GenerateRoutes(benchmark::State& state) {
  const route_set_config c = config(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(generate_routes(c));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_GenerateRoutes)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond);

void BM_ReferenceBuild(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(reference_matcher(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ReferenceBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond);

void BM_ReferenceMatch(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  const reference_matcher m(routes);
  const std::vector<request> requests = generate_requests(routes, 1'000, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReferenceMatch)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMicrosecond);

void BM_TraditionalBuild(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(traditional_router(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TraditionalBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_TraditionalMatch(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  const bool cached = state.range(1) != 0;
  traditional_router r(routes, cached ? 5'000 : 0);
  const std::vector<request> requests = generate_requests(routes, 100'000, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
  const double total = static_cast<double>(r.cache_hits() + r.cache_misses());
  if (cached && total > 0) state.counters["hit_ratio"] = static_cast<double>(r.cache_hits()) / total;
}
BENCHMARK(BM_TraditionalMatch)->ArgsProduct({{1'000, 10'000, 50'000}, {0, 1}})->Unit(benchmark::kMicrosecond);

void BM_TraditionalBytes(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  double per_route = 0;
  for (auto _ : state) {
    traditional_router r(routes, 5'000);
    per_route = static_cast<double>(r.bytes()) / static_cast<double>(routes.size());
  }
  state.counters["bytes_per_route"] = per_route;
}
BENCHMARK(BM_TraditionalBytes)->Arg(50'000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_RadixBuild(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(radix_router(routes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RadixBuild)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond);

void BM_RadixMatch(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  const radix_router r(routes);
  const std::vector<request> requests = generate_requests(routes, 100'000, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.match(requests[i]));
    i = (i + 1) % requests.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RadixMatch)->Arg(1'000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMicrosecond);

void BM_RadixBytes(benchmark::State& state) {
  const std::vector<route> routes = generate_routes(config(state.range(0)));
  double per_route = 0;
  for (auto _ : state) per_route = static_cast<double>(radix_router(routes).bytes()) / static_cast<double>(routes.size());
  state.counters["bytes_per_route"] = per_route;
}
BENCHMARK(BM_RadixBytes)->Arg(50'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace gwsim::router
