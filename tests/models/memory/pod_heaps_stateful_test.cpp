// Stateful RapidCheck of the memory model as the gateway uses it: the heaps
// of a pod's workers under allocation, release, request garbage, collector
// steps, router rebuilds (the new router allocated beside the old one, the
// build's garbage, the old router released) and OOM kills with respawn,
// against a plain reference model that knows only what is live.
//
// The reference is exact for live memory (the baseline plus every object not
// released since the last respawn). Garbage is checked against the bounds of
// LuaJIT's incremental collector: a batch that died during a cycle's sweep
// (or, for a released object, during marking) floats to the next cycle, so
// it cannot be gone before the cycle after the next, and everything dead has
// gone two cycles later. A failing history shrinks to a minimal command
// sequence; RapidCheck prints it with the seed to replay.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "models/memory/gc_heap.hpp"

namespace gwsim::memory {
namespace {

constexpr std::size_t max_workers = 3;
constexpr double baseline = 1 << 20;

/// What the reference model knows of one worker: its live objects, in
/// allocation order, and its router (0 = none).
struct worker_model {
  std::vector<double> live;
  double router = 0;
  double live_bytes() const {
    double sum = baseline + router;
    for (double b : live) sum += b;
    return sum;
  }
};

struct pod_model {
  std::vector<worker_model> workers;
  std::uint64_t kills = 0;
};

/// A dead batch and the cycles that may free it (see the file comment).
struct dead_batch {
  double bytes;
  std::uint64_t earliest;
  std::uint64_t latest;
};

/// The system under test: real gc_heaps plus the handles and dead batches
/// the checks need (they depend on the collector's phase, which only the
/// heap knows).
struct worker_sut {
  gc_heap heap;
  std::vector<object_id> live;
  object_id router{};
  bool has_router = false;
  std::vector<dead_batch> dead;
  double allocated = 0;  ///< since the last respawn
  double freed = 0;
  std::vector<object_id> stale;  ///< handles of objects released or lost in a kill
};

struct pod_sut {
  gc_params params;
  std::vector<std::unique_ptr<worker_sut>> workers;
};

gc_params random_params() {
  gc_params p;
  p.pause = *rc::gen::inRange(100, 401);
  p.stepmul = *rc::gen::inRange(100, 1001);
  p.step_size_bytes = *rc::gen::element(64.0, 1024.0, 65536.0);
  p.mean_object_bytes = *rc::gen::element(16.0, 64.0, 4096.0);
  return p;
}

std::uint64_t freeing_cycle(const gc_heap& h, bool floats) { return h.cycles_completed() + (floats ? 2 : 1); }

/// Garbage allocated on `w` now: record its batch.
void add_garbage(worker_sut& w, double bytes) {
  const std::uint64_t earliest = freeing_cycle(w.heap, w.heap.phase() == gc_phase::sweep);
  w.heap.allocate_garbage(bytes);
  w.dead.push_back({bytes, earliest, freeing_cycle(w.heap, w.heap.phase() == gc_phase::sweep)});
  w.allocated += bytes;
}

/// Releases `id` (of `bytes`) on `w`: record its batch.
void release(worker_sut& w, object_id id, double bytes) {
  const std::uint64_t cycle = freeing_cycle(w.heap, w.heap.phase() != gc_phase::pause);
  w.heap.release(id);
  w.dead.push_back({bytes, cycle, cycle});
  w.stale.push_back(id);
}

/// Every check of one worker against its reference.
void check_worker(const worker_model& m, worker_sut& w) {
  w.freed += w.heap.take_freed_bytes();
  (void)w.heap.take_gc_cpu_s();
  const double tol = 1e-9 * (baseline + w.allocated + 1e6);
  RC_ASSERT(w.heap.live_objects() == m.live.size() + (m.router > 0 ? 1u : 0u));
  RC_ASSERT(std::abs(w.heap.live_bytes() - m.live_bytes()) <= tol);
  RC_ASSERT(w.heap.total_bytes() == w.heap.live_bytes() + w.heap.garbage_bytes());
  RC_ASSERT(w.heap.garbage_bytes() >= w.heap.floating_bytes());
  RC_ASSERT(std::abs(w.heap.total_bytes() - (baseline + w.allocated - w.freed)) <= tol);
  const std::uint64_t done = w.heap.cycles_completed();
  double untouchable = 0;
  double may_remain = 0;
  for (const dead_batch& b : w.dead) {
    if (b.earliest >= done + 2) untouchable += b.bytes;
    if (b.latest >= done + 1) may_remain += b.bytes;
  }
  RC_ASSERT(w.heap.garbage_bytes() >= untouchable - tol);
  RC_ASSERT(w.heap.garbage_bytes() <= may_remain + tol);
  for (object_id id : w.stale) RC_ASSERT(!w.heap.is_live(id));
  for (object_id id : w.live) RC_ASSERT(w.heap.is_live(id));
}

using command = rc::state::Command<pod_model, pod_sut>;

struct allocate final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  double bytes = *rc::gen::inRange(0, 1 << 22);
  void checkPreconditions(const pod_model& m) const override { RC_PRE(worker < m.workers.size()); }
  void apply(pod_model& m) const override { m.workers[worker].live.push_back(bytes); }
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    w.live.push_back(w.heap.allocate(bytes));
    w.allocated += bytes;
    pod_model next = m;
    apply(next);
    check_worker(next.workers[worker], w);
  }
  void show(std::ostream& os) const override { os << "allocate(worker " << worker << ", " << bytes << " B)"; }
};

