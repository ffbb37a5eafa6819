// The steps of the protocol model one at a time: LuaJIT's late freeing
// (garbage made during a cycle floats to the next), the GC threshold, the
// OOM killer's urgency and choice, respawns, and the double buffer's wait.

#include "models/check/transition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "models/check/state.hpp"
#include "tests/models/check/model_builders.hpp"

namespace {

using namespace gwsim::check;

using gwsim::check::testing::make;

std::vector<successor> of_kind(const std::vector<successor>& all, step_kind k) {
  std::vector<successor> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [k](const successor& n) { return n.how.kind == k; });
  return out;
}

/// The only successor of `s` of kind `k` for worker `w`.
state take(const model& m, const state& s, step_kind k, int w = -1) {
  for (const successor& n : successors(m, s)) {
    if (n.how.kind == k && n.how.worker == w) return n.to;
  }
  ADD_FAILURE() << "step not enabled: " << static_cast<int>(k) << " worker " << w << " in " << describe(m, s);
  return s;
}

TEST(Transition, QuietInitialStateOnlyAllowsAWrite) {
  const model m = make(strategy::full_rebuild, 3, 3, 100);
  const state s = initial_state(m);
  EXPECT_TRUE(converged(m, s));
  EXPECT_EQ(pod_memory(m, s), 12);
  const auto next = successors(m, s);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].how.kind, step_kind::admin_write);
  EXPECT_EQ(next[0].to.store, 1);
  EXPECT_FALSE(converged(m, next[0].to));
}

TEST(Transition, FullRebuildHoldsOldAndNewThenLeavesGarbage) {
  const model m = make(strategy::full_rebuild, 1, 2, 100);
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 0);
  EXPECT_EQ(worker_memory(m, s.workers[0]), 4 + 3) << "old and new router + cache";
  s = take(m, s, step_kind::swap, 0);
  EXPECT_EQ(s.workers[0].version, 1);
  EXPECT_EQ(s.workers[0].garbage, 3);
  EXPECT_EQ(worker_memory(m, s.workers[0]), 7) << "the old router is garbage, not freed";
  EXPECT_TRUE(converged(m, s));
}

TEST(Transition, IncrementalAllocatesADeltaAndFlushesTheCache) {
  model m = make(strategy::incremental, 1, 2, 100);
  m.delta = 2;
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 0);
  EXPECT_EQ(worker_memory(m, s.workers[0]), 4 + 2);
  s = take(m, s, step_kind::swap, 0);
  EXPECT_EQ(s.workers[0].garbage, 2 + 1) << "replaced part + flushed cache entries";
}

TEST(Transition, GarbageMadeDuringACycleFloatsToTheNext) {
  model m = make(strategy::full_rebuild, 1, 3, 100);
  m.gc_pause = 150;  // threshold 6 units: due once a swap leaves garbage
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 0);
  s = take(m, s, step_kind::swap, 0);  // 3 garbage, heap 7 >= 6: a cycle is due
  ASSERT_TRUE(gc_due(m, s.workers[0]));
  s = take(m, s, step_kind::admin_write);
  EXPECT_TRUE(of_kind(successors(m, s), step_kind::start_rebuild).empty()) << "no allocation while a cycle is due";
  s = take(m, s, step_kind::gc_start, 0);
  s = take(m, s, step_kind::start_rebuild, 0);  // allocation during marking is fine
  s = take(m, s, step_kind::swap, 0);           // the v1 router dies during the cycle
  EXPECT_EQ(s.workers[0].garbage, 3);
  EXPECT_EQ(s.workers[0].floating, 3);
  s = take(m, s, step_kind::gc_atomic, 0);
  s = take(m, s, step_kind::gc_finish, 0);
  EXPECT_EQ(s.workers[0].garbage, 3) << "the floating garbage survived the cycle";
  EXPECT_EQ(s.workers[0].floating, 0);
  EXPECT_EQ(s.workers[0].estimate, 4 + 3) << "LuaJIT's estimate counts what survived the sweep";
  EXPECT_EQ(s.workers[0].gc, gc_phase::idle);
}

TEST(Transition, CycleStartsOnlyAtTheThreshold) {
  const model m = make(strategy::full_rebuild, 1, 2, 100);  // pause 200: threshold 8
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 0);
  s = take(m, s, step_kind::swap, 0);
  EXPECT_EQ(worker_memory(m, s.workers[0]), 7);
  EXPECT_FALSE(gc_due(m, s.workers[0]));
  EXPECT_TRUE(of_kind(successors(m, s), step_kind::gc_start).empty()) << "the garbage waits: late freeing";
}

