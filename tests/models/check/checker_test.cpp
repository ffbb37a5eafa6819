// The checker on small models: the incident's trigger is found with its
// shortest trace, the bounded strategies hold, versions never go back, every
// run can converge, counts are deterministic, and deliberately broken
// variants are caught (a checker that never fails proves nothing).

#include "models/check/checker.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "models/check/state.hpp"
#include "tests/models/check/model_builders.hpp"

namespace {

using gwsim::check::fault;
using gwsim::check::model;
using gwsim::check::property_result;
using gwsim::check::report;
using gwsim::check::run_check;
using gwsim::check::strategy;

constexpr std::array<strategy, 4> all_strategies{strategy::full_rebuild, strategy::incremental, strategy::shared_rcu,
                                                 strategy::double_buffer};

using gwsim::check::testing::make;

const property_result& prop(const report& r, const std::string& name) {
  const property_result* p = r.find(name);
  if (p == nullptr) throw std::logic_error("no property " + name);
  return *p;
}

TEST(Checker, FullRebuildOneWriteExceedsLimitInThreeSteps) {
  /// Two workers, quiet 8 units, limit 12: a write and two concurrent full
  /// rebuilds (each holding old and new router + cache) reach 14.
  const report r = run_check(make(strategy::full_rebuild, 2, 2, 12));
  const property_result& mem = prop(r, "memory");
  ASSERT_FALSE(mem.holds);
  ASSERT_EQ(mem.trace.size(), 4u) << "initial state + 3 steps";
  EXPECT_EQ(mem.trace[0].action, "initial state");
  EXPECT_EQ(mem.trace[0].pod_memory, 8);
  EXPECT_EQ(mem.trace[1].action, "admin write: store at v1");
  EXPECT_EQ(mem.trace[2].action, "worker 0 starts rebuild to v1");
  EXPECT_EQ(mem.trace[2].pod_memory, 11);
  EXPECT_EQ(mem.trace[3].action, "worker 1 starts rebuild to v1");
  EXPECT_EQ(mem.trace[3].pod_memory, 14);
  EXPECT_NE(mem.detail.find("14 units > limit 12"), std::string::npos) << mem.detail;
  EXPECT_FALSE(r.all_hold());
  /// The OOM killer resolves it: the other properties still hold.
  EXPECT_TRUE(prop(r, "monotone").holds);
  EXPECT_TRUE(prop(r, "no_write_lost").holds);
  EXPECT_TRUE(prop(r, "convergence").holds);
}

TEST(Checker, DoublingTheLimitHelpsOneWriteButNotTwo) {
  EXPECT_TRUE(run_check(make(strategy::full_rebuild, 2, 2, 16)).all_hold());
  const report two = run_check(make(strategy::full_rebuild, 2, 3, 16));
  EXPECT_FALSE(prop(two, "memory").holds);
  /// With a generous limit the worst case is 2.5x the quiet level: both old
  /// and new router live plus the previous rebuild's uncollected garbage.
  const report free = run_check(make(strategy::full_rebuild, 2, 3, 255));
  EXPECT_EQ(free.quiet_pod_memory, 8);
  EXPECT_EQ(free.max_pod_memory, 20);
}

TEST(Checker, BoundedStrategiesHold) {
  const report inc = run_check(make(strategy::incremental, 2, 3, 16));
  EXPECT_TRUE(inc.all_hold());
  EXPECT_EQ(inc.max_pod_memory, 16);
  const report rcu = run_check(make(strategy::shared_rcu, 3, 3, 12));
  EXPECT_TRUE(rcu.all_hold());
  EXPECT_EQ(rcu.max_pod_memory, 12);
  const report dbl = run_check(make(strategy::double_buffer, 3, 3, 9));
  EXPECT_TRUE(dbl.all_hold());
  EXPECT_EQ(dbl.max_pod_memory, 9) << "two copies (6) + three workers' base";
  for (const property_result& p : dbl.properties) EXPECT_TRUE(p.trace.empty()) << p.name;
}

TEST(Checker, SharedRcuPinsMoreCopiesThanDoubleBuffer) {
  const report rcu = run_check(make(strategy::shared_rcu, 1, 3, 255));
  const report dbl = run_check(make(strategy::double_buffer, 1, 3, 255));
  EXPECT_EQ(rcu.max_pod_memory, 1 + 3 * 3) << "a slow reader on v0, published v1, building v2";
  EXPECT_EQ(dbl.max_pod_memory, 1 + 2 * 3);
}

TEST(Checker, VersionsNeverGoBackForAnyStrategy) {
  for (const strategy s : all_strategies) {
    for (int workers = 1; workers <= 3; ++workers) {
      for (const int limit : {6, 10, 14, 20, 60}) {
        const report r = run_check(make(s, workers, 3, limit));
        EXPECT_TRUE(prop(r, "monotone").holds) << to_string(s) << " workers " << workers << " limit " << limit;
      }
    }
  }
}

TEST(Checker, EveryRunCanConvergeWhenTheQuietPodFits) {
  for (const strategy s : all_strategies) {
    for (int workers = 1; workers <= 3; ++workers) {
      /// Shared strategies need room for one extra copy: the pod builder is
      /// never killed, so a build that does not fit even with every worker
      /// dead cannot be resolved.
      const model base = make(s, workers, 3, 1);
      for (int limit = base.quiet_pod() + (base.shared() ? base.shared_copy() : 0); limit <= 40; limit += 3) {
        const report r = run_check(make(s, workers, 3, limit));
        EXPECT_TRUE(prop(r, "convergence").holds) << to_string(s) << " workers " << workers << " limit " << limit;
        EXPECT_TRUE(prop(r, "no_write_lost").holds) << to_string(s) << " workers " << workers << " limit " << limit;
        EXPECT_EQ(r.stuck_states, 0u);
        EXPECT_GE(r.converged_states, 1u);
      }
    }
  }
}

TEST(Checker, QuietPodAboveTheLimitCannotConverge) {
  /// Three workers of 4 units under a limit of 10: every respawn is killed
  /// again, a crash loop from which no converged state is reachable.
  const report r = run_check(make(strategy::full_rebuild, 3, 2, 10));
  EXPECT_FALSE(prop(r, "memory").holds);
  EXPECT_EQ(prop(r, "memory").trace.size(), 1u) << "violated in the initial state";
  const property_result& live = prop(r, "convergence");
  ASSERT_FALSE(live.holds);
  EXPECT_GT(r.stuck_states, 0u);
  EXPECT_LT(r.sccs, r.states) << "the kill/respawn loop is a cycle";
}

TEST(Checker, SharedBuildThatNeverFitsIsStuck) {
  /// One worker, limit = quiet level: the pod's build cannot fit even once
  /// the worker is killed, and nothing else can be killed.
  const report r = run_check(make(strategy::shared_rcu, 1, 2, 4));
  EXPECT_FALSE(prop(r, "convergence").holds);
}

TEST(Checker, CountsAreDeterministic) {
  for (const strategy s : all_strategies) {
    const report a = run_check(make(s, 3, 3, 14));
    const report b = run_check(make(s, 3, 3, 14));
    EXPECT_EQ(a.states, b.states);
    EXPECT_EQ(a.edges, b.edges);
    EXPECT_EQ(a.transitions, b.transitions);
    EXPECT_EQ(a.sccs, b.sccs);
    EXPECT_EQ(a.max_pod_memory, b.max_pod_memory);
    ASSERT_EQ(a.properties.size(), b.properties.size());
    for (std::size_t i = 0; i < a.properties.size(); ++i) {
      ASSERT_EQ(a.properties[i].trace.size(), b.properties[i].trace.size());
      for (std::size_t k = 0; k < a.properties[i].trace.size(); ++k) {
        EXPECT_EQ(a.properties[i].trace[k].action, b.properties[i].trace[k].action);
      }
    }
  }
  /// Pinned counts of the shipped examples (scenarios/check/README.md): a
  /// change here is a change of the model and must be documented there.
  EXPECT_EQ(run_check(make(strategy::full_rebuild, 2, 2, 12)).states, 12u);
  EXPECT_EQ(run_check(make(strategy::full_rebuild, 2, 3, 16)).states, 80u);
  EXPECT_EQ(run_check(make(strategy::incremental, 2, 3, 16)).states, 62u);
  EXPECT_EQ(run_check(make(strategy::shared_rcu, 3, 3, 12)).states, 28u);
  EXPECT_EQ(run_check(make(strategy::double_buffer, 3, 3, 9)).states, 22u);
}

TEST(Checker, SymmetryReductionKeepsVerdictsAndShrinksCounts) {
  for (const strategy s : all_strategies) {
    for (const int limit : {8, 12, 16, 30}) {
      model m = make(s, 3, 3, limit);
      const report merged = run_check(m);
      m.symmetry = false;
      const report full = run_check(m);
      EXPECT_LE(merged.states, full.states);
      EXPECT_EQ(merged.max_pod_memory, full.max_pod_memory);
      for (std::size_t i = 0; i < merged.properties.size(); ++i) {
        EXPECT_EQ(merged.properties[i].holds, full.properties[i].holds)
            << to_string(s) << " limit " << limit << " " << merged.properties[i].name;
        /// Shortest traces have the same length either way.
        EXPECT_EQ(merged.properties[i].trace.size(), full.properties[i].trace.size())
            << to_string(s) << " limit " << limit << " " << merged.properties[i].name;
      }
    }
  }
  model m = make(strategy::full_rebuild, 3, 3, 30);
  const std::size_t merged = run_check(m).states;
  m.symmetry = false;
  EXPECT_GT(run_check(m).states, merged);
}

TEST(Checker, RespawnAtVersionZeroIsCaughtByMonotone) {
  for (const strategy s : all_strategies) {
    model m = make(s, 2, 2, 12);
    m.gc_pause = 150;
    m.fault = fault::respawn_at_version_zero;
    /// Limits that force an OOM kill once some worker serves v1.
    if (s == strategy::incremental) m.limit = 9;
    if (m.shared()) m.limit = 7;
    const report r = run_check(m);
    const property_result& mono = prop(r, "monotone");
    ASSERT_FALSE(mono.holds) << to_string(s);
    ASSERT_GE(mono.trace.size(), 2u);
    EXPECT_NE(mono.trace.back().action.find("respawns serving v0"), std::string::npos) << mono.trace.back().action;
    EXPECT_NE(mono.detail.find("back to v0"), std::string::npos) << mono.detail;
    /// The worker in the detail is the one the trace respawns.
    EXPECT_NE(mono.detail.find(mono.trace.back().action.substr(0, 8)), std::string::npos);
  }
  /// Same model without the fault: monotone holds.
  model ok = make(strategy::full_rebuild, 2, 2, 12);
  ok.gc_pause = 150;
  EXPECT_TRUE(prop(run_check(ok), "monotone").holds);
}

TEST(Checker, FullRebuildRespawnFaultTrace) {
  model m = make(strategy::full_rebuild, 2, 2, 12);
  m.gc_pause = 150;
  m.fault = fault::respawn_at_version_zero;
  const property_result mono = prop(run_check(m), "monotone");
  ASSERT_EQ(mono.trace.size(), 7u);
  EXPECT_EQ(mono.trace[5].action.substr(0, 10), "OOM killer");
}

TEST(Checker, DroppedEventsLoseTheLastWrite) {
  for (const strategy s : all_strategies) {
    model m = make(s, 2, 3, 60);
    m.fault = fault::drop_event_while_rebuilding;
    const report r = run_check(m);
    EXPECT_TRUE(prop(r, "memory").holds) << to_string(s);
    EXPECT_TRUE(prop(r, "monotone").holds) << to_string(s);
    const property_result& live = prop(r, "convergence");
    ASSERT_FALSE(live.holds) << to_string(s);
    EXPECT_FALSE(prop(r, "no_write_lost").holds) << to_string(s);
    EXPECT_GT(r.stuck_states, 0u);
    EXPECT_GE(r.bottom_sccs, 2u) << "a converged end and a stuck one";
    EXPECT_NE(live.detail.find("never converge"), std::string::npos);
  }
}

TEST(Checker, SingleVersionIsTriviallyConverged) {
  for (const strategy s : all_strategies) {
    const report r = run_check(make(s, 3, 1, 255));
    EXPECT_TRUE(r.all_hold());
    EXPECT_EQ(r.states, 1u);
    EXPECT_EQ(r.edges, 0u);
    EXPECT_EQ(r.sccs, 1u);
  }
}

TEST(Checker, TooManyStatesIsAnInputError) {
  model m = make(strategy::full_rebuild, 3, 3, 30);
  m.max_states = 10;
  try {
    run_check(m);
    FAIL() << "no error";
  } catch (const gwsim::check::model_error& e) {
    EXPECT_EQ(e.field(), "model.max_states");
    EXPECT_NE(std::string(e.what()).find("exceeds model.max_states = 10"), std::string::npos);
  }
}

/// Random fault-free models: whatever the sizes and limit, no version goes
/// back, nothing runs ahead of the store, and a pod whose limit covers the
/// worst case never needs the OOM killer and always converges.
RC_GTEST_PROP(CheckerProperties, FaultFreeModelsAreSafe, ()) {
  model m;
  m.strategy =
      *rc::gen::element(strategy::full_rebuild, strategy::incremental, strategy::shared_rcu, strategy::double_buffer);
  m.workers = *rc::gen::inRange(1, 4);
  m.versions = *rc::gen::inRange(1, 4);
  m.base = *rc::gen::inRange(0, 4);
  m.router = *rc::gen::inRange(1, 5);
  m.cache = *rc::gen::inRange(0, 4);
  m.delta = *rc::gen::inRange(0, 4);
  m.gc_pause = *rc::gen::inRange(100, 401);
  m.limit = *rc::gen::inRange(1, 81);
  const report r = run_check(m);
  RC_ASSERT(r.find("monotone")->holds);
  RC_ASSERT(r.max_pod_memory >= r.quiet_pod_memory);
  RC_ASSERT(r.states >= 1u);

  model roomy = m;
  roomy.limit = gwsim::check::max_limit;
  const report free = run_check(roomy);
  RC_ASSERT(free.all_hold());
  if (m.limit >= free.max_pod_memory) {
    RC_ASSERT(r.find("memory")->holds);
    RC_ASSERT(r.all_hold());
    RC_ASSERT(r.states == free.states);
  } else {
    RC_ASSERT(!r.find("memory")->holds);
  }
}

}  // namespace
