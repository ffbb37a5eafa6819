// The gateway model end to end: simulated requests per second of wall time.
//
//   BM_IncidentHour     one simulated hour at 2,000 requests/s over 4 workers
//                       (7.2M requests) with 50,000 routes, an admin write
//                       every 30 s, rebuilds and garbage collection active
//   BM_QuietMinute/<routes>  one simulated minute of traffic, no writes

#include <benchmark/benchmark.h>

#include "models/gateway/simulation.hpp"

namespace gwsim::gateway {
namespace {

scenario incident_hour() {
  scenario s;
  s.name = "benchmark: one hour, 2000 req/s";
  s.cluster.workers_per_node = 4;
  s.cluster.pod_memory_limit_bytes = 64.0 * (1ull << 30);  // measure the model, not OOM storms
  s.traffic.rate_per_s = 2000;
  s.routes.routes = s.routes.services = 50'000;
  s.admin.poisson_rate_per_s = 1.0 / 30.0;
  s.run.duration_s = 3600;
  s.run.sample_interval_s = 10;
  return s;
}

void BM_IncidentHour(benchmark::State& state) {
  const scenario s = incident_hour();
  std::uint64_t requests = 0;
  for (auto _ : state) {
    result r = run(s);
    requests += r.totals.requests;
    benchmark::DoNotOptimize(r.totals.latency_p99_s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
  state.counters["sim_requests"] = static_cast<double>(requests) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IncidentHour)->Unit(benchmark::kSecond)->Iterations(1);

void BM_QuietMinute(benchmark::State& state) {
  scenario s = incident_hour();
  s.admin.poisson_rate_per_s = 0;
  s.routes.routes = s.routes.services = static_cast<int>(state.range(0));
  s.run.duration_s = 60;
  std::uint64_t requests = 0;
  for (auto _ : state) {
    result r = run(s);
    requests += r.totals.requests;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
}
BENCHMARK(BM_QuietMinute)->Arg(50'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gwsim::gateway