TEST(Transition, OverTheLimitOnlyTheLargestWorkerIsKilled) {
  const model m = make(strategy::full_rebuild, 3, 2, 14);
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 1);  // 15 > 14
  const auto next = successors(m, s);
  ASSERT_EQ(next.size(), 1u) << "nothing but the OOM killer";
  EXPECT_EQ(next[0].how.kind, step_kind::oom_kill);
  EXPECT_EQ(next[0].how.worker, 1);
  EXPECT_EQ(next[0].to.workers[1].alive, 0);
  EXPECT_EQ(next[0].to.workers[1].version, 0) << "the last served version is kept";
  EXPECT_EQ(pod_memory(m, next[0].to), 8);
}

TEST(Transition, TiesAreBrokenEveryWay) {
  const model m = make(strategy::full_rebuild, 3, 1, 11);  // quiet 12 > 11
  const auto kills = successors(m, initial_state(m));
  EXPECT_EQ(kills.size(), 3u);
  for (const successor& n : kills) EXPECT_EQ(n.how.kind, step_kind::oom_kill);
}

TEST(Transition, RespawnBuildsTheLatestVersionFirst) {
  model m = make(strategy::full_rebuild, 2, 3, 10);
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::start_rebuild, 0);
  s = take(m, s, step_kind::oom_kill, 0);  // 11 > 10
  s = take(m, s, step_kind::admin_write);
  const state r = take(m, s, step_kind::respawn, 0);
  EXPECT_EQ(r.workers[0].alive, 1);
  EXPECT_EQ(r.workers[0].version, 2);
  EXPECT_EQ(worker_memory(m, r.workers[0]), 4);
  m.fault = fault::respawn_at_version_zero;
  EXPECT_EQ(take(m, s, step_kind::respawn, 0).workers[0].version, 0);
}

TEST(Transition, DoubleBufferWaitsForEveryReader) {
  const model m = make(strategy::double_buffer, 2, 3, 100);
  state s = take(m, initial_state(m), step_kind::admin_write);
  s = take(m, s, step_kind::pod_build);
  EXPECT_EQ(shared_copies(m, s), 2);
  s = take(m, s, step_kind::pod_publish);
  s = take(m, s, step_kind::admin_write);
  s = take(m, s, step_kind::adopt, 0);
  EXPECT_TRUE(of_kind(successors(m, s), step_kind::pod_build).empty()) << "worker 1 still reads the old buffer";
  s = take(m, s, step_kind::adopt, 1);
  EXPECT_EQ(shared_copies(m, s), 1) << "the old buffer is free at once";
  EXPECT_FALSE(of_kind(successors(m, s), step_kind::pod_build).empty());

  /// shared_rcu does not wait: a third copy while a reader lags.
  const model rcu = make(strategy::shared_rcu, 2, 3, 100);
  state t = take(rcu, initial_state(rcu), step_kind::admin_write);
  t = take(rcu, t, step_kind::pod_build);
  t = take(rcu, t, step_kind::pod_publish);
  t = take(rcu, t, step_kind::admin_write);
  t = take(rcu, t, step_kind::pod_build);
  EXPECT_EQ(shared_copies(rcu, t), 3);
}

TEST(Transition, DroppedEventLeavesAWorkerStale) {
  model m = make(strategy::full_rebuild, 1, 3, 100);
  m.fault = fault::drop_event_while_rebuilding;
  state s = take(m, initial_state(m), step_kind::admin_write);
  EXPECT_EQ(s.workers[0].pending, 1);
  s = take(m, s, step_kind::start_rebuild, 0);
  s = take(m, s, step_kind::admin_write);  // arrives while rebuilding: dropped
  s = take(m, s, step_kind::swap, 0);
  EXPECT_EQ(s.workers[0].version, 1);
  EXPECT_EQ(s.store, 2);
  EXPECT_TRUE(of_kind(successors(m, s), step_kind::start_rebuild).empty());
}

TEST(Transition, CanonicalFormIgnoresWorkerOrder) {
  const model m = make(strategy::full_rebuild, 3, 3, 100);
  state s = take(m, initial_state(m), step_kind::admin_write);
  const state a = take(m, s, step_kind::start_rebuild, 0);
  const state b = take(m, s, step_kind::start_rebuild, 2);
  EXPECT_NE(a, b);
  EXPECT_EQ(canonical(m, a), canonical(m, b));
  EXPECT_EQ(state_hash{}(canonical(m, a)), state_hash{}(canonical(m, b)));
  EXPECT_EQ(pod_memory(m, a), pod_memory(m, canonical(m, a)));
}

TEST(Transition, DescriptionsAreReadable) {
  EXPECT_EQ(describe(step{step_kind::start_rebuild, 1, 2}), "worker 1 starts rebuild to v2");
  EXPECT_EQ(describe(step{step_kind::admin_write, -1, 1}), "admin write: store at v1");
  const model m = make(strategy::full_rebuild, 2, 2, 100);
  EXPECT_EQ(describe(m, initial_state(m)), "store v0 | w0 v0, 4 units | w1 v0, 4 units");
}

}  // namespace
