// The closed-form memory bounds (models/analytic/memory_bounds.hpp, derived
// in papers/memory-bounds.md) checked against the simulator: soundness for
// every strategy, boundedness by the live configuration alone for the
// in-place and shared designs, a shrunk counterexample showing that a full
// per-worker rebuild is not bounded that way, and tightness.
//
// Routes go up to 10^6 and histories up to 10^4 admin operations: the
// gateway model charges builds through cost models, so a run costs
// milliseconds. Requests carry a large heap garbage (a few percent of the
// live set) so that a short run goes through tens of collector cycles: it
// compresses hours of a quiet worker into a minute.

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "models/gateway/memory_bound_inputs.hpp"
#include "models/gateway/scenario_io.hpp"
#include "models/gateway/simulation.hpp"
#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
/// Named rather than anonymous so that RapidCheck finds showValue for
/// write_op by argument-dependent lookup; unique to this file.
namespace memory_bound_test {

/// One entry of a generated admin history: `count` writes of `kind`, back
/// to back, `gap_s` after the previous entry (0: the same burst).
struct write_op {
  double gap_s = 0;
  admin_kind kind = admin_kind::update_route;
  int count = 1;
};

const char* kind_name(admin_kind k) {
  switch (k) {
    case admin_kind::create_route:
      return "create_route";
    case admin_kind::delete_route:
      return "delete_route";
    case admin_kind::update_route:
      return "update_route";
    case admin_kind::create_service:
      return "create_service";
    case admin_kind::update_service:
      return "update_service";
    case admin_kind::delete_service:
      return "delete_service";
    case admin_kind::noop:
      return "noop";
  }
  return "unknown";
}

/// How RapidCheck prints a counterexample (found by argument-dependent lookup).
void showValue(const write_op& op, std::ostream& os) {
  os << "{+" << op.gap_s << "s " << kind_name(op.kind) << " x" << op.count << "}";
}

namespace {

constexpr double mib = 1024.0 * 1024.0;
/// Bytes are summed in a different order by the simulator and the formula.
constexpr double rounding = 1e-9;

struct setup {
  int routes = 50'000;
  int workers = 4;
  double pause = 200;
  double stepmul = 200;
  double router_bytes_per_route = 6 * 1024;
  double garbage_per_route = 4 * 1024;
  double held_share = 0;  ///< of the build's garbage, what it holds until it ends
  double entity_per_route = 2 * 1024;
  double baseline = 60 * mib;
  double rate_per_worker = 20;  ///< requests per second per worker
  double garbage_share = 0.02;  ///< request garbage as a share of the live set
  double duration_s = 40;
};

scenario make(const setup& u, const std::string& strategy) {
  scenario s;
  s.name = "memory bound";
  s.strategy = strategy;
  s.cluster.workers_per_node = u.workers;
  s.cluster.pod_memory_limit_bytes = 1e15;  // no OOM kill: the bounds assume none
  s.routes.routes = s.routes.services = u.routes;
  s.memory.gc_pause = u.pause;
  s.memory.gc_stepmul = u.stepmul;
  s.memory.router_bytes_per_route = u.router_bytes_per_route;
  s.memory.build_garbage_per_route_bytes = u.garbage_per_route;
  s.memory.build_held_per_route_bytes = u.held_share * u.garbage_per_route;
  s.memory.entity_cache_bytes_per_route = u.entity_per_route;
  s.memory.baseline_heap_bytes = u.baseline;
  s.traffic.rate_per_s = u.rate_per_worker * u.workers;
  const double live = u.baseline + u.routes * (u.router_bytes_per_route + u.entity_per_route);
  s.traffic.request_garbage_bytes = std::max(16.0 * 1024, u.garbage_share * live);
  s.traffic.client_timeout_s = 1e6;
  s.run.duration_s = u.duration_s;
  s.run.sample_interval_s = u.duration_s;
  return s;
}

std::vector<admin_op> script_of(const std::vector<write_op>& history, double duration_s) {
  std::vector<admin_op> script;
  double t = 0;
  for (const write_op& op : history) {
    t += op.gap_s;
    script.push_back(admin_op{std::min(t, duration_s), op.kind, op.count});
  }
  return script;
}

int operations(const std::vector<write_op>& history) {
  int n = 0;
  for (const write_op& op : history) n += op.count;
  return n;
}

std::string show(const std::vector<write_op>& history) {
  std::ostringstream os;
  rc::show(history, os);
  return os.str();
}

// ------------------------------------------------------------- generators --

/// Bursts (no gap), writes close together (ms to 2 s) and pauses (to 30 s).
rc::Gen<double> gen_gap() {
  return rc::gen::oneOf(rc::gen::just(0.0), rc::gen::map(rc::gen::inRange(1, 2000), [](int ms) { return ms * 1e-3; }),
                        rc::gen::map(rc::gen::inRange(1, 31), [](int s) { return static_cast<double>(s); }));
}

/// Writes that leave the number of routes as it is.
rc::Gen<admin_kind> gen_same_count_kind() {
  return rc::gen::element(admin_kind::update_route, admin_kind::noop, admin_kind::update_service);
}

rc::Gen<admin_kind> gen_any_kind() {
  return rc::gen::element(admin_kind::update_route, admin_kind::noop, admin_kind::update_service,
                          admin_kind::create_route, admin_kind::delete_route, admin_kind::create_service,
                          admin_kind::delete_service);
}

/// Up to 200 entries of up to 50 writes: histories of up to 10^4 operations.
rc::Gen<std::vector<write_op>> gen_history(rc::Gen<admin_kind> kinds) {
  auto op = rc::gen::construct<write_op>(gen_gap(), std::move(kinds), rc::gen::inRange(1, 51));
  return rc::gen::scale(2.0, rc::gen::container<std::vector<write_op>>(std::move(op)));
}

/// RapidCheck narrows integer ranges for its first, small cases; the
/// configuration is drawn over the whole range from the first case on.
rc::Gen<int> full_range(int lo, int hi) {
  return rc::gen::resize(100, rc::gen::inRange(lo, hi + 1));
}

/// Route counts log-uniform over [1, 10^6], and 10^6 itself in one case of
/// five; costs and GC in realistic ranges.
setup draw_setup() {
  setup u;
  const int tenths = *rc::gen::weightedOneOf<int>({{1, rc::gen::just(60)}, {4, full_range(0, 60)}});
  u.routes = static_cast<int>(std::lround(std::pow(10.0, tenths / 10.0)));
  u.workers = *full_range(1, 16);
  u.pause = *full_range(100, 400);
  u.stepmul = *full_range(100, 1000);
  u.router_bytes_per_route = *full_range(256, 8192);
  u.garbage_per_route = *full_range(0, 8192);
  u.held_share = *full_range(0, 100) * 1e-2;
  u.entity_per_route = *full_range(0, 4096);
  u.baseline = *full_range(1, 128) * mib;
  u.rate_per_worker = *full_range(1, 30);
  u.garbage_share = *full_range(5, 50) * 1e-3;
  return u;
}

/// Counts the shrinks RapidCheck accepted, and keeps its reports to itself:
/// for a property that is meant to fail.
class shrink_counter final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override { shrinks_ += accepted ? 1 : 0; }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  int shrinks() const noexcept { return shrinks_; }

