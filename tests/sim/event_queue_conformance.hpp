#pragma once
// Conformance tests every pending-event set must pass. Instantiated by the
// test file of each queue (ladder_queue_test.cpp, dary_heap_test.cpp).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "sim/event.hpp"

namespace gwsim::sim::testing {

inline event make_event(time_ns t, std::uint64_t seq) { return event{t, seq, nullptr, nullptr}; }

/// Reference: a sorted vector.
struct reference_queue {
  std::vector<event> v;
  void push(const event& e) { v.insert(std::upper_bound(v.begin(), v.end(), e, event_order{}), e); }
  event pop() {
    event e = v.front();
    v.erase(v.begin());
    return e;
  }
};

/// Drives `Queue` and the reference through the same hold-like workload and
/// checks that they pop the same sequence.
template <class Queue>
void check_against_reference(std::uint64_t seed, int pending, int operations, double mean_increment,
                             double same_time_fraction) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> inc(1.0 / mean_increment);
  std::bernoulli_distribution same(same_time_fraction);
  Queue q;
  reference_queue ref;
  std::uint64_t seq = 1;
  time_ns now = 0;
  for (int i = 0; i < pending; ++i) {
    event e = make_event(static_cast<time_ns>(inc(rng)), seq++);
    q.push(e);
    ref.push(e);
  }
  for (int i = 0; i < operations; ++i) {
    ASSERT_EQ(q.size(), ref.v.size());
    if (!ref.v.empty() && (rng() % 3 != 0 || ref.v.size() > static_cast<std::size_t>(2 * pending))) {
      event a = q.pop();
      event b = ref.pop();
      ASSERT_EQ(a.seq, b.seq) << "at operation " << i << ", seed " << seed;
      ASSERT_EQ(a.time, b.time);
      ASSERT_GE(a.time, now);
      now = a.time;
    }
    time_ns t = same(rng) ? now : now + static_cast<time_ns>(inc(rng));
    event e = make_event(t, seq++);
    q.push(e);
    ref.push(e);
  }
  while (!ref.v.empty()) {
    ASSERT_EQ(q.pop().seq, ref.pop().seq);
  }
  EXPECT_TRUE(q.empty());
}

template <class Queue>
class event_queue_conformance : public ::testing::Test {};
TYPED_TEST_SUITE_P(event_queue_conformance);

TYPED_TEST_P(event_queue_conformance, PopsInTimeThenSequenceOrder) {
  TypeParam q;
  q.push(make_event(5, 1));
  q.push(make_event(3, 2));
  q.push(make_event(5, 3));
  q.push(make_event(3, 4));
  q.push(make_event(0, 5));
  std::vector<std::uint64_t> order;
  while (!q.empty()) order.push_back(q.pop().seq);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{5, 2, 4, 1, 3}));
}

TYPED_TEST_P(event_queue_conformance, ManySimultaneousEventsKeepFifoOrder) {
  TypeParam q;
  for (std::uint64_t s = 1; s <= 10'000; ++s) q.push(make_event(42, s));
  for (std::uint64_t s = 1; s <= 10'000; ++s) ASSERT_EQ(q.pop().seq, s);
}

TYPED_TEST_P(event_queue_conformance, MatchesReferenceOnHoldWorkloads) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    check_against_reference<TypeParam>(seed, 100, 20'000, 1000.0, 0.05);
    check_against_reference<TypeParam>(seed, 3, 5'000, 10.0, 0.2);
    check_against_reference<TypeParam>(seed, 2'000, 20'000, 1e6, 0.0);
    check_against_reference<TypeParam>(seed, 500, 5'000, 2.0, 0.5);  // dense ties
  }
}

TYPED_TEST_P(event_queue_conformance, HandlesSkewedFarFutureEvents) {
  // One event at the end of time and many near now: the far event must not
  // make the near ones coarse.
  TypeParam q;
  q.push(make_event(time_max, 1));
  std::uint64_t seq = 2;
  for (int i = 0; i < 5'000; ++i) q.push(make_event(i % 97, seq++));
  time_ns last = -1;
  for (int i = 0; i < 5'000; ++i) {
    event e = q.pop();
    ASSERT_GE(e.time, last);
    last = e.time;
  }
  EXPECT_EQ(q.pop().seq, 1u);
}

TYPED_TEST_P(event_queue_conformance, EraseIfRemovesExactlyTheMatches) {
  TypeParam q;
  std::mt19937_64 rng(7);
  for (std::uint64_t s = 1; s <= 3'000; ++s) q.push(make_event(static_cast<time_ns>(rng() % 10'000), s));
  for (int i = 0; i < 500; ++i) q.pop();  // put the structure in a mid-run state
  std::size_t before = q.size();
  std::size_t removed = q.erase_if([](const event& e) { return e.seq % 3 == 0; });
  EXPECT_EQ(q.size(), before - removed);
  time_ns last = -1;
  std::size_t n = 0;
  while (!q.empty()) {
    event e = q.pop();
    ASSERT_NE(e.seq % 3, 0u);
    ASSERT_GE(e.time, last);
    last = e.time;
    ++n;
  }
  EXPECT_EQ(n, before - removed);
}

REGISTER_TYPED_TEST_SUITE_P(event_queue_conformance, PopsInTimeThenSequenceOrder,
                            ManySimultaneousEventsKeepFifoOrder, MatchesReferenceOnHoldWorkloads,
                            HandlesSkewedFarFutureEvents, EraseIfRemovesExactlyTheMatches);

}  // namespace gwsim::sim::testing
