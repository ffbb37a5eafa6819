#include "models/memory/resident_memory.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace gwsim::memory {
namespace {

using sim::milliseconds;
using sim::seconds;

TEST(ResidentMemory, ZeroDelayReturnsFreedPagesAtOnce) {
  resident_memory rss(50e6, 0);
  rss.on_freed(300e6, 100e6, seconds(1));
  EXPECT_EQ(rss.resident_bytes(100e6, seconds(1)), 150e6);
  EXPECT_EQ(rss.retained_bytes(seconds(1)), 0);
  EXPECT_EQ(rss.pending_buckets(), 0u);
}

TEST(ResidentMemory, FreedPagesStayResidentForTheDelay) {
  const sim::time_ns delay = seconds(1);
  const sim::time_ns width = delay / 64;  // 1 s divides evenly
  resident_memory rss(10e6, delay);
  rss.on_freed(200e6, 100e6, 0);  // the heap went from 300 MB to 100 MB
  EXPECT_EQ(rss.resident_bytes(100e6, 0), 310e6);
  rss.on_freed(50e6, 50e6, milliseconds(500));
  EXPECT_EQ(rss.resident_bytes(50e6, delay - 1), 310e6);
  EXPECT_EQ(rss.resident_bytes(50e6, delay), 110e6);  // the first free went back on time
  EXPECT_EQ(rss.resident_bytes(50e6, milliseconds(1500) - 1), 110e6);
  EXPECT_EQ(rss.resident_bytes(50e6, milliseconds(1500) + width), 60e6);
  EXPECT_EQ(rss.pending_buckets(), 0u);
}

TEST(ResidentMemory, FrequentFreesCoalesceIntoBoundedBuckets) {
  const sim::time_ns delay = milliseconds(10);
  resident_memory rss(0, delay);
  std::deque<std::pair<sim::time_ns, double>> exact;
  double exact_sum = 0;
  std::size_t most = 0;
  double heap = 1e12;  // a heap that only shrinks: nothing is reused
  for (sim::time_ns t = 0; t < milliseconds(100); t += sim::microseconds(1)) {
    heap -= 1000;
    rss.on_freed(1000, heap, t);
    exact.emplace_back(t + delay, 1000);
    exact_sum += 1000;
    while (exact.front().first <= t) {
      exact_sum -= exact.front().second;
      exact.pop_front();
    }
    most = std::max(most, rss.pending_buckets());
    const double retained = rss.retained_bytes(t);
    // Never returned early; late by at most one bucket width (delay / 64).
    ASSERT_GE(retained, exact_sum);
    ASSERT_LE(retained, exact_sum + 1000.0 * static_cast<double>((delay / 64) / sim::microseconds(1) + 1));
  }
  EXPECT_LE(most, 66u);
  EXPECT_GE(most, 60u);
}

TEST(ResidentMemory, TheHeapGrowsIntoRetainedPagesBeforeTheProcessGrows) {
  resident_memory rss(10e6, seconds(10));
  rss.on_freed(200e6, 100e6, 0);  // 300 MB -> 100 MB: 200 MB stay mapped
  EXPECT_EQ(rss.resident_bytes(100e6, 0), 310e6);
  EXPECT_EQ(rss.resident_bytes(250e6, seconds(1)), 310e6);  // reuses 150 MB of them
  EXPECT_EQ(rss.retained_bytes(seconds(1)), 50e6);
  EXPECT_EQ(rss.resident_bytes(400e6, seconds(1)), 410e6);  // 50 MB reused, 100 MB new
  EXPECT_EQ(rss.retained_bytes(seconds(1)), 0);
  // Growth and a free reported together: the heap went 400 -> 450 -> 100.
  rss.on_freed(350e6, 100e6, seconds(2));
  EXPECT_EQ(rss.resident_bytes(100e6, seconds(2)), 460e6);
  EXPECT_EQ(rss.resident_bytes(100e6, seconds(13)), 110e6);  // returned after the delay
}

TEST(ResidentMemory, OnlyGrowthIntoPagesNeverHeldIsFirstTouch) {
  resident_memory rss(10e6, seconds(10));
  EXPECT_EQ(rss.resident_bytes(100e6, 0), 110e6);
  EXPECT_EQ(rss.take_grown_bytes(), 100e6);  // the starting heap
  EXPECT_EQ(rss.take_grown_bytes(), 0);      // taken once
  rss.on_freed(60e6, 40e6, seconds(1));      // 60 MB stay mapped
  EXPECT_EQ(rss.take_grown_bytes(), 0);
  (void)rss.resident_bytes(130e6, seconds(2));  // 60 MB reused, 30 MB new
  EXPECT_EQ(rss.take_grown_bytes(), 30e6);
  // Growth and a free reported together: 130 -> 150 -> 50 MB; 20 MB new.
  rss.on_freed(100e6, 50e6, seconds(3));
  EXPECT_EQ(rss.take_grown_bytes(), 20e6);
  // Without a delay every page the heap frees goes back: growing again touches new pages.
  resident_memory at_once(0, 0);
  (void)at_once.resident_bytes(100e6, 0);
  at_once.on_freed(80e6, 20e6, seconds(1));
  (void)at_once.resident_bytes(90e6, seconds(1));
  EXPECT_EQ(at_once.take_grown_bytes(), 170e6);
  at_once.reset();
  EXPECT_EQ(at_once.take_grown_bytes(), 0);
}

RC_GTEST_PROP(ResidentMemory, WithALongDelayResidentMemoryIsTheHeapsHighWaterMark, ()) {
  const auto sizes = *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 1000)));
  resident_memory rss(7, seconds(3600));
  double heap = 0;
  double high = 0;
  sim::time_ns now = 0;
  for (const int size : sizes) {
    now += milliseconds(10);
    const double next = size;
    if (next < heap) {
      rss.on_freed(heap - next, next, now);
    }
    heap = next;
    const double before = high;
    high = std::max(high, heap);
    RC_ASSERT(rss.resident_bytes(heap, now) == 7 + high);
    // What the process touched for the first time: the high-water mark's rise.
    RC_ASSERT(rss.take_grown_bytes() == high - before);
  }
}