struct free_object final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 1000);
  void checkPreconditions(const pod_model& m) const override {
    RC_PRE(worker < m.workers.size());
    RC_PRE(!m.workers[worker].live.empty());
  }
  void apply(pod_model& m) const override {
    auto& live = m.workers[worker].live;
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick % live.size()));
  }
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    const std::size_t i = pick % w.live.size();
    release(w, w.live[i], m.workers[worker].live[i]);
    w.live.erase(w.live.begin() + static_cast<std::ptrdiff_t>(i));
    pod_model next = m;
    apply(next);
    check_worker(next.workers[worker], w);
  }
  void show(std::ostream& os) const override { os << "free(worker " << worker << ", pick " << pick << ")"; }
};

/// Request garbage: the allocation that drives the collector's steps.
struct garbage final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  double bytes = *rc::gen::inRange(0, 1 << 22);
  void checkPreconditions(const pod_model& m) const override { RC_PRE(worker < m.workers.size()); }
  void apply(pod_model& /*m*/) const override {}
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    const std::uint64_t cycles = w.heap.cycles_completed();
    add_garbage(w, bytes);
    RC_ASSERT(w.heap.cycles_completed() >= cycles);
    check_worker(m.workers[worker], w);
  }
  void show(std::ostream& os) const override { os << "garbage(worker " << worker << ", " << bytes << " B)"; }
};

/// A full router rebuild: the new router grows beside the old one (both
/// live at the build's end), the build leaves garbage, the old router dies.
struct rebuild final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  double router = *rc::gen::inRange(1, 1 << 24);
  double build_garbage = *rc::gen::inRange(0, 1 << 24);
  void checkPreconditions(const pod_model& m) const override { RC_PRE(worker < m.workers.size()); }
  void apply(pod_model& m) const override { m.workers[worker].router = router; }
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    const double old = m.workers[worker].router;
    const object_id fresh = w.heap.allocate(router);
    w.allocated += router;
    add_garbage(w, build_garbage);
    // Before the swap both routers are live.
    RC_ASSERT(std::abs(w.heap.live_bytes() - (m.workers[worker].live_bytes() + router)) <=
              1e-9 * (baseline + w.allocated + 1e6));
    if (w.has_router) release(w, w.router, old);
    w.router = fresh;
    w.has_router = true;
    pod_model next = m;
    apply(next);
    check_worker(next.workers[worker], w);
  }
  void show(std::ostream& os) const override {
    os << "rebuild(worker " << worker << ", router " << router << " B, garbage " << build_garbage << " B)";
  }
};

struct full_collect final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  void checkPreconditions(const pod_model& m) const override { RC_PRE(worker < m.workers.size()); }
  void apply(pod_model& /*m*/) const override {}
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    w.heap.full_collect();
    w.dead.clear();
    RC_ASSERT(w.heap.garbage_bytes() == 0.0);
    check_worker(m.workers[worker], w);
  }
  void show(std::ostream& os) const override { os << "full_collect(worker " << worker << ")"; }
};

/// An OOM kill and respawn of one worker: its process's memory goes back to
/// the OS at once and the master forks a worker with a fresh heap. (Which
/// worker the kernel picks, the largest, is the pod's decision, tested with
/// the node in tests/models/gateway/node_test.cpp.)
struct oom_kill final : command {
  std::size_t worker = *rc::gen::inRange<std::size_t>(0, max_workers);
  void checkPreconditions(const pod_model& m) const override { RC_PRE(worker < m.workers.size()); }
  void apply(pod_model& m) const override {
    m.workers[worker] = worker_model{};
    ++m.kills;
  }
  void run(const pod_model& m, pod_sut& s) const override {
    worker_sut& w = *s.workers[worker];
    for (object_id id : w.live) w.stale.push_back(id);
    if (w.has_router) w.stale.push_back(w.router);
    const std::vector<object_id> stale = w.stale;
    w.heap.reset(baseline);
    w.live.clear();
    w.has_router = false;
    w.dead.clear();
    w.allocated = 0;
    w.freed = 0;
    w.stale = stale;
    // A respawned worker: fresh books, no collector history.
    RC_ASSERT(w.heap.total_bytes() == baseline);
    RC_ASSERT(w.heap.garbage_bytes() == 0.0);
    RC_ASSERT(w.heap.cycles_completed() == 0u);
    RC_ASSERT(w.heap.take_freed_bytes() == 0.0);
    pod_model next = m;
    apply(next);
    check_worker(next.workers[worker], w);
    // The others are untouched.
    for (std::size_t k = 0; k < s.workers.size(); ++k) {
      if (k != worker) check_worker(m.workers[k], *s.workers[k]);
    }
  }
  void show(std::ostream& os) const override { os << "oom_kill(worker " << worker << ")"; }
};

RC_GTEST_PROP(PodHeaps, RandomHistoriesAgreeWithTheReference, ()) {
  const std::size_t n = *rc::gen::inRange<std::size_t>(1, max_workers + 1);
  pod_model model;
  model.workers.resize(n);
  pod_sut sut;
  sut.params = random_params();
  for (std::size_t k = 0; k < n; ++k) {
    sut.workers.push_back(std::make_unique<worker_sut>(worker_sut{gc_heap(sut.params, baseline), {}, {}, false, {}, 0, 0, {}}));
  }
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<allocate, free_object, garbage, garbage, garbage, rebuild,
                                                     rebuild, full_collect, oom_kill>());
}

}  // namespace
}  // namespace gwsim::memory
