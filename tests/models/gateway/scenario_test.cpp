// validate(): the defaults pass; every field's own range is enforced and
// reported with its dotted path, value and rule; the cross-field rules hold.

#include "models/gateway/scenario.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/gateway/scenario_io.hpp"

namespace gwsim::gateway {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

/// The message validate() gives for `s`, or "" when it passes.
std::string problem(const scenario& s) {
  try {
    validate(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

std::string problem_after(const std::function<void(scenario&)>& change) {
  scenario s;
  change(s);
  return problem(s);
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(Validate, DefaultsAreValid) {
  EXPECT_EQ(problem(scenario{}), "");
}

TEST(Validate, MessageNamesFieldValueRuleAndUnit) {
  EXPECT_EQ(problem_after([](scenario& s) { s.traffic.rate_per_s = -1; }),
            "traffic.rate_per_s = -1 is invalid: must be finite and >= 0 (per second)");
  EXPECT_EQ(problem_after([](scenario& s) { s.cluster.nodes = 0; }),
            "cluster.nodes = 0 is invalid: must be an integer in [1, 1000] (pods)");
  EXPECT_EQ(problem_after([](scenario& s) { s.memory.gc_pause = 99; }),
            "memory.gc_pause = 99 is invalid: must be finite and in [100, 1000] (percent)");
  EXPECT_EQ(problem_after([](scenario& s) { s.strategy = "eager"; }),
            "strategy = \"eager\" is invalid: must be one of: full_rebuild, lazy, incremental, shared_rcu, double_buffer, reload, sharded");
}

TEST(Validate, ThrowsScenarioErrorCarryingTheField) {
  scenario s;
  s.kong.rebuild_timeout_s = 0;
  try {
    validate(s);
    FAIL() << "no error";
  } catch (const scenario_error& e) {
    EXPECT_EQ(e.field(), "kong.rebuild_timeout_s");
  }
}

struct case_t {
  const char* field;
  std::function<void(scenario&)> change;
};

TEST(Validate, RepresentativeFieldInEverySection) {
  const case_t cases[] = {
      {"name", [](scenario& s) { s.name = ""; }},
      {"name", [](scenario& s) { s.name = "line\nbreak"; }},
      {"strategy", [](scenario& s) { s.strategy = "Full_Rebuild"; }},
      {"cluster.nodes", [](scenario& s) { s.cluster.nodes = 1001; }},
      {"cluster.workers_per_node", [](scenario& s) { s.cluster.workers_per_node = 257; }},
      {"cluster.workers_per_node", [](scenario& s) { s.cluster.workers_per_node = 0; }},
      {"cluster.pod_memory_limit_bytes", [](scenario& s) { s.cluster.pod_memory_limit_bytes = inf; }},
      {"cluster.respawn", [](scenario& s) { s.cluster.respawn = static_cast<respawn_policy>(7); }},
      {"database.page_size", [](scenario& s) { s.database.page_size = 0; }},
      {"database.connections", [](scenario& s) { s.database.connections = -3; }},
      {"database.page_latency_s", [](scenario& s) { s.database.page_latency_s = nan; }},
      {"routes.routes", [](scenario& s) { s.routes.routes = 10'000'001; }},
      {"routes.routes", [](scenario& s) { s.routes.routes = -1; }},
      {"routes.paths_per_route", [](scenario& s) { s.routes.paths_per_route = 0.5; }},
      {"traffic.on_s", [](scenario& s) { s.traffic.on_s = 0; }},
      {"traffic.mode", [](scenario& s) { s.traffic.mode = static_cast<arrival_mode>(-1); }},
      {"traffic.zipf_s", [](scenario& s) { s.traffic.zipf_s = -0.1; }},
      {"traffic.client_timeout_s", [](scenario& s) { s.traffic.client_timeout_s = -inf; }},
      {"kong.worker_state_update_frequency_s", [](scenario& s) { s.kong.worker_state_update_frequency_s = 0; }},
      {"kong.build_yield_every", [](scenario& s) { s.kong.build_yield_every = -1; }},
      {"kong.worker_consistency", [](scenario& s) { s.kong.worker_consistency = static_cast<consistency>(2); }},
      {"memory.gc_pause", [](scenario& s) { s.memory.gc_pause = 1001; }},
      {"memory.gc_stepmul", [](scenario& s) { s.memory.gc_stepmul = 99; }},
      {"memory.gc_stepmul", [](scenario& s) { s.memory.gc_stepmul = 10'001; }},
      {"memory.lru_slots", [](scenario& s) { s.memory.lru_slots = 0; }},
      {"memory.router_bytes_per_route", [](scenario& s) { s.memory.router_bytes_per_route = -1; }},
      {"cost.build_ns_per_path", [](scenario& s) { s.cost.build_ns_per_path = -1; }},
      {"cost.incremental_ns_per_change", [](scenario& s) { s.cost.incremental_ns_per_change = nan; }},
      {"admin.poisson_rate_per_s", [](scenario& s) { s.admin.poisson_rate_per_s = -0.5; }},
      {"admin.poisson_rate_per_s", [](scenario& s) { s.admin.poisson_rate_per_s = 1e6; }},
      {"run.duration_s", [](scenario& s) { s.run.duration_s = 0; }},
      {"run.sample_interval_s", [](scenario& s) { s.run.sample_interval_s = 0; }},
  };
  for (const case_t& c : cases) {
    const std::string msg = problem_after(c.change);
    EXPECT_TRUE(starts_with(msg, std::string(c.field) + " = ")) << c.field << ": " << msg;
    EXPECT_NE(msg.find("is invalid: must be"), std::string::npos) << msg;
  }
}

TEST(Validate, EveryNumericFieldRejectsNaNAndValuesJustOutsideItsRange) {
  for (const auto& f : scenario_fields()) {
    const std::string path = f.dotted();
    const bool floating = f.kind == field_kind::real || f.kind == field_kind::duration || f.kind == field_kind::size;
    if (floating) {
      scenario s;
      f.set(s, nan);
      EXPECT_TRUE(starts_with(problem(s), path + " = nan is invalid")) << problem(s);
      f.set(s, inf);
      EXPECT_TRUE(starts_with(problem(s), path + " = ")) << path << ": " << problem(s);
    }
    if (!floating && f.kind != field_kind::integer) continue;
    const auto value = [&](double v) -> field_value {
      if (floating) return v;
      return static_cast<std::int64_t>(v);
    };
    const auto outside = [&](double bound, double direction) {
      if (!floating) return bound + direction;
      return bound + direction * std::max(1e-9, std::fabs(bound) * 1e-9);
    };
    if (std::isfinite(f.range.min)) {
      scenario s;
      f.set(s, value(f.range.min_open ? f.range.min : outside(f.range.min, -1)));
      EXPECT_TRUE(starts_with(problem(s), path + " = ")) << path << ": " << problem(s);
      if (!f.range.min_open) {
        f.set(s, value(f.range.min));
        // The bound itself passes this field's rule (another rule may object).
        EXPECT_FALSE(starts_with(problem(s), path + " = ")) << path << ": " << problem(s);
      }
    }
    if (std::isfinite(f.range.max)) {
      scenario s;
      f.set(s, value(f.range.max_open ? f.range.max : outside(f.range.max, +1)));
      EXPECT_TRUE(starts_with(problem(s), path + " = ")) << path << ": " << problem(s);
      if (!f.range.max_open) {
        // Regex paths are some of the P route paths: enough routes for the largest count.
        s.routes.routes = 10'000'000;
        f.set(s, value(f.range.max));
        EXPECT_FALSE(starts_with(problem(s), path + " = ")) << path << ": " << problem(s);
      }
    }
  }
}

TEST(Validate, AdminScript) {
  scenario s;
  s.run.duration_s = 60;
  s.admin.script = {{10, admin_kind::create_route, 1}, {10, admin_kind::delete_route, 2}, {60, admin_kind::noop, 1}};
  EXPECT_EQ(problem(s), "");

  s.admin.script[2].at_s = 61;
  EXPECT_EQ(problem(s), "admin.script[2].at_s = 61 is invalid: must be <= run.duration_s = 60 (seconds)");

  s.admin.script[2].at_s = 5;
  EXPECT_TRUE(starts_with(problem(s), "admin.script[2].at_s = 5 is invalid: must be >= admin.script[1].at_s = 10"))
      << problem(s);

  s.admin.script[2].at_s = 20;
  s.admin.script[1].count = 0;
  EXPECT_EQ(problem(s), "admin.script[1].count = 0 is invalid: must be an integer in [1, 1000000] (operations)");

  s.admin.script[1].count = 1;
  s.admin.script[0].at_s = -1;
  EXPECT_TRUE(starts_with(problem(s), "admin.script[0].at_s = -1 is invalid")) << problem(s);

  s.admin.script[0].at_s = 0;
  s.admin.script[0].kind = static_cast<admin_kind>(99);
  EXPECT_EQ(problem(s),
            "admin.script[0].kind = \"?\" is invalid: must be one of: create_route, delete_route, update_route, "
            "create_service, update_service, delete_service, noop");
}

TEST(Validate, AdminLoops) {
  scenario s;
  s.run.duration_s = 100;
  s.admin.loops = {{0, 0, 1}, {10, 20, 0.5}, {50, 100, 0.001}};
  EXPECT_EQ(problem(s), "");

  s.admin.loops[1].stop_s = 10;
  EXPECT_EQ(problem(s),
            "admin.loops[1].stop_s = 10 is invalid: must be 0 (until the end) or in (start_s = 10, run.duration_s = "
            "100] (seconds)");
  s.admin.loops[1].stop_s = 101;
  EXPECT_TRUE(starts_with(problem(s), "admin.loops[1].stop_s = 101 is invalid")) << problem(s);
  s.admin.loops[1].stop_s = 20;

  s.admin.loops[2].interval_s = 0;
  EXPECT_EQ(problem(s), "admin.loops[2].interval_s = 0 is invalid: must be finite and >= 0.001 (seconds)");
  s.admin.loops[2].interval_s = 1;

  s.admin.loops[0].start_s = 101;
  EXPECT_EQ(problem(s), "admin.loops[0].start_s = 101 is invalid: must be <= run.duration_s = 100 (seconds)");
}

TEST(Validate, SampleIntervalFitsTheRun) {
  EXPECT_EQ(problem_after([](scenario& s) { s.run.sample_interval_s = 301; }),
            "run.sample_interval_s = 301 is invalid: must be <= run.duration_s = 300 (seconds)");
  const std::string msg = problem_after([](scenario& s) { s.run.sample_interval_s = 1e-6; });
  EXPECT_TRUE(starts_with(msg, "run.sample_interval_s = 1e-06 is invalid: must give at most 10000000 samples")) << msg;
}

TEST(Validate, WhatABuildHoldsIsPartOfItsGarbage) {
  const std::string msg = problem_after([](scenario& s) {
    s.memory.build_garbage_per_route_bytes = 1000;
    s.memory.build_held_per_route_bytes = 1500;
  });
  EXPECT_TRUE(starts_with(msg, "memory.build_held_per_route_bytes = 1500 is invalid: must be <= "
                               "memory.build_garbage_per_route_bytes = 1000"))
      << msg;
  EXPECT_EQ(problem_after([](scenario& s) { s.memory.build_held_per_route_bytes = s.memory.build_garbage_per_route_bytes; }),
            "");
}

TEST(Validate, PodLimitExceedsFixedMemory) {
  const std::string msg = problem_after([](scenario& s) { s.cluster.pod_memory_limit_bytes = 256.0 * (1 << 20); });
  // master 64 MiB + 2 x 128 MiB dicts + 16 MiB zones = 336 MiB
  EXPECT_TRUE(starts_with(msg, "cluster.pod_memory_limit_bytes = 268435456 is invalid: must exceed")) << msg;
  EXPECT_NE(msg.find("336 MiB"), std::string::npos) << msg;
  EXPECT_EQ(problem_after([](scenario& s) {
              s.cluster.pod_memory_limit_bytes = 256.0 * (1 << 20);
              s.cluster.mem_cache_dicts = 0;
            }),
            "");
}

TEST(Validate, FirstInvalidFieldInTableOrder) {
  const std::string msg = problem_after([](scenario& s) {
    s.run.duration_s = -1;
    s.cluster.nodes = 0;
  });
  EXPECT_TRUE(starts_with(msg, "cluster.nodes")) << msg;
}

TEST(Validate, EveryRegisteredStrategyIsAccepted) {
  for (const std::string& name : known_strategies()) {
    EXPECT_EQ(problem_after([&](scenario& s) { s.strategy = name; }), "") << name;
  }
}

TEST(Validate, RegexPathsAreSomeOfTheRoutePaths) {
  scenario s;
  s.routes.routes = 1000;
  s.routes.paths_per_route = 1.5;
  s.routes.regex_paths = 1500;
  EXPECT_EQ(problem(s), "");
  s.routes.regex_paths = 1501;
  EXPECT_EQ(problem(s), "routes.regex_paths = 1501 is invalid: must be <= routes.routes * routes.paths_per_route = "
                        "1500 (paths: the regex paths are some of the route paths)");
}

}  // namespace
}  // namespace gwsim::gateway
