#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/dary_heap.hpp"

namespace gwsim::sim {
namespace {

struct recorder {
  simulator& sim;
  std::vector<std::pair<time_ns, int>> log;
  void note(int id) { log.emplace_back(sim.now(), id); }
};

TEST(Simulator, DispatchesInTimeOrderAndFifoForTies) {
  simulator sim;
  recorder r{sim, {}};
  sim.schedule_at(seconds(2), [&r] { r.note(1); });
  sim.schedule_at(seconds(1), [&r] { r.note(2); });
  sim.schedule_at(seconds(2), [&r] { r.note(3); });
  sim.schedule_at(seconds(1), [&r] { r.note(4); });
  sim.run();
  std::vector<std::pair<time_ns, int>> want{{seconds(1), 2}, {seconds(1), 4}, {seconds(2), 1}, {seconds(2), 3}};
  EXPECT_EQ(r.log, want);
  EXPECT_EQ(sim.events_dispatched(), 4u);
  EXPECT_EQ(sim.now(), seconds(2));
}

struct ping {
  simulator& sim;
  int count = 0;
  void tick() {
    if (++count < 10) sim.schedule_in<&ping::tick>(milliseconds(100), this);
  }
};

TEST(Simulator, MemberFunctionHandlersChainEvents) {
  simulator sim;
  ping p{sim};
  sim.schedule_at<&ping::tick>(0, &p);
  sim.run();
  EXPECT_EQ(p.count, 10);
  EXPECT_EQ(sim.now(), milliseconds(900));
}

TEST(Simulator, EventsScheduledForNowRunAfterThoseAlreadyDueNow) {
  simulator sim;
  std::vector<int> order;
  struct ctx {
    simulator* sim;
    std::vector<int>* order;
  } c{&sim, &order};
  sim.schedule_at(seconds(1), [&c] {
    c.order->push_back(1);
    c.sim->schedule_in(0, [&c] { c.order->push_back(3); });
  });
  sim.schedule_at(seconds(1), [&c] { c.order->push_back(2); });
  sim.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Simulator, RunUntilStopsAtTheHorizonAndAdvancesTheClock) {
  simulator sim;
  int fired = 0;
  sim.schedule_at(seconds(1), [&fired] { ++fired; });
  sim.schedule_at(seconds(5), [&fired] { ++fired; });
  sim.schedule_at(seconds(3), [&fired] { ++fired; });
  sim.run_until(seconds(3));
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(sim.now(), seconds(3));
  EXPECT_EQ(sim.pending(), 1u);
  sim.run_until(seconds(4));
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(sim.now(), seconds(4));
  sim.run();
  EXPECT_EQ(fired, 3);
}

TEST(Simulator, StopEndsTheRunAfterTheCurrentEvent) {
  simulator sim;
  int fired = 0;
  struct ctx {
    simulator* sim;
    int* fired;
  } c{&sim, &fired};
  for (int i = 1; i <= 5; ++i) {
    sim.schedule_at(seconds(i), [&c] {
      if (++*c.fired == 2) c.sim->stop();
    });
  }
  sim.run();
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(sim.now(), seconds(2));
  sim.run();
  EXPECT_EQ(fired, 5);
}

TEST(Simulator, StepDispatchesOneEvent) {
  simulator sim;
  int fired = 0;
  sim.schedule_at(seconds(1), [&fired] { ++fired; });
  sim.schedule_at(seconds(2), [&fired] { ++fired; });
  EXPECT_TRUE(sim.step());
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(sim.step());
  EXPECT_FALSE(sim.step());
}

TEST(Simulator, RejectsSchedulingInThePastNamingTheValue) {
  simulator sim;
  sim.schedule_at(seconds(2), [] {});
  sim.run();
  try {
    sim.schedule_at(seconds(1), [] {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1000000000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("now"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sim.schedule_in(-1, [] {}), std::invalid_argument);
  EXPECT_THROW(sim.schedule_in(time_max, [] {}), std::invalid_argument);
  EXPECT_THROW(sim.run_until(seconds(1)), std::invalid_argument);
}

TEST(Simulator, FromSecondsRejectsNonFiniteAndNegativeValues) {
  EXPECT_EQ(from_seconds(1.5), 1'500'000'000);
  EXPECT_EQ(from_seconds(0.0), 0);
  EXPECT_THROW(from_seconds(-1.0, "delay"), std::invalid_argument);
  EXPECT_THROW(from_seconds(std::nan(""), "delay"), std::invalid_argument);
  EXPECT_THROW(from_seconds(1e300, "delay"), std::invalid_argument);
  try {
    from_seconds(-2.0, "service_time");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("service_time"), std::string::npos);
  }
}

TEST(Simulator, TraceSeesEveryDispatchedEvent) {
  simulator sim;
  std::vector<time_ns> seen;
  sim.set_trace([](void* c, const event& e) { static_cast<std::vector<time_ns>*>(c)->push_back(e.time); }, &seen);
  sim.schedule_at(3, [] {});
  sim.schedule_at(1, [] {});
  sim.run();
  EXPECT_EQ(seen, (std::vector<time_ns>{1, 3}));
}

TEST(Simulator, HeapAndLadderBackedSimulatorsAgree) {
  // The same self-scheduling model on two pending-event sets gives the same
  // trace: the queue is an implementation choice, never a semantic one.
  auto trace = [](auto& sim) {
    std::vector<std::uint64_t> out;
    sim.set_trace([](void* c, const event& e) { static_cast<std::vector<std::uint64_t>*>(c)->push_back(e.seq); },
                  &out);
    struct node {
      decltype(&sim) s;
      std::uint64_t state;
      void go() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        if (s->events_dispatched() < 20'000) s->schedule_in(static_cast<time_ns>((state >> 40) % 1000), [this] { go(); });
      }
    };
    std::vector<node> nodes(50, node{&sim, 0});
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      nodes[i].state = i;
      sim.schedule_at(static_cast<time_ns>(i % 7), [n = &nodes[i]] { n->go(); });
    }
    sim.run();
    return out;
  };
  simulator ladder;
  basic_simulator<dary_heap<4>> heap;
  EXPECT_EQ(trace(ladder), trace(heap));
}

}  // namespace
}  // namespace gwsim::sim
