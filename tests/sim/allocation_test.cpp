// The kernel does not allocate per event in steady state: buffers grow to
// their working size and keep their capacity, so scheduling, dispatching and
// cancelling allocate only when some buffer meets a new maximum, ever more
// rarely. Checked by counting calls to the global operator new.

#include <gtest/gtest.h>

#include "tests/support/count_allocations.hpp"

#include <memory>
#include <utility>
#include <vector>

#include "sim/distributions.hpp"
#include "sim/random.hpp"
#include "sim/ring_buffer.hpp"
#include "sim/simulator.hpp"
#include "sim/timer.hpp"

namespace gwsim::sim {
namespace {

/// Requests arrive, each arms a timeout that is usually cancelled by the
/// response: the pattern of the gateway models, with FIFO parking.
struct request_model {
  request_model(simulator& s, rng a, rng b) : sim(s), arrivals_rng(a), service_rng(b) {}
  simulator& sim;
  rng arrivals_rng;
  rng service_rng;
  exponential interarrival{1000.0};
  exponential service{1100.0};
  ring_buffer<time_ns> parked;
  std::vector<std::unique_ptr<timer>> timeouts;
  std::size_t next_timeout = 0;
  std::uint64_t timed_out = 0;

  void arrive() {
    sim.schedule_in(from_seconds(interarrival(arrivals_rng)), [this] { arrive(); });
    parked.push_back(sim.now());
    timeouts[next_timeout++ % timeouts.size()]->arm_in(milliseconds(50));
    sim.schedule_in(from_seconds(service(service_rng)), [this] { respond(); });
  }
  void respond() {
    if (!parked.empty()) parked.pop_front();
    timeouts[next_timeout % timeouts.size()]->cancel();
  }
};

TEST(Allocation, SteadyStateSchedulingDispatchAndCancellationAllocateNothing) {
  simulator sim;
  random_streams streams(3);
  request_model m(sim, streams.stream("arrivals"), streams.stream("service"));
  for (int i = 0; i < 64; ++i) {
    m.timeouts.push_back(std::make_unique<timer>(sim, [p = &m] { ++p->timed_out; }));
  }
  // A background of periodic components (pollers, GC steps) with periods
  // from 1 to 10 s, so the ladder has rungs of several widths to manage.
  struct poller {
    simulator* sim;
    time_ns period;
    void tick() { sim->schedule_in(period, [this] { tick(); }); }
  };
  std::vector<poller> pollers;
  for (int i = 0; i < 2'000; ++i) pollers.push_back(poller{&sim, milliseconds(1'000 + (i * 7'919) % 9'000)});
  for (auto& p : pollers) sim.schedule_in(p.period, [q = &p] { q->tick(); });
  sim.schedule_in(0, [p = &m] { p->arrive(); });
  sim.run_until(seconds(100));  // warm-up
  auto window = [&](time_ns until) {
    const std::size_t allocs = gwsim::testing::allocations();
    const std::uint64_t events = sim.events_dispatched();
    sim.run_until(until);
    return std::pair{gwsim::testing::allocations() - allocs, sim.events_dispatched() - events};
  };
  // Buffers only ever grow (capacity is kept when emptied), so the few
  // allocations left are buckets meeting a new maximum occupancy: their
  // number per event falls towards zero as the run goes on.
  const auto [allocs1, events1] = window(seconds(300));
  const auto [allocs2, events2] = window(seconds(600));
  EXPECT_GT(events1, 500'000u);
  EXPECT_GT(events2, 500'000u);
  EXPECT_LE(allocs1 * 1'000, events1) << allocs1 << " allocations in " << events1 << " events";
  EXPECT_LE(allocs2 * 20'000, events2) << allocs2 << " allocations in " << events2 << " events";
  EXPECT_LT(allocs2, allocs1);
}

}  // namespace
}  // namespace gwsim::sim
