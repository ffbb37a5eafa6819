#include "sim/timer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace gwsim::sim {
namespace {

struct watchdog {
  simulator& sim;
  int fired = 0;
  time_ns fired_at = -1;
  timer t{sim, [this] { on_fire(); }};
  void on_fire() {
    ++fired;
    fired_at = sim.now();
  }
};

TEST(Timer, FiresOnceAtItsExpiry) {
  simulator sim;
  watchdog w{sim};
  w.t.arm_in(seconds(3));
  EXPECT_TRUE(w.t.armed());
  EXPECT_EQ(w.t.expiry(), seconds(3));
  sim.run();
  EXPECT_EQ(w.fired, 1);
  EXPECT_EQ(w.fired_at, seconds(3));
  EXPECT_FALSE(w.t.armed());
}

TEST(Timer, CancelPreventsFiring) {
  simulator sim;
  watchdog w{sim};
  w.t.arm_in(seconds(3));
  EXPECT_TRUE(w.t.cancel());
  EXPECT_FALSE(w.t.cancel());
  EXPECT_EQ(sim.pending(), 0u);
  sim.run();
  EXPECT_EQ(w.fired, 0);
  EXPECT_EQ(sim.events_dispatched(), 0u);
}

TEST(Timer, ReschedulingReplacesThePendingExpiry) {
  simulator sim;
  watchdog w{sim};
  w.t.arm_in(seconds(3));
  w.t.arm_in(seconds(1));
  w.t.arm_at(seconds(7));
  EXPECT_EQ(sim.pending(), 1u);
  sim.run();
  EXPECT_EQ(w.fired, 1);
  EXPECT_EQ(w.fired_at, seconds(7));
}

TEST(Timer, CancelAfterFiringIsANoOp) {
  simulator sim;
  watchdog w{sim};
  w.t.arm_in(1);
  sim.run();
  EXPECT_FALSE(w.t.cancel());
  EXPECT_EQ(sim.pending(), 0u);
}

TEST(Timer, InvalidArmLeavesThePendingExpiry) {
  simulator sim;
  watchdog w{sim};
  sim.run_until(seconds(5));
  w.t.arm_in(seconds(1));
  EXPECT_THROW(w.t.arm_at(seconds(1)), std::invalid_argument);
  EXPECT_TRUE(w.t.armed());
  sim.run();
  EXPECT_EQ(w.fired_at, seconds(6));
}

TEST(Timer, DestroyingAnArmedTimerIsSafe) {
  simulator sim;
  {
    auto w = std::make_unique<watchdog>(sim);
    w->t.arm_in(seconds(1));
  }
  sim.run();  // the cancelled event is dropped without touching freed memory
  EXPECT_EQ(sim.events_dispatched(), 0u);
}

TEST(Timer, HeavyCancellationKeepsTheQueueBounded) {
  // Request-timeout pattern: arm, then cancel almost always. Cancelled
  // events are purged once they outnumber live ones.
  simulator sim;
  std::vector<std::unique_ptr<watchdog>> dogs;
  for (int i = 0; i < 100; ++i) dogs.push_back(std::make_unique<watchdog>(sim));
  for (int round = 0; round < 2'000; ++round) {
    for (auto& d : dogs) d->t.arm_in(seconds(10) + round);
    ASSERT_LE(sim.queued(), 2 * 4'096u + 100u) << "cancelled events are not being purged";
  }
  EXPECT_EQ(sim.pending(), 100u);
  sim.run();
  for (auto& d : dogs) {
    EXPECT_EQ(d->fired, 1);
    EXPECT_EQ(d->fired_at, seconds(10) + 1'999);
  }
  EXPECT_EQ(sim.events_dispatched(), 100u);
}

}  // namespace
}  // namespace gwsim::sim
