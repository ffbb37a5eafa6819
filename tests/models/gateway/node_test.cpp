// The pod: the OOM killer picks the largest worker, and the killed worker's
// requests fail.

#include "models/gateway/node.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace gwsim::gateway {
namespace {

struct pod_fixture : ::testing::Test {
  scenario s = [] {
    scenario x;
    x.cluster.workers_per_node = 3;
    x.cluster.pod_memory_limit_bytes = 64.0 * (1ull << 30);
    x.routes.routes = x.routes.services = 1'000;
    x.traffic.upstream_latency_s = 1.0;  // requests stay in flight
    return x;
  }();
  sim::simulator sim;
  config_store store{sim, s.database, s.routes};
  std::unique_ptr<rebuild_strategy> strategy = make_strategy("full_rebuild");
  nlogn_cost_model cost{s.cost};
  metrics stats;
  context ctx{sim, s, sim::random_streams(1), store, *strategy, cost, stats, {}};

  request* make_request(std::uint32_t route) {
    stats.arrival();
    request* r = ctx.requests.acquire();
    r->arrival = sim.now();
    r->route = route;
    return r;
  }
};

TEST_F(pod_fixture, TheOomKillerPicksTheLargestWorkerAndFailsItsRequests) {
  node n(ctx, 0);
  worker& big = *n.workers()[1];
  // Distinct routes fill worker 1's match cache: its heap grows by a value
  // per route.
  for (std::uint32_t route = 1; route <= 2'000; ++route) big.accept(make_request(route));
  sim.run_until(sim::milliseconds(500));
  ASSERT_EQ(n.largest_worker(), &big);
  EXPECT_GT(big.resident_bytes(), n.workers()[0]->resident_bytes());
  const std::uint64_t in_flight = stats.requests() - stats.completed_count() - stats.errors();
  ASSERT_GT(in_flight, 0u);

  // Lower the limit under the current pod size: the next memory change
  // triggers the killer, which takes exactly the largest worker.
  s.cluster.pod_memory_limit_bytes = n.pod_resident_bytes() - 1.0;
  n.memory_changed(big);
  sim.run_until(sim::milliseconds(501));
  EXPECT_FALSE(big.alive());
  EXPECT_TRUE(n.workers()[0]->alive());
  EXPECT_TRUE(n.workers()[2]->alive());
  EXPECT_EQ(stats.errors(), in_flight);  // every request of the victim failed
  EXPECT_LE(n.pod_resident_bytes(), s.cluster.pod_memory_limit_bytes);
}

}  // namespace
}  // namespace gwsim::gateway
