#include "models/calibration/bench_results.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/calibration/calibrate.hpp"

namespace gwsim::calibration {
namespace {

// A trimmed Google Benchmark 1.7 JSON document: router runs in several time
// units, a baseline that is not a router sample, a run that reported an
// error, a repeated run with its aggregates, and an incremental design.
constexpr const char* fixture = R"json({
  "context": {"date": "2026-11-25T20:00:00+00:00", "num_cpus": 2, "library_build_type": "release"},
  "benchmarks": [
    {"name": "BM_GenerateRoutes/1000/min_time:0.300", "run_name": "BM_GenerateRoutes/1000/min_time:0.300",
     "run_type": "iteration", "iterations": 10, "real_time": 2.0, "cpu_time": 2.0, "time_unit": "ms"},
    {"name": "BM_TraditionalBuild/1000/min_time:0.300", "family_index": 3, "per_family_instance_index": 0,
     "run_name": "BM_TraditionalBuild/1000/min_time:0.300", "run_type": "iteration", "repetitions": 1,
     "repetition_index": 0, "threads": 1, "iterations": 120, "real_time": 9.0, "cpu_time": 3.0, "time_unit": "ms",
     "bytes_per_route": 1280.0, "items_per_second": 3.3e5, "paths_per_route": 1.2},
    {"name": "BM_TraditionalBuild/10000/min_time:0.300", "run_name": "BM_TraditionalBuild/10000/min_time:0.300",
     "run_type": "iteration", "iterations": 8, "real_time": 0.1, "cpu_time": 0.025, "time_unit": "s",
     "bytes_per_route": 900.0, "paths_per_route": 1.2},
    {"name": "BM_TraditionalMatch/1000/0/min_time:0.200", "run_name": "BM_TraditionalMatch/1000/0/min_time:0.200",
     "run_type": "iteration", "iterations": 1000, "real_time": 20.0, "cpu_time": 10.0, "time_unit": "us",
     "hit_ratio": 0.0},
    {"name": "BM_TraditionalMatch/1000/90/min_time:0.200", "run_name": "BM_TraditionalMatch/1000/90/min_time:0.200",
     "run_type": "iteration", "iterations": 1000, "real_time": 3.0, "cpu_time": 1.45, "time_unit": "us",
     "hit_ratio": 0.9},
    {"name": "BM_RadixMatch/1000/0", "run_name": "BM_RadixMatch/1000/0", "run_type": "iteration",
     "error_occurred": true, "error_message": "out of memory", "iterations": 0, "real_time": 0, "cpu_time": 0,
     "time_unit": "ns"},
    {"name": "BM_IncrementalAdd/1000", "run_name": "BM_IncrementalAdd/1000", "run_type": "iteration",
     "repetitions": 2, "repetition_index": 0, "iterations": 100, "real_time": 5.0, "cpu_time": 5.0, "time_unit": "us"},
    {"name": "BM_IncrementalAdd/1000", "run_name": "BM_IncrementalAdd/1000", "run_type": "iteration",
     "repetitions": 2, "repetition_index": 1, "iterations": 100, "real_time": 7.0, "cpu_time": 7.0, "time_unit": "us"},
    {"name": "BM_IncrementalAdd/1000_mean", "run_name": "BM_IncrementalAdd/1000", "run_type": "aggregate",
     "aggregate_name": "mean", "iterations": 2, "real_time": 6.0, "cpu_time": 6.0, "time_unit": "us"},
    {"name": "BM_IncrementalAdd/1000_median", "run_name": "BM_IncrementalAdd/1000", "run_type": "aggregate",
     "aggregate_name": "median", "iterations": 2, "real_time": 6.5, "cpu_time": 6.5, "time_unit": "us"}
  ]
})json";

TEST(BenchResults, ParsesRouterBenchmarkNames) {
  const auto b = parse_bench_name("BM_TraditionalMatch/50000/90/min_time:0.200");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->design, "traditional");
  EXPECT_EQ(b->operation, "match");
  EXPECT_EQ(b->n, 50'000);
  EXPECT_EQ(b->hit_percent, 90);
  const auto d = parse_bench_name("BM_DoubleBufferedUpdate/5000/iterations:3/real_time");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->design, "double_buffered");
  EXPECT_EQ(d->operation, "update");
  EXPECT_FALSE(d->hit_percent);
  for (const char* other :
       {"BM_GenerateRoutes/1000", "BM_Build/1000", "BM_RadixBuild", "BM_RadixBuild/x", "BM_RadixBuild/0",
        "BM_RadixMatch/1/2/3", "BM_RadixMatch/10/101", "Traditional/1", "BM_radixBuild/10"}) {
    EXPECT_FALSE(parse_bench_name(other)) << other;
  }
  EXPECT_EQ(snake_case("ShardedRcu"), "sharded_rcu");
  EXPECT_EQ(camel_case("sharded_rcu"), "ShardedRcu");
}

