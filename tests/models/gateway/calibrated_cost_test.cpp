#include "models/gateway/calibrated_cost.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace gwsim::gateway {
namespace {

calibration::cost_entry cost(double a, double b, double c, double scale = 1.0) {
  calibration::cost_entry e;
  e.a_ns = a;
  e.b_ns = b;
  e.c_ns = c;
  e.median_ns = a + b + c;
  e.n_min = 1'000;
  e.n_max = 100'000;
  e.points = 4;
  e.scale = scale;
  return e;
}

calibration::design_calibration design(double p0 = 1.2) {
  calibration::design_calibration d;
  d.build = cost(2e6, 3'000.0, 150.0);
  d.paths_per_route = p0;
  return d;
}

double build_ns(double a, double b, double c, double n) {
  return a + b * n + c * n * std::log2(n);
}

TEST(CalibratedCost, PagesPlusFinishEqualTheFittedBuild) {
  const calibrated_cost_model m(design(1.2));
  const double routes = 10'000;
  double total = 0;
  for (int page = 0; page < 10; ++page) total += m.page_cpu_s(1'000, 1.2);
  total += m.finish_cpu_s(routes * 1.2);
  EXPECT_NEAR(total, build_ns(2e6, 3'000.0, 150.0, routes) * 1e-9, 1e-12);
  EXPECT_NEAR(m.build_cpu_s(routes), total, 1e-12);
}

RC_GTEST_PROP(CalibratedCost, SplitHoldsForAnyPaging, ()) {
  const double p0 = *rc::gen::inRange(10, 40) / 10.0;
  const int pages = *rc::gen::inRange(1, 200);
  const int page_routes = *rc::gen::inRange(1, 1'000);
  const calibrated_cost_model m(design(p0));
  double total = 0;
  for (int i = 0; i < pages; ++i) total += m.page_cpu_s(page_routes, p0);
  const double routes = static_cast<double>(pages) * page_routes;
  total += m.finish_cpu_s(routes * p0);
  RC_ASSERT(std::abs(total - m.build_cpu_s(routes)) <= 1e-9 * m.build_cpu_s(routes));
}

TEST(CalibratedCost, PageCostFollowsPathsPerRoute) {
  const calibrated_cost_model m(design(1.0));
  EXPECT_DOUBLE_EQ(m.page_cpu_s(100, 1.0), 3'000.0 * 100 * 1e-9);
  EXPECT_DOUBLE_EQ(m.page_cpu_s(100, 2.0), 2 * m.page_cpu_s(100, 1.0));
  EXPECT_DOUBLE_EQ(m.finish_cpu_s(1.0), 2e6 * 1e-9);  // n log n vanishes at one route
  EXPECT_DOUBLE_EQ(m.calibrated_paths_per_route(), 1.0);
}

TEST(CalibratedCost, ScaleMultipliesEveryBuildPart) {
  calibration::design_calibration d = design(1.0);
  const calibrated_cost_model plain(d);
  d.build->scale = 8.0;
  const calibrated_cost_model slow(d);
  EXPECT_DOUBLE_EQ(slow.page_cpu_s(500, 1.0), 8.0 * plain.page_cpu_s(500, 1.0));
  EXPECT_DOUBLE_EQ(slow.finish_cpu_s(5'000), 8.0 * plain.finish_cpu_s(5'000));
}

TEST(CalibratedCost, IncrementalUsesUpdateThenAddAndRemoveThenARebuild) {
  calibration::design_calibration d = design(1.0);
  const calibrated_cost_model rebuild_only(d);
  EXPECT_FALSE(rebuild_only.change_cpu_s(1'000));
  EXPECT_DOUBLE_EQ(rebuild_only.incremental_cpu_s(3, 1'000), rebuild_only.build_cpu_s(1'000));
  EXPECT_EQ(rebuild_only.incremental_cpu_s(0, 1'000), 0.0);

  d.add = cost(4'000.0, 0.0, 0.0);
  EXPECT_DOUBLE_EQ(calibrated_cost_model(d).incremental_cpu_s(3, 1'000), 3 * 4'000.0 * 1e-9);
  d.remove = cost(2'000.0, 0.0, 0.0);
  EXPECT_DOUBLE_EQ(calibrated_cost_model(d).incremental_cpu_s(2, 1'000), 2 * 3'000.0 * 1e-9);
  d.update = cost(1'000.0, 0.0, 1.0, 5.0);
  const double per_change = 5.0 * (1'000.0 + 1'024.0 * 10.0) * 1e-9;
  EXPECT_DOUBLE_EQ(calibrated_cost_model(d).incremental_cpu_s(2, 1'024), 2 * per_change);
}

TEST(CalibratedCost, RejectsADesignWithoutBuildCost) {
  calibration::design_calibration d;
  d.update = cost(1.0, 0.0, 0.0);
  try {
    const calibrated_cost_model m(d);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("build = (missing)"), std::string::npos);
  }
  calibration::design_calibration bad = design(0.0);
  EXPECT_THROW(calibrated_cost_model{bad}, std::invalid_argument);
}

TEST(CalibratedCost, LoadsADesignFromAFile) {
  calibration::calibration c;
  c.meta = {"2026-01-01T00:00:00Z", "test", "0.1.0", "test"};
  c.designs["traditional"] = design(1.2);
  calibration::design_calibration matches_only;
  matches_only.match_miss = cost(10.0, 1.0, 0.0);
  c.designs["matcher"] = matches_only;
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "gwsim_calibrated_cost_test.toml";
  calibration::write_calibration(c, file);
  const calibrated_cost_model m = load_calibrated_cost(file, "traditional");
  EXPECT_NEAR(m.build_cpu_s(10'000), build_ns(2e6, 3'000.0, 150.0, 10'000) * 1e-9, 1e-12);
  try {
    (void)load_calibrated_cost(file, "radix");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("design = \"radix\" is invalid: the file holds matcher, traditional"),
              std::string::npos)
        << e.what();
  }
  try {
    (void)load_calibrated_cost(file, "matcher");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("designs.matcher: calibrated cost: build = (missing)"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove(file);
}

TEST(CalibratedCost, ShippedDefaultLoads) {
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path() / "../../../scenarios/calibration/default.toml";
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  for (const char* name : {"traditional", "radix"}) {
    const calibrated_cost_model m = load_calibrated_cost(file, name);
    // A full build of 10,000 routes costs between 0.1 ms and 10 s of CPU.
    EXPECT_GT(m.build_cpu_s(10'000), 1e-4) << name;
    EXPECT_LT(m.build_cpu_s(10'000), 10.0) << name;
  }
}

}  // namespace
}  // namespace gwsim::gateway
