// Consistency of the per-worker designs under arbitrary admin histories:
//  - strict: no request is matched against a router older than the version
//    its worker knew of when the request arrived;
//  - eventual: every worker serves a write within P + 2 T + 2 B of it, where
//    P is the propagation to the worker (kong.worker_event_delay_s on one
//    node), T the rebuild timer (kong.worker_state_update_frequency_s) and B
//    the longest build of the run: the worker learns of the write within P,
//    its next tick comes within T, and if a build for an older version is
//    running then, that build ends within B, the next tick within T and the
//    build that includes the write within B.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "models/gateway/simulation.hpp"

namespace gwsim::gateway {
namespace {

struct history {
  std::vector<admin_op> script;
  double poisson_rate_per_s = 0;
  std::vector<admin_loop> loops;
};

rc::Gen<history> gen_history(double duration_s) {
  return rc::gen::exec([duration_s] {
    history h;
    const auto ops = *rc::gen::inRange<std::size_t>(0, 30);
    for (std::size_t i = 0; i < ops; ++i) {
      admin_op op;
      op.at_s = *rc::gen::inRange(0, static_cast<int>(duration_s * 10)) / 10.0;
      op.kind = static_cast<admin_kind>(*rc::gen::inRange(0, 7));
      op.count = *rc::gen::inRange(1, 20);
      h.script.push_back(op);
    }
    std::sort(h.script.begin(), h.script.end(), [](const admin_op& a, const admin_op& b) { return a.at_s < b.at_s; });
    h.poisson_rate_per_s = *rc::gen::element(0.0, 0.05, 0.5);
    if (*rc::gen::arbitrary<bool>()) {
      const double start = *rc::gen::inRange(0, static_cast<int>(duration_s / 2));
      h.loops.push_back(admin_loop{start, start + duration_s / 4, *rc::gen::element(0.2, 1.0, 3.0)});
    }
    return h;
  });
}

scenario make(const history& h, const std::string& strategy, consistency mode, int workers, double timer_s) {
  scenario s;
  s.name = "consistency property";
  s.strategy = strategy;
  s.cluster.nodes = 1;
  s.cluster.workers_per_node = workers;
  s.cluster.pod_memory_limit_bytes = 1e15;  // no OOM kill: the statements are about live workers
  s.routes.routes = s.routes.services = 3'000;
  s.traffic.rate_per_s = 100.0 * workers;
  s.kong.worker_consistency = mode;
  s.kong.worker_state_update_frequency_s = timer_s;
  s.admin.script = h.script;
  s.admin.poisson_rate_per_s = h.poisson_rate_per_s;
  s.admin.loops = h.loops;
  s.run.duration_s = 120;
  return s;
}

/// The longest build of a run, from its rebuild_start/rebuild_end events.
double longest_build_s(const result& r) {
  std::map<int, double> started;
  double longest = 0;
  for (std::size_t i = 0; i < r.events.rows(); ++i) {
    const int who = r.events.node[i] * 1000 + r.events.worker[i];
    if (r.events.kind[i] == "rebuild_start") started[who] = r.events.time_s[i];
    if (r.events.kind[i] == "rebuild_end" && started.count(who) > 0) {
      longest = std::max(longest, r.events.time_s[i] - started[who]);
    }
  }
  return longest;
}

RC_GTEST_PROP(Consistency, StrictNeverMatchesOnARouterOlderThanTheRequestSaw, ()) {
  const history h = *gen_history(120);
  const std::string strategy = *rc::gen::element<std::string>("full_rebuild", "incremental", "sharded");
  const int workers = *rc::gen::inRange(1, 5);
  const result r = run(make(h, strategy, consistency::strict, workers, 5.0));
  RC_ASSERT(r.totals.stale_matches == 0u);
  RC_ASSERT(r.totals.oom_kills == 0u);
}

RC_GTEST_PROP(Consistency, EventualServesEveryWriteWithinTheStatedTime, ()) {
  const history h = *gen_history(120);
  const std::string strategy = *rc::gen::element<std::string>("full_rebuild", "incremental", "sharded");
  const int workers = *rc::gen::inRange(1, 5);
  const double timer = *rc::gen::element(0.5, 2.0, 5.0);
  const scenario s = make(h, strategy, consistency::eventual, workers, timer);
  const result r = run(s);
  RC_ASSERT(r.totals.oom_kills == 0u);
  const double bound = s.kong.worker_event_delay_s + 2 * timer + 2 * longest_build_s(r);
  RC_LOG() << "max staleness " << r.totals.max_staleness_s << " s, stated bound " << bound << " s";
  RC_ASSERT(r.totals.max_staleness_s <= bound + 1e-9);
}

TEST(Consistency, EventualDoesMatchOnStaleRoutersAndStrictDoesNot) {
  // The statement is not vacuous: under eventual consistency requests do
  // reach routers older than what their worker knew.
  history h;
  h.poisson_rate_per_s = 0.5;
  const result eventual = run(make(h, "full_rebuild", consistency::eventual, 4, 5.0));
  const result strict = run(make(h, "full_rebuild", consistency::strict, 4, 5.0));
  EXPECT_GT(eventual.totals.stale_matches, 0u);
  EXPECT_EQ(strict.totals.stale_matches, 0u);
}

}  // namespace
}  // namespace gwsim::gateway