TEST(ResidentMemory, RejectsInvalidArgumentsAndTimeGoingBack) {
  EXPECT_THROW(resident_memory(-1, 0), std::invalid_argument);
  EXPECT_THROW(resident_memory(0, -1), std::invalid_argument);
  try {
    resident_memory(0, -5);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("release_delay (ns) = -5 is invalid"), std::string::npos) << e.what();
  }
  resident_memory rss(0, seconds(1));
  rss.on_freed(1, 0, seconds(2));
  EXPECT_THROW(rss.on_freed(1, 0, seconds(1)), std::invalid_argument);
  EXPECT_THROW(rss.resident_bytes(0, seconds(1)), std::invalid_argument);
  EXPECT_THROW(rss.on_freed(-1, 0, seconds(3)), std::invalid_argument);
  EXPECT_THROW(rss.on_freed(1, -1, seconds(3)), std::invalid_argument);
  EXPECT_THROW(rss.on_freed(1, std::nan(""), seconds(3)), std::invalid_argument);
  EXPECT_THROW(rss.resident_bytes(-1, seconds(3)), std::invalid_argument);
}

TEST(ResidentMemory, ResetForgetsRetainedPagesAndTime) {
  resident_memory rss(5, seconds(10));
  rss.on_freed(100, 20, seconds(3));
  rss.reset();
  EXPECT_EQ(rss.resident_bytes(20, 0), 25);
  EXPECT_EQ(rss.pending_buckets(), 0u);
}

struct free_event {
  std::int64_t dt_us;
  int bytes;
};

RC_GTEST_PROP(ResidentMemory, RetainsExactlyTheRecentFreesUpToOneBucket, ()) {
  const sim::time_ns delay = sim::microseconds(*rc::gen::inRange<std::int64_t>(0, 5000));
  const auto events = *rc::gen::container<std::vector<free_event>>(
      rc::gen::build<free_event>(rc::gen::set(&free_event::dt_us, rc::gen::inRange<std::int64_t>(0, 300)),
                                 rc::gen::set(&free_event::bytes, rc::gen::inRange(0, 1000))));
  resident_memory rss(0, delay);
  const sim::time_ns width = std::max<sim::time_ns>(1, (delay + 63) / 64);
  std::vector<std::pair<sim::time_ns, double>> frees;
  sim::time_ns now = 0;
  double heap = 1e12;  // only shrinks: nothing is reused
  for (const free_event& e : events) {
    now += sim::microseconds(e.dt_us);
    heap -= e.bytes;
    rss.on_freed(e.bytes, heap, now);
    frees.emplace_back(now, e.bytes);
    double at_least = 0;
    double at_most = 0;
    for (const auto& [t, b] : frees) {
      if (delay > 0 && t + delay > now) at_least += b;
      if (delay > 0 && t + delay + width > now) at_most += b;
    }
    const double retained = rss.retained_bytes(now);
    RC_ASSERT(retained >= at_least - 1e-6);
    RC_ASSERT(retained <= at_most + 1e-6);
    RC_ASSERT(rss.pending_buckets() <= 66u);
  }
}

}  // namespace
}  // namespace gwsim::memory
