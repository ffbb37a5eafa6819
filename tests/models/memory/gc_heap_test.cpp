#include "models/memory/gc_heap.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gwsim::memory {
namespace {

constexpr double kib = 1024.0;
constexpr double mib = 1024.0 * 1024.0;

/// Allocates garbage in `chunk`-byte pieces until `done(heap)`; returns the
/// bytes allocated. Gives up (failing the test) after `limit` bytes.
template <class Done>
double drive(gc_heap& heap, double chunk, Done done, double limit = 1e11) {
  double allocated = 0;
  while (!done(heap)) {
    heap.allocate_garbage(chunk);
    allocated += chunk;
    if (allocated > limit) {
      ADD_FAILURE() << "drive: condition not reached after " << allocated << " bytes";
      break;
    }
  }
  return allocated;
}

auto in_phase(gc_phase p) {
  return [p](const gc_heap& h) { return h.phase() == p; };
}

auto cycles_reach(std::uint64_t n) {
  return [n](const gc_heap& h) { return h.cycles_completed() >= n; };
}

void expect_invalid(const gc_params& p, const std::string& fragment) {
  try {
    gc_heap heap(p, 0);
    ADD_FAILURE() << "expected std::invalid_argument mentioning " << fragment;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(GcHeap, InvalidParametersNameTheParameterValueAndRange) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  gc_params p;
  p.pause = 50;
  expect_invalid(p, "gc_pause = 50 is invalid: must be in [100, 1000] (percent)");
  p = {};
  p.pause = nan;
  expect_invalid(p, "gc_pause");
  p = {};
  p.stepmul = 99;
  expect_invalid(p, "gc_stepmul = 99 is invalid: must be in [100, 10000]");
  p = {};
  p.stepmul = 10001;
  expect_invalid(p, "gc_stepmul = 10001");
  p = {};
  p.mark_ns_per_byte = -1;
  expect_invalid(p, "gc_mark_ns_per_byte = -1 is invalid: must be finite and >= 0");
  p = {};
  p.sweep_ns_per_byte = inf;
  expect_invalid(p, "gc_sweep_ns_per_byte = inf");
  p = {};
  p.free_ns_per_byte = -0.5;
  expect_invalid(p, "gc_free_ns_per_byte = -0.5 is invalid: must be finite and >= 0");
  p = {};
  p.step_size_bytes = 0.5;
  expect_invalid(p, "gc_step_size_bytes = 0.5 is invalid: must be in [1, 1073741824]");
  p = {};
  p.mean_object_bytes = 4;
  expect_invalid(p, "gc_mean_object_bytes = 4");

  EXPECT_THROW(gc_heap(gc_params{}, -1), std::invalid_argument);
  EXPECT_THROW(gc_heap(gc_params{}, nan), std::invalid_argument);
  gc_heap heap(gc_params{}, 1 * mib);
  EXPECT_THROW(heap.allocate(nan), std::invalid_argument);
  EXPECT_THROW(heap.allocate(-1), std::invalid_argument);
  EXPECT_THROW(heap.allocate_garbage(inf), std::invalid_argument);
  EXPECT_THROW(heap.allocate_garbage(2e15), std::invalid_argument);
  EXPECT_THROW(heap.reset(nan), std::invalid_argument);
}

TEST(GcHeap, ReleasingADeadOrForeignIdThrows) {
  gc_heap heap(gc_params{}, 1 * mib);
  const object_id id = heap.allocate(100);
  EXPECT_TRUE(heap.is_live(id));
  heap.release(id);
  EXPECT_FALSE(heap.is_live(id));
  EXPECT_THROW(heap.release(id), std::invalid_argument);
  EXPECT_THROW(heap.release(object_id{}), std::invalid_argument);
  const object_id reused = heap.allocate(100);  // same slot, new generation
  EXPECT_EQ(reused.index, id.index);
  EXPECT_THROW(heap.release(id), std::invalid_argument);
  heap.reset(1 * mib);
  EXPECT_FALSE(heap.is_live(reused));
  EXPECT_THROW(heap.release(reused), std::invalid_argument);
}

TEST(GcHeap, CycleStartsAtPausePercentOfThePostCycleSize) {
  for (const double pause : {200.0, 300.0}) {
    gc_params p;
    p.pause = pause;
    const double live = 10 * mib;
    gc_heap heap(p, live);
    EXPECT_DOUBLE_EQ(heap.threshold_bytes(), live * pause / 100);
    heap.allocate_garbage(heap.threshold_bytes() - live - 1);
    EXPECT_EQ(heap.phase(), gc_phase::pause);
    EXPECT_EQ(heap.cumulative_marked_bytes(), 0);
    heap.allocate_garbage(1);  // reaches the threshold: the first step runs at once
    EXPECT_EQ(heap.phase(), gc_phase::propagate);
    EXPECT_DOUBLE_EQ(heap.cumulative_marked_bytes(), p.step_size_bytes * p.stepmul / 100);

    drive(heap, 4 * kib, cycles_reach(1));
    // Only garbage was allocated and nothing died during the cycle: the
    // estimate is the live size, and the next cycle starts at pause% of it.
    EXPECT_NEAR(heap.estimate_bytes(), live, 1e-6);
    EXPECT_NEAR(heap.threshold_bytes(), live * pause / 100, 1e-6);
    drive(heap, 1, in_phase(gc_phase::propagate));
    EXPECT_NEAR(heap.total_bytes(), live * pause / 100, 1.0);
  }
}

TEST(GcHeap, GarbageIsFreedOnlyBySweepingAndAllOfItByTheEndOfTheCycle) {
  const double live = 10 * mib;
  gc_heap heap(gc_params{}, live);
  heap.allocate_garbage(4 * mib);  // dead before the cycle starts
  drive(heap, 4 * kib, in_phase(gc_phase::propagate));
  const double garbage_at_start = heap.garbage_bytes();
  double freed_while_marking = 0;
  double garbage_allocated_while_sweeping = 0;
  while (heap.phase() == gc_phase::propagate) {
    heap.allocate_garbage(1 * kib);
    freed_while_marking += heap.take_freed_bytes();
  }
  EXPECT_EQ(freed_while_marking, 0);
  ASSERT_EQ(heap.phase(), gc_phase::sweep);
  const double garbage_at_sweep = heap.garbage_bytes();
  EXPECT_GT(garbage_at_sweep, garbage_at_start);  // garbage allocated while marking
  double freed = 0;
  while (heap.cycles_completed() == 0) {
    const bool sweeping = heap.phase() == gc_phase::sweep;
    heap.allocate_garbage(1 * kib);
    if (sweeping) garbage_allocated_while_sweeping += 1 * kib;
    freed += heap.take_freed_bytes();
  }
  // Everything dead when the sweep started is gone; what was allocated while
  // sweeping survives it.
  EXPECT_NEAR(freed, garbage_at_sweep, 1e-6);
  EXPECT_NEAR(heap.garbage_bytes(), garbage_allocated_while_sweeping, 1 * kib);
  EXPECT_NEAR(heap.total_bytes(), live + heap.garbage_bytes(), 1e-6);
}

TEST(GcHeap, SweepFreesGarbageProgressively) {
  gc_heap heap(gc_params{}, 10 * mib);
  drive(heap, 4 * kib, in_phase(gc_phase::sweep));
  const double collectable = heap.garbage_bytes() - heap.floating_bytes();
  drive(heap, 1 * kib, [](const gc_heap& h) { return h.cumulative_freed_bytes() > 0; });
  EXPECT_EQ(heap.phase(), gc_phase::sweep);
  EXPECT_LT(heap.cumulative_freed_bytes(), collectable / 2);
}

TEST(GcHeap, ObjectReleasedWhileMarkingFloatsForExactlyOneCycle) {
  const double live = 10 * mib;
  const double object = 8 * mib;
  gc_heap heap(gc_params{}, live);
  const object_id id = heap.allocate(object);
  drive(heap, 4 * kib, in_phase(gc_phase::propagate));
  heap.release(id);
  EXPECT_DOUBLE_EQ(heap.floating_bytes(), object);
  EXPECT_DOUBLE_EQ(heap.live_bytes(), live);

  drive(heap, 4 * kib, cycles_reach(1));
  // It survived the cycle during which it died ...
  EXPECT_GE(heap.garbage_bytes(), object);
  EXPECT_NEAR(heap.estimate_bytes(), live + object, 1e-6);
  heap.take_freed_bytes();
  // ... and the next cycle frees it with the rest.
  drive(heap, 4 * kib, cycles_reach(2));
  EXPECT_GE(heap.take_freed_bytes(), object);
  EXPECT_LT(heap.garbage_bytes(), object);
  EXPECT_NEAR(heap.estimate_bytes(), live, 1e-6);
}

TEST(GcHeap, ObjectReleasedInThePauseIsFreedByTheNextCycle) {
  const double live = 10 * mib;
  gc_heap heap(gc_params{}, live);
  const object_id id = heap.allocate(8 * mib);
  heap.release(id);
  EXPECT_EQ(heap.floating_bytes(), 0);
  EXPECT_DOUBLE_EQ(heap.garbage_bytes(), 8 * mib);
  drive(heap, 4 * kib, cycles_reach(1));
  EXPECT_NEAR(heap.estimate_bytes(), live, 1e-6);
  EXPECT_GE(heap.cumulative_freed_bytes(), 8 * mib);
}

TEST(GcHeap, LiveDataAllocatedWhileMarkingIsMarkedAtomicallyWithoutSlowingThePace) {
  const double live = 10 * mib;
  const double build = 4 * mib;
  gc_heap heap(gc_params{}, live);
  heap.allocate_garbage(heap.threshold_bytes() - heap.total_bytes());
  ASSERT_EQ(heap.phase(), gc_phase::propagate);
  const object_id router = heap.allocate(build);  // a new router, built while marking
  EXPECT_EQ(heap.phase(), gc_phase::propagate);   // 4 MiB at 2 units per byte: mark needs 5 MiB
  const double to_sweep = drive(heap, 1 * kib, in_phase(gc_phase::sweep));
  // Marking the live size at cycle start took live / 2 bytes of allocation,
  // the build included; the build itself is marked by the atomic step.
  EXPECT_NEAR(build + to_sweep, live / 2, 1 * kib);
  EXPECT_NEAR(heap.cumulative_marked_bytes(), live + build, 1e-6);
  EXPECT_TRUE(heap.is_live(router));
}

/// A router build allocates far faster than the collector marks: the heap
/// passes twice the live size before the cycle can free anything, and less
/// so the higher the step multiplier.
double peak_total_during_first_cycle(double stepmul, double live) {
  gc_params p;
  p.stepmul = stepmul;
  gc_heap heap(p, live);
  double peak = heap.total_bytes();
  while (heap.cycles_completed() == 0) {
    heap.allocate_garbage(64 * kib);
    peak = std::max(peak, heap.total_bytes());
  }
  return peak;
}

TEST(GcHeap, FastAllocatorOutrunsTheCollector) {
  const double live = 50 * mib;
  const double peak_200 = peak_total_during_first_cycle(200, live);
  const double peak_1000 = peak_total_during_first_cycle(1000, live);
  // The sweep starts after live / (stepmul / 100) more bytes.
  EXPECT_GT(peak_200, 2.0 * live);
  EXPECT_NEAR(peak_200, 2.5 * live, 128 * kib);
  EXPECT_NEAR(peak_1000, 2.1 * live, 128 * kib);
  EXPECT_LT(peak_1000, peak_200);
}

TEST(GcHeap, SteadyStateOscillatesBetweenLiveAndPausePercentOfLivePlusLag) {
  const gc_params p;
  const double live = 10 * mib;
  const double units_per_byte = p.stepmul / 100;
  const double mark_lag = live / units_per_byte;
  const double sweep_lag = (2 * live + mark_lag) * (10 / p.mean_object_bytes) / units_per_byte;
  gc_heap heap(p, live);
  drive(heap, 16 * kib, cycles_reach(2));
  double low = heap.total_bytes();
  double high = low;
  while (heap.cycles_completed() < 12) {
    heap.allocate_garbage(16 * kib);
    low = std::min(low, heap.total_bytes());
    high = std::max(high, heap.total_bytes());
    EXPECT_NEAR(heap.threshold_bytes(), 2 * live, 1e-6);
  }
  EXPECT_NEAR(high, 2 * live + mark_lag, 32 * kib);
  EXPECT_NEAR(low, live + sweep_lag, 32 * kib);
  EXPECT_LT(low, 1.25 * live);
}

TEST(GcHeap, GcCpuIsWorkTimesCost) {
  gc_params p;
  p.mark_ns_per_byte = 0.7;
  p.sweep_ns_per_byte = 0.3;
  p.free_ns_per_byte = 0.9;
  const double live = 8 * mib;
  gc_heap heap(p, live);
  double taken = 0;
  while (heap.cycles_completed() < 5) {
    heap.allocate_garbage(4 * kib);
    taken += heap.take_gc_cpu_s();
  }
  // Freeing is charged on top of sweeping: every cycle frees the garbage it swept.
  EXPECT_GT(heap.cumulative_freed_bytes(), 4 * live);
  const double expected_ns = heap.cumulative_marked_bytes() * 0.7 + heap.cumulative_swept_bytes() * 0.3 +
                             heap.cumulative_freed_bytes() * 0.9;
  EXPECT_NEAR(heap.cumulative_gc_cpu_s(), expected_ns * 1e-9, 1e-12);
  EXPECT_NEAR(taken, heap.cumulative_gc_cpu_s(), 1e-12);
  EXPECT_EQ(heap.take_gc_cpu_s(), 0);
  // Garbage only: each cycle marks exactly the live size (5 cycles, plus the
  // first step of the sixth if the last chunk started it).
  const double cycles_marked =
      heap.cumulative_marked_bytes() - (heap.phase() == gc_phase::propagate ? p.step_size_bytes * p.stepmul / 100 : 0);
  EXPECT_NEAR(cycles_marked, 5 * live, 5 * p.step_size_bytes * p.stepmul / 100);
  // ... and sweeps what is present when its sweep starts: about 2.5 x live.
  EXPECT_NEAR(heap.cumulative_swept_bytes() / 5, 2.5 * live, 64 * kib);
}

TEST(GcHeap, OneLargeAllocationDoesTheWorkOfManySmallOnes) {
  const double live = 20 * mib;
  const double bytes = 300 * mib;
  gc_heap one(gc_params{}, live);
  gc_heap many(gc_params{}, live);
  one.allocate_garbage(bytes);
  for (double done = 0; done < bytes; done += 1 * kib) many.allocate_garbage(1 * kib);
  EXPECT_GT(many.cycles_completed(), 5u);
  EXPECT_EQ(one.cycles_completed(), many.cycles_completed());
  EXPECT_EQ(one.phase(), many.phase());
  EXPECT_NEAR(one.total_bytes(), many.total_bytes(), 1e-6 * bytes);
  EXPECT_NEAR(one.cumulative_marked_bytes(), many.cumulative_marked_bytes(), 1e-6 * bytes);
  EXPECT_NEAR(one.cumulative_swept_bytes(), many.cumulative_swept_bytes(), 1e-6 * bytes);
  EXPECT_NEAR(one.cumulative_freed_bytes(), many.cumulative_freed_bytes(), 1e-6 * bytes);

  const auto start = std::chrono::steady_clock::now();
  gc_heap huge(gc_params{}, 100 * mib);
  huge.allocate_garbage(1e13);  // ten terabytes in one call: tens of thousands of cycles
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(huge.cycles_completed(), 10000u);
  EXPECT_LT(std::chrono::duration<double>(elapsed).count(), 0.5);
  EXPECT_TRUE(std::isfinite(huge.total_bytes()));
}

/// When the allocator outruns the sweep, the cycle ends with total above the
/// new threshold: the next allocation starts a cycle carrying that debt, and
/// LuaJIT takes one extra step per step size of debt straight away.
TEST(GcHeap, DebtFromAnOverrunThresholdIsWorkedOffAtOnce) {
  gc_params p;
  p.pause = 100;
  p.stepmul = 100;          // one work unit per byte: 1024 per step
  p.mean_object_bytes = 8;  // 1.25 sweep units per byte: a slow sweep
  const double s = p.step_size_bytes;
  const double live = 100 * s;
  gc_heap heap(p, live);
  EXPECT_EQ(heap.threshold_bytes(), live + s);  // pause 100: at least one step above the estimate
  heap.allocate_garbage(s);                     // starts the cycle, first step marks 1024
  ASSERT_EQ(heap.phase(), gc_phase::propagate);
  // 99 more steps finish marking with the total at 200 s; sweeping 200 s
  // bytes takes 250 steps, during which 250 s more are allocated.
  heap.allocate_garbage(349 * s);
  ASSERT_EQ(heap.cycles_completed(), 1u);
  ASSERT_EQ(heap.phase(), gc_phase::pause);
  EXPECT_EQ(heap.cumulative_marked_bytes(), live);
  EXPECT_EQ(heap.cumulative_swept_bytes(), 200 * s);
  EXPECT_EQ(heap.total_bytes(), 350 * s);
  EXPECT_EQ(heap.threshold_bytes(), 101 * s);

  // Debt 249 s: the first step plus 249 debt steps, 250 * 1024 units:
  // all of the mark (100 s) and 150 s units of sweeping (120 s bytes).
  heap.allocate_garbage(1);
  EXPECT_EQ(heap.phase(), gc_phase::sweep);
  EXPECT_EQ(heap.cumulative_marked_bytes(), 2 * live);
  EXPECT_EQ(heap.cumulative_swept_bytes(), 200 * s + 120 * s);
}

TEST(GcHeap, FullCollectFreesEverythingDeadFromAnyPhase) {
  const double live = 10 * mib;
  for (const gc_phase where : {gc_phase::pause, gc_phase::propagate, gc_phase::sweep}) {
    gc_heap heap(gc_params{}, live);
    const object_id keep = heap.allocate(2 * mib);
    const object_id drop = heap.allocate(3 * mib);
    if (where != gc_phase::pause) drive(heap, 4 * kib, in_phase(where));
    heap.release(drop);
    heap.allocate_garbage(1 * mib);
    const std::uint64_t cycles = heap.cycles_completed();
    heap.full_collect();
    SCOPED_TRACE(to_string(where));
    EXPECT_EQ(heap.phase(), gc_phase::pause);
    EXPECT_EQ(heap.garbage_bytes(), 0);
    EXPECT_EQ(heap.floating_bytes(), 0);
    EXPECT_DOUBLE_EQ(heap.total_bytes(), live + 2 * mib);
    EXPECT_DOUBLE_EQ(heap.estimate_bytes(), live + 2 * mib);
    EXPECT_DOUBLE_EQ(heap.threshold_bytes(), 2 * (live + 2 * mib));
    // An interrupted sweep is finished and counts; an interrupted mark is abandoned.
    EXPECT_EQ(heap.cycles_completed(), cycles + (where == gc_phase::sweep ? 2 : 1));
    EXPECT_TRUE(heap.is_live(keep));
  }
}

TEST(GcHeap, ResetIsARespawnedWorker) {
  gc_heap heap(gc_params{}, 10 * mib);
  const object_id id = heap.allocate(5 * mib);
  drive(heap, 64 * kib, cycles_reach(3));
  heap.reset(4 * mib);
  EXPECT_FALSE(heap.is_live(id));
  EXPECT_EQ(heap.live_objects(), 0u);
  EXPECT_EQ(heap.total_bytes(), 4 * mib);
  EXPECT_EQ(heap.live_bytes(), 4 * mib);
  EXPECT_EQ(heap.garbage_bytes(), 0);
  EXPECT_EQ(heap.phase(), gc_phase::pause);
  EXPECT_EQ(heap.cycles_completed(), 0u);
  EXPECT_EQ(heap.threshold_bytes(), 8 * mib);
  EXPECT_EQ(heap.take_gc_cpu_s(), 0);
  EXPECT_EQ(heap.take_freed_bytes(), 0);
  EXPECT_EQ(heap.cumulative_gc_cpu_s(), 0);
}

TEST(GcHeap, EmptyHeapMakesProgress) {
  gc_heap heap(gc_params{}, 0);
  EXPECT_EQ(heap.threshold_bytes(), gc_params{}.step_size_bytes);
  heap.allocate_garbage(10 * mib);
  EXPECT_GT(heap.cycles_completed(), 10u);
  EXPECT_TRUE(std::isfinite(heap.total_bytes()));
  heap.allocate(0);
  heap.allocate_garbage(0);
  EXPECT_LT(heap.total_bytes(), 1 * mib);
}

// ---------------------------------------------------------------------------
// Stateful property: random histories against a reference model.

enum class op_kind { allocate, release, garbage, full_collect };

struct op {
  op_kind kind;
  double bytes;
  std::size_t pick;
};

void showValue(const op& o, std::ostream& os) {
  static constexpr const char* names[] = {"allocate", "release", "garbage", "full_collect"};
  os << names[static_cast<int>(o.kind)] << "(" << o.bytes << ", pick " << o.pick << ")";
}

/// A dead batch of bytes and the cycles that may free it: no sweep before
/// cycle `earliest` touches it, and cycle `latest` has freed it for sure.
struct dead_batch {
  double bytes;
  std::uint64_t earliest;
  std::uint64_t latest;
};

std::uint64_t freeing_cycle(const gc_heap& h, bool dead_now_floats) {
  return h.cycles_completed() + (dead_now_floats ? 2 : 1);
}

RC_GTEST_PROP(GcHeap, RandomHistoriesKeepTheBooks, ()) {
  gc_params p;
  p.pause = *rc::gen::inRange(100, 1001);
  p.stepmul = *rc::gen::inRange(100, 10001);
  p.step_size_bytes = *rc::gen::element(1.0, 64.0, 1024.0, 65536.0);
  p.mean_object_bytes = *rc::gen::element(8.0, 64.0, 4096.0);
  p.free_ns_per_byte = *rc::gen::element(0.0, 0.8);
  const double baseline = *rc::gen::inRange(0, 1 << 20);
  const auto ops = *rc::gen::container<std::vector<op>>(rc::gen::build<op>(
      rc::gen::set(
          &op::kind,
          rc::gen::weightedElement<op_kind>(
              {{4, op_kind::allocate}, {3, op_kind::release}, {6, op_kind::garbage}, {1, op_kind::full_collect}})),
      rc::gen::set(&op::bytes, rc::gen::map(rc::gen::inRange(0, 1 << 22), [](int b) { return double(b); })),
      rc::gen::set(&op::pick, rc::gen::inRange<std::size_t>(0, 1000))));

  gc_heap heap(p, baseline);
  std::vector<std::pair<object_id, double>> live;
  std::vector<dead_batch> dead;
  double allocated = 0;
  double freed = 0;
  double cpu = 0;
  const double scale = baseline + 1e6;

  for (const op& o : ops) {
    const std::uint64_t cycles_before = heap.cycles_completed();
    switch (o.kind) {
      case op_kind::allocate:
        live.emplace_back(heap.allocate(o.bytes), o.bytes);
        allocated += o.bytes;
        break;
      case op_kind::release: {
        if (live.empty()) break;
        const std::size_t i = o.pick % live.size();
        const std::uint64_t cycle = freeing_cycle(heap, heap.phase() != gc_phase::pause);
        heap.release(live[i].first);
        dead.push_back({live[i].second, cycle, cycle});
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      case op_kind::garbage: {
        const std::uint64_t earliest = freeing_cycle(heap, heap.phase() == gc_phase::sweep);
        heap.allocate_garbage(o.bytes);
        dead.push_back({o.bytes, earliest, freeing_cycle(heap, heap.phase() == gc_phase::sweep)});
        allocated += o.bytes;
        break;
      }
      case op_kind::full_collect:
        heap.full_collect();
        dead.clear();
        RC_ASSERT(heap.garbage_bytes() == 0.0);
        break;
    }
    RC_ASSERT(heap.cycles_completed() >= cycles_before);
    freed += heap.take_freed_bytes();
    const double cpu_step = heap.take_gc_cpu_s();
    RC_ASSERT(std::isfinite(cpu_step) && cpu_step >= 0.0);
    cpu += cpu_step;

    const double tol = 1e-9 * (scale + allocated);
    double live_sum = baseline;
    for (const auto& [id, bytes] : live) {
      RC_ASSERT(heap.is_live(id));
      live_sum += bytes;
    }
    RC_ASSERT(heap.live_objects() == live.size());
    RC_ASSERT(std::abs(heap.live_bytes() - live_sum) <= tol);
    RC_ASSERT(heap.floating_bytes() >= 0.0);
    RC_ASSERT(heap.garbage_bytes() >= heap.floating_bytes());
    RC_ASSERT(heap.total_bytes() == heap.live_bytes() + heap.garbage_bytes());
    RC_ASSERT(heap.total_bytes() >= heap.live_bytes());
    if (heap.phase() == gc_phase::pause) RC_ASSERT(heap.floating_bytes() == 0.0);
    // Conservation: what is allocated is either still there or was freed.
    RC_ASSERT(std::abs(heap.total_bytes() - (baseline + allocated - freed)) <= tol);
    // Nothing is freed before its cycle, everything by its cycle.
    const std::uint64_t done = heap.cycles_completed();
    double untouchable = 0;
    double may_remain = 0;
    for (const dead_batch& b : dead) {
      if (b.earliest >= done + 2) untouchable += b.bytes;
      if (b.latest >= done + 1) may_remain += b.bytes;
    }
    RC_ASSERT(heap.garbage_bytes() >= untouchable - tol);
    RC_ASSERT(heap.garbage_bytes() <= may_remain + tol);
    RC_ASSERT(std::abs(heap.cumulative_freed_bytes() - freed) <= tol);
    RC_ASSERT(std::abs(cpu - heap.cumulative_gc_cpu_s()) <= 1e-9 * (1 + cpu));
    RC_ASSERT(std::abs(heap.cumulative_gc_cpu_s() - 1e-9 * (heap.cumulative_marked_bytes() * p.mark_ns_per_byte +
                                                            heap.cumulative_swept_bytes() * p.sweep_ns_per_byte +
                                                            heap.cumulative_freed_bytes() * p.free_ns_per_byte)) <=
              1e-9 * (1 + cpu));
    RC_ASSERT(heap.threshold_bytes() >= heap.estimate_bytes() * p.pause / 100 - tol);
  }
}

}  // namespace
}  // namespace gwsim::memory

namespace gwsim::memory {
namespace {

TEST(GcHeapResize, GrowingAllocatesAndShrinkingMakesGarbage) {
  gc_heap heap(gc_params{}, 1e6);
  const object_id id = heap.allocate(1e5);
  const double total = heap.total_bytes();
  heap.resize(id, 3e5);
  EXPECT_DOUBLE_EQ(heap.object_bytes(id), 3e5);
  EXPECT_DOUBLE_EQ(heap.live_bytes(), 1e6 + 3e5);
  EXPECT_DOUBLE_EQ(heap.total_bytes(), total + 2e5);
  heap.resize(id, 5e4);
  EXPECT_DOUBLE_EQ(heap.live_bytes(), 1e6 + 5e4);
  EXPECT_DOUBLE_EQ(heap.garbage_bytes(), 2.5e5);  // the cut part is dead, not yet freed
  heap.full_collect();
  EXPECT_DOUBLE_EQ(heap.garbage_bytes(), 0.0);
  EXPECT_DOUBLE_EQ(heap.total_bytes(), 1e6 + 5e4);
  heap.release(id);
  EXPECT_THROW(heap.resize(id, 1.0), std::invalid_argument);
  const object_id other = heap.allocate(10);
  EXPECT_THROW(heap.resize(other, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace gwsim::memory