TEST(BenchResults, ParsesAFixtureIntoSamples) {
  std::vector<std::string> skipped;
  const std::vector<bench_sample> s = parse_benchmark_json(fixture, "fixture.json", &skipped);
  ASSERT_EQ(s.size(), 5U);
  EXPECT_EQ(s[0].design, "traditional");
  EXPECT_EQ(s[0].operation, "build");
  EXPECT_EQ(s[0].n, 1'000);
  EXPECT_DOUBLE_EQ(s[0].ns, 3e6);  // CPU time, not real time
  EXPECT_EQ(s[0].counters.at("bytes_per_route"), 1280.0);
  EXPECT_FALSE(s[0].counters.contains("items_per_second"));
  EXPECT_DOUBLE_EQ(s[1].ns, 2.5e7);  // seconds
  EXPECT_EQ(s[3].hit_percent, 90);
  EXPECT_DOUBLE_EQ(s[3].ns, 1'450.0);  // microseconds
  EXPECT_EQ(s[4].design, "incremental");
  EXPECT_EQ(s[4].operation, "add");
  EXPECT_DOUBLE_EQ(s[4].ns, 6'500.0);  // the median aggregate replaces the repetitions
  ASSERT_EQ(skipped.size(), 1U);
  EXPECT_NE(skipped[0].find("out of memory"), std::string::npos);
}

TEST(BenchResults, RejectsBadDocuments) {
  EXPECT_THROW((void)parse_benchmark_json("{\"benchmarks\": [", "x"), std::invalid_argument);
  try {
    (void)parse_benchmark_json("{\"context\": {}}", "run.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("run.json: benchmarks = (missing)"), std::string::npos);
  }
  const char* bad_unit =
      R"({"benchmarks": [{"name": "BM_RadixBuild/10", "cpu_time": 1.0, "time_unit": "fortnights"}]})";
  try {
    (void)parse_benchmark_json(bad_unit, "u.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("time_unit = \"fortnights\""), std::string::npos);
  }
  const char* no_time = R"({"benchmarks": [{"name": "BM_RadixBuild/10", "time_unit": "ns"}]})";
  EXPECT_THROW((void)parse_benchmark_json(no_time, "t.json"), std::invalid_argument);
}

TEST(Calibrate, FixtureGivesPerDesignCostsAndNotes) {
  const std::vector<bench_sample> s = parse_benchmark_json(fixture, "fixture.json");
  const calibrate_outcome out = calibrate(s, {"d", "m", "v", "fixture"});
  ASSERT_EQ(out.result.designs.size(), 2U);  // traditional, incremental; radix errored, sharded absent
  const design_calibration& t = out.result.designs.at("traditional");
  ASSERT_TRUE(t.build);
  EXPECT_EQ(t.build->form, fit_form::linear);  // two sizes
  EXPECT_NEAR(t.build->fitted_ns(1'000), 3e6, 1e-3);
  EXPECT_NEAR(t.build->fitted_ns(10'000), 2.5e7, 1e-1);
  EXPECT_EQ(*t.bytes_per_route, 1'090.0);
  EXPECT_EQ(*t.paths_per_route, 1.2);
  ASSERT_TRUE(t.match_miss);
  EXPECT_NEAR(t.match_miss->a_ns, 10'000.0, 1e-6);
  ASSERT_TRUE(t.match_hit);  // (1450 - 0.1 * 10000) / 0.9 = 500
  EXPECT_NEAR(t.match_hit->a_ns, 500.0, 1e-6);
  const design_calibration& i = out.result.designs.at("incremental");
  ASSERT_TRUE(i.add);
  EXPECT_EQ(i.add->form, fit_form::constant);
  EXPECT_NEAR(i.add->a_ns, 6'500.0, 1e-6);
  EXPECT_EQ(*i.paths_per_route, 1.2);  // taken from the run
  bool radix_noted = false;
  bool sharded_noted = false;
  for (const std::string& n : out.notes) {
    radix_noted = radix_noted || n.starts_with("radix: skipped");
    sharded_noted = sharded_noted || n.find("sharded: skipped, no benchmarks named BM_Sharded") != std::string::npos;
  }
  EXPECT_TRUE(radix_noted);
  EXPECT_TRUE(sharded_noted);
}

TEST(Calibrate, RecoversAnExactBuildCost) {
  std::vector<bench_sample> s;
  for (double n : {1e3, 1e4, 5e4, 1e5}) {
    bench_sample b;
    b.design = "radix";
    b.operation = "build";
    b.n = n;
    b.ns = 1e6 + 2'000.0 * n + 50.0 * n * std::log2(n);
    s.push_back(b);
  }
  const calibrate_outcome out = calibrate(s, {}, {});
  const cost_entry& e = *out.result.designs.at("radix").build;
  EXPECT_EQ(e.form, fit_form::nlogn);
  EXPECT_NEAR(e.a_ns, 1e6, 1.0);
  EXPECT_NEAR(e.b_ns, 2'000.0, 1e-3);
  EXPECT_NEAR(e.c_ns, 50.0, 1e-4);
  EXPECT_EQ(e.n_min, 1e3);
  EXPECT_EQ(e.n_max, 1e5);
  EXPECT_EQ(e.points, 4);
  EXPECT_EQ(form_for(1), fit_form::constant);
}

}  // namespace
}  // namespace gwsim::calibration
