#include "models/calibration/calibration_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gwsim::calibration {
namespace {

cost_entry entry(double a, double b, double c) {
  cost_entry e;
  e.form = fit_form::nlogn;
  e.a_ns = a;
  e.b_ns = b;
  e.c_ns = c;
  e.median_ns = 1.0 / 3.0 * 1e7;
  e.r2 = 0.987654321;
  e.max_rel_residual = 0.0421;
  e.n_min = 1'000;
  e.n_max = 100'000;
  e.points = 4;
  e.scale = 1.0;
  return e;
}

calibration sample() {
  calibration c;
  c.meta = {"2026-01-02T03:04:05Z", "x86_64; Test \"CPU\"", "0.1.0", "unit test"};
  design_calibration t;
  t.build = entry(1.5e6, 2'345.678, 123.456);
  t.match_hit = entry(600.0, 0.0, 0.0);
  t.match_hit->form = fit_form::constant;
  t.match_miss = entry(0.0, 33.3, 0.0);
  t.bytes_per_route = 812.5;
  t.paths_per_route = 1.2;
  c.designs["traditional"] = t;
  design_calibration i;
  i.build = entry(2e6, 3'000.0, 100.0);
  i.update = entry(5'000.0, 0.0, 1.0);
  i.update->scale = 7.5;
  i.add = entry(4'000.0, 0.0, 0.0);
  i.remove = entry(3'000.0, 0.0, 0.0);
  c.designs["incremental"] = i;
  return c;
}

void expect_same(const cost_entry& x, const cost_entry& y) {
  EXPECT_EQ(x.form, y.form);
  EXPECT_EQ(x.a_ns, y.a_ns);
  EXPECT_EQ(x.b_ns, y.b_ns);
  EXPECT_EQ(x.c_ns, y.c_ns);
  EXPECT_EQ(x.median_ns, y.median_ns);
  EXPECT_EQ(x.r2, y.r2);
  EXPECT_EQ(x.max_rel_residual, y.max_rel_residual);
  EXPECT_EQ(x.n_min, y.n_min);
  EXPECT_EQ(x.n_max, y.n_max);
  EXPECT_EQ(x.points, y.points);
  EXPECT_EQ(x.scale, y.scale);
}

std::string error_of(const std::string& text) {
  try {
    (void)parse_calibration(text, "cal.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

/// The TOML of sample() with `from` replaced by `to` (first occurrence).
std::string edited(const std::string& from, const std::string& to) {
  std::string text = to_toml(sample());
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(CalibrationFile, RoundTripsExactly) {
  const calibration c = sample();
  const calibration back = parse_calibration(to_toml(c, "header line\nsecond"), "mem");
  EXPECT_EQ(back.meta.date, c.meta.date);
  EXPECT_EQ(back.meta.machine, c.meta.machine);
  EXPECT_EQ(back.meta.gwsim_version, c.meta.gwsim_version);
  EXPECT_EQ(back.meta.source, c.meta.source);
  ASSERT_EQ(back.designs.size(), 2U);
  for (const auto& [name, d] : c.designs) {
    const design_calibration& b = back.designs.at(name);
    EXPECT_EQ(b.bytes_per_route, d.bytes_per_route);
    EXPECT_EQ(b.paths_per_route, d.paths_per_route);
    for (std::string_view cost : cost_names) {
      const auto& x = *cost_slot(d, cost);
      const auto& y = *cost_slot(b, cost);
      ASSERT_EQ(x.has_value(), y.has_value()) << name << "." << cost;
      if (x) expect_same(*x, *y);
    }
  }
}

TEST(CalibrationFile, HeaderBecomesComments) {
  const std::string text = to_toml(sample(), "made by a test\nline two");
  EXPECT_EQ(text.rfind("# made by a test\n# line two\n", 0), 0U);
}

TEST(CalibrationFile, WritesAndReadsAFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "gwsim_calibration_file_test";
  const std::filesystem::path file = dir / "sub" / "cal.toml";
  write_calibration(sample(), file, "test");
  const calibration back = read_calibration(file);
  EXPECT_EQ(back.designs.at("incremental").update->scale, 7.5);
  std::filesystem::remove_all(dir);
  try {
    (void)read_calibration(file);
    FAIL() << "missing file accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cal.toml: cannot be read"), std::string::npos);
  }
}

TEST(CalibrationFile, ScaleDefaultsToOneAndIntegersAreNumbers) {
  const calibration c = parse_calibration(edited("a_ns = 4000.0", "a_ns = 4000"), "x");
  EXPECT_EQ(c.designs.at("incremental").add->a_ns, 4'000.0);
  const calibration d = parse_calibration(edited("scale = 7.5\n", ""), "x");
  EXPECT_EQ(d.designs.at("incremental").update->scale, 1.0);
}

TEST(CalibrationFile, RejectsUnknownKeys) {
  EXPECT_NE(
      error_of(edited("[meta]\n", "bogus = 1\n[meta]\n")).find("cal.toml: bogus = (present) is invalid: unknown key"),
      std::string::npos);
  EXPECT_NE(error_of(edited("source = ", "colour = \"red\"\nsource = ")).find("meta.colour"), std::string::npos);
  EXPECT_NE(error_of(edited("bytes_per_route", "memory = 1\nbytes_per_route")).find("designs.traditional.memory"),
            std::string::npos);
  const std::string e = error_of(edited("b_ns = ", "d_ns = 1.0\nb_ns = "));
  EXPECT_NE(e.find("designs.incremental.build.d_ns"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed keys are form, a_ns"), std::string::npos) << e;
}

TEST(CalibrationFile, RejectsMissingFields) {
  EXPECT_NE(error_of(edited("a_ns = 2e+06\n", "")).find("designs.incremental.build.a_ns = (missing)"),
            std::string::npos);
  EXPECT_NE(error_of(edited("gwsim_version = \"0.1.0\"\n", "")).find("meta.gwsim_version = (missing)"),
            std::string::npos);
  EXPECT_NE(error_of("[meta]\ndate=\"\"\nmachine=\"\"\ngwsim_version=\"\"\nsource=\"\"\n").find("designs = (missing)"),
            std::string::npos);
}

TEST(CalibrationFile, RejectsOutOfRangeValues) {
  struct bad {
    std::string from, to, expect;
  };
  const std::vector<bad> cases = {
      {"b_ns = 3000.0", "b_ns = -1.0", "designs.incremental.build.b_ns = -1 is invalid: must be finite and >= 0"},
      {"c_ns = 100.0", "c_ns = nan", "designs.incremental.build.c_ns = nan is invalid"},
      {"a_ns = 2e+06", "a_ns = inf", "designs.incremental.build.a_ns = inf is invalid"},
      {"r2 = 0.987654321", "r2 = 1.5", "build.r2 = 1.5 is invalid: must be finite and <= 1"},
      {"n_min = 1000.0", "n_min = 0.0", "build.n_min = 0 is invalid: must be finite and >= 1"},
      {"n_max = 1e+05", "n_max = 10.0", "build.n_max = 10 is invalid: must be finite and >= n_min = 1000"},
      {"points = 4", "points = 0", "build.points = 0 is invalid"},
      {"points = 4", "points = 4.0", "build.points = (not an integer)"},
      {"scale = 1.0", "scale = 0.0", "build.scale = 0 is invalid: must be finite and > 0"},
      {"form = \"nlogn\"", "form = \"cubic\"", "build.form = \"cubic\" is invalid"},
      {"a_ns = 2e+06", "a_ns = \"fast\"", "build.a_ns = (not a number)"},
      {"bytes_per_route = 812.5", "bytes_per_route = -3.0", "bytes_per_route = -3 is invalid: must be finite and > 0"},
  };
  for (const bad& b : cases) {
    const std::string e = error_of(edited(b.from, b.to));
    EXPECT_NE(e.find("cal.toml: "), std::string::npos) << e;
    EXPECT_NE(e.find(b.expect), std::string::npos) << "expected \"" << b.expect << "\" in: " << e;
  }
}

TEST(CalibrationFile, RejectsBadDesignsAndSyntax) {
  EXPECT_NE(error_of(edited("[designs.incremental]", "[designs.Bad-Name]")).find("a design name must match"),
            std::string::npos);
  EXPECT_NE(error_of("[meta]\ndate=\"\"\nmachine=\"\"\ngwsim_version=\"\"\nsource=\"\"\n[designs.empty]\n")
                .find("designs.empty = (no costs)"),
            std::string::npos);
  EXPECT_NE(error_of("[meta\n").find("cal.toml:1:"), std::string::npos);
}

TEST(CalibrationFile, ValidateGuardsWriting) {
  calibration c = sample();
  c.designs["traditional"].build->a_ns = -5.0;
  EXPECT_THROW((void)to_toml(c), std::invalid_argument);
}

TEST(CalibrationFile, FittedAndScaledCosts) {
  cost_entry e = entry(100.0, 2.0, 0.5);
  e.scale = 3.0;
  EXPECT_DOUBLE_EQ(e.fitted_ns(1'024), 100.0 + 2.0 * 1'024 + 0.5 * 1'024 * 10);
  EXPECT_DOUBLE_EQ(e.scaled_ns(1'024), 3.0 * e.fitted_ns(1'024));
  EXPECT_DOUBLE_EQ(e.fitted_ns(1), 102.0);
}

}  // namespace
}  // namespace gwsim::calibration