 private:
  int shrinks_ = 0;
};

/// Runs a property with a fixed seed (deterministic, as every gwsim run) and
/// returns RapidCheck's result.
template <class Property>
rc::detail::TestResult check(const char* id, int cases, Property&& property,
                             rc::detail::TestListener* listener = nullptr) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  rc::detail::TestParams params;
  params.seed = 20'261'126;
  params.maxSuccess = cases;
  const rc::detail::Property p = rc::detail::toProperty(std::forward<Property>(property));
  if (listener != nullptr) return rc::detail::checkProperty(p, metadata, params, *listener);
  return rc::detail::checkProperty(p, metadata, params);
}

void expect_success(const rc::detail::TestResult& result) {
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream os;
    rc::detail::printResultMessage(result, os);
    ADD_FAILURE() << os.str();
  }
}

const std::vector<std::string> all_strategies = {"full_rebuild", "lazy",          "incremental", "sharded",
                                                 "shared_rcu",   "double_buffer", "reload"};

// ---------------------------------------------------------------- mapping --

TEST(MemoryBoundInputs, MapsScenarioFieldsAndTheWorkloadToBoundParameters) {
  setup u;
  scenario s = make(u, "full_rebuild");
  analytic::memory_bound_params p = memory_bound_inputs(s);
  EXPECT_EQ(p.routes, 50'000);
  EXPECT_EQ(p.router_bytes_per_route, 6 * 1024);
  EXPECT_EQ(p.cache_slots, 5000);
  EXPECT_EQ(p.workers, 4);
  EXPECT_EQ(p.routes_per_build_step, 1000);
  EXPECT_FALSE(p.route_count_changes);
  EXPECT_EQ(p.table_versions, 1);
  // Creates raise N; a loop adds one route at a time; writes bound the
  // versions and generations alive.
  s.admin.script = {admin_op{1, admin_kind::create_route, 3}, admin_op{2, admin_kind::update_route, 2}};
  s.admin.loops = {admin_loop{10, 20, 1}};
  p = memory_bound_inputs(s);
  EXPECT_EQ(p.routes, 50'000 + 3 + 1);
  EXPECT_TRUE(p.route_count_changes);
  EXPECT_EQ(p.max_routes_added_per_update, 4);
  EXPECT_EQ(p.table_versions, 1 + 5 + 11);
  s.admin.poisson_rate_per_s = 0.1;
  EXPECT_EQ(memory_bound_inputs(s).generations, std::numeric_limits<double>::infinity());
  // A reload's shutdown timeout bounds its generations: 50 pages x 4 ms
  // apart at the fewest routes the workload can leave.
  s.admin = admin_config{};
  s.strategy = "reload";
  s.design.worker_shutdown_timeout_s = 1.0;
  s.admin.script = {admin_op{1, admin_kind::update_route, 100}};
  EXPECT_EQ(memory_bound_inputs(s).generations, 2 + 5);
  s.strategy = "lazy";
  EXPECT_EQ(memory_bound_inputs(s).routes_per_build_step, 50'000);
  EXPECT_EQ(rebuild_kind_of("full_rebuild"), analytic::rebuild_kind::replace_per_worker);
  EXPECT_EQ(rebuild_kind_of("sharded"), analytic::rebuild_kind::in_place_per_worker);
  EXPECT_EQ(rebuild_kind_of("shared_rcu"), analytic::rebuild_kind::shared_table);
  EXPECT_EQ(rebuild_kind_of("double_buffer"), analytic::rebuild_kind::double_buffer);
  EXPECT_EQ(rebuild_kind_of("reload"), analytic::rebuild_kind::process_generation);
  EXPECT_THROW((void)rebuild_kind_of("nope"), std::invalid_argument);
  for (const std::string& name : strategy_names()) EXPECT_NO_THROW((void)rebuild_kind_of(name)) << name;
}

// --------------------------------------------------------------- soundness --

/// What the generated cases covered, printed after a property so that a
/// run shows it reached the scale it claims.
struct coverage {
  int cases = 0;
  int most_operations = 0;
  int most_routes = 0;
  int most_workers = 0;
  double highest_ratio = 0;
  void add(const setup& u, const std::vector<write_op>& history) {
    ++cases;
    most_operations = std::max(most_operations, operations(history));
    most_routes = std::max(most_routes, u.routes);
    most_workers = std::max(most_workers, u.workers);
  }
  void print(const char* what) const {
    std::printf("%s: %d cases, up to %d admin operations, %d routes, %d workers; highest peak / bound %.3f\n", what,
                cases, most_operations, most_routes, most_workers, highest_ratio);
  }
};

TEST(MemoryBoundProperty, NoStrategyExceedsItsBound) {
  coverage seen;
  expect_success(check("soundness", 100, [&] {
    const setup u = draw_setup();
    const std::vector<write_op> history = *gen_history(gen_any_kind());
    seen.add(u, history);
    for (const std::string& strategy : all_strategies) {
      scenario s = make(u, strategy);
      s.admin.script = script_of(history, s.run.duration_s);
      const analytic::memory_bound b = memory_bounds_of(s);
      const result r = run(s);
      RC_ASSERT(r.totals.oom_kills == 0u);
      RC_LOG() << strategy << ": peak heap " << r.totals.peak_worker_heap_bytes << " bound " << b.worker_heap_bytes
               << ", peak pod " << r.totals.peak_pod_memory_bytes << " bound " << b.pod_bytes << "\n";
      seen.highest_ratio = std::max(seen.highest_ratio, r.totals.peak_worker_heap_bytes / b.worker_heap_bytes);
      RC_ASSERT(r.totals.peak_worker_heap_bytes <= b.worker_heap_bytes * (1 + rounding));
      RC_ASSERT(r.totals.peak_pod_memory_bytes <= b.pod_bytes * (1 + rounding));
    }
  }));
  seen.print("soundness");
}

// ------------------------------------------------------------ boundedness --

/// The bound from the configuration alone: the scenario with no admin writes.
double live_configuration_bound(scenario s) {
  s.admin = admin_config{};
  return memory_bounds_of(s).worker_heap_bytes;
}

TEST(MemoryBoundProperty, InPlaceAndSharedDesignsAreBoundedByTheLiveConfiguration) {
  coverage seen;
  expect_success(check("boundedness", 100, [&] {
    const setup u = draw_setup();
    const std::vector<write_op> history = *gen_history(gen_same_count_kind());
    seen.add(u, history);
    for (const char* strategy : {"incremental", "sharded", "shared_rcu", "double_buffer", "reload"}) {
      scenario s = make(u, strategy);
      const double bound = live_configuration_bound(s);
      s.admin.script = script_of(history, s.run.duration_s);
      // The same number whatever the history: no term grows with its length.
      RC_ASSERT(memory_bounds_of(s).worker_heap_bytes == bound);
      const result r = run(s);
      RC_LOG() << strategy << ": " << operations(history) << " writes, peak " << r.totals.peak_worker_heap_bytes
               << " bound " << bound << "\n";
      seen.highest_ratio = std::max(seen.highest_ratio, r.totals.peak_worker_heap_bytes / bound);
      RC_ASSERT(r.totals.peak_worker_heap_bytes <= bound * (1 + rounding));
    }
  }));
  seen.print("boundedness");
}

// --------------------------------------- the full rebuild's counterexample --

TEST(MemoryBoundProperty, FullRebuildIsNotBoundedByTheLiveConfiguration) {
  // The incident's configuration (scenarios/kong-2x-incident.toml: 50,000
  // routes, 4 workers, Kong 2.2's memory constants, pause = stepmul = 200).
  const setup u;
  const double bound = live_configuration_bound(make(u, "incremental"));
  std::optional<std::vector<write_op>> last_failure;
  double last_peak = 0;
  shrink_counter shrinks;
  const rc::detail::TestResult result = check(
      "full_rebuild_unbounded", 100,
      [&] {
        const std::vector<write_op> history = *gen_history(gen_same_count_kind());
        scenario s = make(u, "full_rebuild");
        s.admin.script = script_of(history, s.run.duration_s);
        const double peak = run(s).totals.peak_worker_heap_bytes;
        if (peak > bound) {
          // RapidCheck accepts every failing shrink it tries: the last failure
          // seen is the shrunk counterexample.
          last_failure = history;
          last_peak = peak;
        }
        RC_ASSERT(peak <= bound);
      },
      &shrinks);
  rc::detail::FailureResult failure;
  ASSERT_TRUE(result.match(failure)) << "no history took a full-rebuild worker above the live-configuration bound";
  ASSERT_TRUE(last_failure.has_value());
  const std::vector<write_op>& minimal = *last_failure;
  std::cout << "full_rebuild counterexample (found after " << failure.numSuccess << " passing histories, "
            << shrinks.shrinks() << " shrinks): history " << show(minimal) << " = " << operations(minimal)
            << " write(s); peak worker heap " << std::fixed << std::setprecision(1) << last_peak / mib
            << " MiB > live-configuration bound " << bound / mib << " MiB (x" << std::setprecision(3)
            << last_peak / bound << ")\n";
  EXPECT_LE(operations(minimal), 3);
  EXPECT_LE(minimal.size(), 3u);
  // The same history keeps the incremental design within the bound.
  scenario s = make(u, "incremental");
  s.admin.script = script_of(minimal, s.run.duration_s);
  EXPECT_LE(run(s).totals.peak_worker_heap_bytes, bound);
  // And the full rebuild's own bound holds.
  s.strategy = "full_rebuild";
  EXPECT_LE(last_peak, memory_bounds_of(s).worker_heap_bytes);
  // The peak grows with the writes (3 s apart from 10 s), up to H_full.
  std::cout << "full_rebuild peak / live-configuration bound by writes:";
  double previous = 0;
  for (int writes : {0, 1, 2, 5, 10}) {
    s.admin.script.clear();
    for (int k = 0; k < writes; ++k) s.admin.script.push_back(admin_op{10.0 + 3.0 * k, admin_kind::update_route, 1});
    const double ratio = run(s).totals.peak_worker_heap_bytes / bound;
    std::cout << " " << writes << ": " << std::setprecision(3) << ratio;
    if (writes == 0) {
      EXPECT_LE(ratio, 1.0);
    }
    EXPECT_GE(ratio, previous * 0.99);
    previous = ratio;
  }
  std::cout << " (H_full: " << memory_bounds_of(s).worker_heap_bytes / bound << ")\n";
}

// --------------------------------------------------------------- tightness --

/// The highest peak / bound over a family of adversaries for one
/// configuration: the quiet sawtooth, and writes about one build apart so
/// that builds overlap every marking phase (the worst case for designs that
/// allocate routers), under the standard request mix and under one whose
/// garbage is ten times smaller, so that builds rather than requests pace
/// the collector.
double adversarial_ratio(const setup& configuration, const std::string& strategy, std::string* worst) {
  double best = 0;
  for (double garbage_share : {configuration.garbage_share, configuration.garbage_share / 10}) {
    setup u = configuration;
    u.garbage_share = garbage_share;
    scenario s = make(u, strategy);
    const auto consider = [&](const std::vector<admin_op>& script, const std::string& what) {
      s.admin.script = script;
      const double ratio = run(s).totals.peak_worker_heap_bytes / memory_bounds_of(s).worker_heap_bytes;
      if (ratio > best) {
        best = ratio;
        std::ostringstream os;
        os << what << ", request garbage " << std::setprecision(2) << 100 * garbage_share << "% of L";
        *worst = os.str();
      }
    };
    consider({}, "quiet");
    const double pages = std::ceil(u.routes / 1000.0);
    const double build_s = pages * (0.004 + 1000 * 20e-6) + u.routes * std::log2(u.routes) * 0.5e-6;
    for (double spacing : {0.5, 1.0}) {
      for (double start : {5.0, 17.0}) {
        std::vector<admin_op> script;
        const double gap = std::max(0.1, spacing * build_s);
        for (double t = start; t < u.duration_s; t += gap) script.push_back(admin_op{t, admin_kind::update_route, 1});
        std::ostringstream what;
        what << script.size() << " writes every " << std::setprecision(2) << gap << " s from " << start << " s";
        consider(script, what.str());
      }
    }
  }
  return best;
}

TEST(MemoryBoundProperty, AdversarialHistoriesComeCloseToEveryBound) {
  std::printf("%-14s %7s %5s %7s  %s\n", "strategy", "routes", "pause", "stepmul", "peak / bound (worst history)");
  for (const char* strategy : {"full_rebuild", "incremental", "shared_rcu", "double_buffer", "reload"}) {
    double lowest = 1;
    for (int routes : {20'000, 200'000}) {
      for (double pause : {150.0, 200.0, 400.0}) {
        for (double stepmul : {100.0, 200.0, 1000.0}) {
          setup u;
          u.routes = routes;
          u.workers = 2;
          u.pause = pause;
          u.stepmul = stepmul;
          /// Long enough for a few cycles at the highest pause when builds,
          /// not requests, pace the collector.
          u.duration_s = 150;
          std::string worst;
          const double ratio = adversarial_ratio(u, strategy, &worst);
          std::printf("%-14s %7d %5.0f %7.0f  %.3f (%s)\n", strategy, routes, pause, stepmul, ratio, worst.c_str());
          lowest = std::min(lowest, ratio);
          EXPECT_LE(ratio, 1 + rounding);
        }
      }
    }
    /// The full rebuild's bound keeps room for a marking window that starts
    /// exactly where a build's Router.new starts; the grid's histories come
    /// within 0.76-0.91 of it (0.94-0.99 for the other designs).
    EXPECT_GE(lowest, std::string_view(strategy) == "full_rebuild" ? 0.75 : 0.8) << strategy;
  }
}

// ---------------------------------------------------- the note's table --

/// The table of papers/memory-bounds.md: bounds against simulated peaks for
/// the incident's scenario files under every design, with the pod limit
/// lifted (the bounds assume no OOM kill).
TEST(MemoryBoundProperty, ScenarioFilesStayWithinTheirBounds) {
  const std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path() / "../../../scenarios";
  std::printf(
      "| scenario | strategy | peak worker heap (MiB) | bound H (MiB) | peak / H | peak pod (GiB) | pod bound (GiB) "
      "|\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const char* file : {"kong-2x-incident.toml", "router-designs.toml"}) {
    for (const char* strategy : {"full_rebuild", "incremental", "shared_rcu", "double_buffer", "reload"}) {
      scenario s = load_scenario((dir / file).string());
      s.strategy = strategy;
      s.cluster.pod_memory_limit_bytes = 1e15;
      const analytic::memory_bound b = memory_bounds_of(s);
      const result r = run(s);
      std::printf("| %s | %s | %.0f | %.0f | %.3f | %.2f | %.2f |\n", file, strategy,
                  r.totals.peak_worker_heap_bytes / mib, b.worker_heap_bytes / mib,
                  r.totals.peak_worker_heap_bytes / b.worker_heap_bytes, r.totals.peak_pod_memory_bytes / (1024 * mib),
                  b.pod_bytes / (1024 * mib));
      EXPECT_LE(r.totals.peak_worker_heap_bytes, b.worker_heap_bytes * (1 + rounding)) << file << " " << strategy;
      EXPECT_LE(r.totals.peak_pod_memory_bytes, b.pod_bytes * (1 + rounding)) << file << " " << strategy;
    }
  }
}

}  // namespace
}  // namespace memory_bound_test
}  // namespace gwsim::gateway
