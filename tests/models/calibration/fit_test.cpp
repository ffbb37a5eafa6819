#include "models/calibration/fit.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace gwsim::calibration {
namespace {

const std::vector<double> sizes = {1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000};

double truth(double a, double b, double c, double n) {
  return a + b * n + c * n * std::log2(n);
}

std::vector<point> exact(double a, double b, double c) {
  std::vector<point> out;
  for (double n : sizes) out.push_back({n, truth(a, b, c, n)});
  return out;
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Fit, RecoversExactNlognCoefficients) {
  const std::vector<point> p = exact(2e6, 3'000.0, 150.0);
  const cost_fit f = fit(p, fit_form::nlogn);
  EXPECT_NEAR(f.a, 2e6, 2e6 * 1e-6);
  EXPECT_NEAR(f.b, 3'000.0, 3'000.0 * 1e-6);
  EXPECT_NEAR(f.c, 150.0, 150.0 * 1e-6);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
  EXPECT_LT(f.max_relative_residual, 1e-9);
  ASSERT_EQ(f.relative_residuals.size(), p.size());
  EXPECT_EQ(f.terms, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_NEAR(f(1e5), truth(2e6, 3'000.0, 150.0, 1e5), 1e-3);
}

TEST(Fit, LinearAndConstantForms) {
  const cost_fit l = fit(exact(500.0, 20.0, 0.0), fit_form::linear);
  EXPECT_NEAR(l.a, 500.0, 1e-6);
  EXPECT_NEAR(l.b, 20.0, 1e-9);
  EXPECT_EQ(l.c, 0.0);
  const std::vector<point> flat = {{1'000, 40.0}, {10'000, 40.0}, {100'000, 40.0}};
  const cost_fit k = fit(flat, fit_form::constant);
  EXPECT_NEAR(k.a, 40.0, 1e-12);
  EXPECT_EQ(k.b, 0.0);
  EXPECT_DOUBLE_EQ(k.r2, 1.0);  // no variance to explain and none left
}

TEST(Fit, WeightsRelativeErrorsSoSmallSizesCount) {
  // A constant fit of 10 and 1000 under 1/y weights lands near the small
  // value (an unweighted mean would be 505): a = sum(1/y) / sum(1/y^2).
  const std::vector<point> p = {{1, 10.0}, {2, 1'000.0}};
  const cost_fit k = fit(p, fit_form::constant);
  const double expected = (0.1 + 0.001) / (0.01 + 1e-6);
  EXPECT_NEAR(k.a, expected, 1e-9);
}

TEST(Fit, NegativeTermIsDroppedAndRefitted) {
  // y = 1e6 + 10 N - 0.5 N log2 N is positive on the sizes but its exact fit
  // needs c < 0: c is dropped and a + b N refitted.
  std::vector<point> p;
  for (double n : sizes) p.push_back({n, truth(1e6, 10.0, -0.5, n)});
  const cost_fit f = fit(p, fit_form::nlogn);
  EXPECT_EQ(f.c, 0.0);
  EXPECT_GE(f.a, 0.0);
  EXPECT_GE(f.b, 0.0);
  EXPECT_EQ(f.terms, (std::vector<std::string>{"a", "b"}));
  EXPECT_GT(f.max_relative_residual, 0.0);  // no longer exact
}

TEST(Fit, RejectsIllPosedInput) {
  const std::vector<point> two = {{1'000, 1.0}, {2'000, 2.0}};
  EXPECT_NE(message_of([&] { (void)fit(two, fit_form::nlogn); }).find("points = 2 is too few"), std::string::npos);
  const std::vector<point> same_n = {{1'000, 1.0}, {1'000, 2.0}, {1'000, 3.0}};
  EXPECT_NE(message_of([&] { (void)fit(same_n, fit_form::linear); }).find("distinct n = 1"), std::string::npos);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::vector<point>& bad : std::vector<std::vector<point>>{{{1'000, 1.0}, {2'000, -2.0}},
                                                                       {{1'000, 1.0}, {2'000, 0.0}},
                                                                       {{1'000, nan}, {2'000, 1.0}},
                                                                       {{1'000, 1.0}, {2'000, inf}}}) {
    EXPECT_NE(message_of([&] { (void)fit(bad, fit_form::linear); }).find("must be finite and > 0"), std::string::npos);
  }
  const std::vector<point> small_n = {{0.5, 1.0}, {2'000, 2.0}};
  EXPECT_NE(message_of([&] { (void)fit(small_n, fit_form::linear); }).find("points[0].n = 0.5"), std::string::npos);
  EXPECT_THROW((void)fit(std::vector<point>{}, fit_form::constant), std::invalid_argument);
}

TEST(Fit, FormNamesRoundTrip) {
  for (fit_form f : {fit_form::constant, fit_form::linear, fit_form::nlogn}) EXPECT_EQ(parse_fit_form(to_string(f)), f);
  EXPECT_NE(message_of([] { (void)parse_fit_form("cubic"); }).find("\"cubic\""), std::string::npos);
  EXPECT_EQ(parameter_count(fit_form::nlogn), 3);
}

TEST(Fit, Median) {
  EXPECT_EQ(median_y(std::vector<point>{{1, 3.0}, {2, 1.0}, {3, 2.0}}), 2.0);
  EXPECT_EQ(median_y(std::vector<point>{{1, 4.0}, {2, 1.0}}), 2.5);
  EXPECT_THROW((void)median_y(std::vector<point>{}), std::invalid_argument);
}

RC_GTEST_PROP(Fit, RecoversRandomCoefficientsFromExactData, ()) {
  const double a = *rc::gen::inRange(0, 10'000'000);
  const double b = *rc::gen::inRange(0, 10'000);
  const double c = *rc::gen::inRange(1, 1'000);
  const cost_fit f = fit(exact(a, b, c), fit_form::nlogn);
  // Each term is recovered to 1e-6 of the largest cost, in its own units.
  const double ymax = truth(a, b, c, 1e5);
  RC_ASSERT(std::abs(f.a - a) <= 1e-6 * ymax);
  RC_ASSERT(std::abs(f.b - b) * 1e5 <= 1e-6 * ymax);
  RC_ASSERT(std::abs(f.c - c) * 1e5 * std::log2(1e5) <= 1e-6 * ymax);
  RC_ASSERT(f.r2 > 1.0 - 1e-9);
}

RC_GTEST_PROP(Fit, NoisyDataStaysWithinTheNoise, ()) {
  const double a = *rc::gen::inRange(100'000, 10'000'000);
  const double b = *rc::gen::inRange(100, 10'000);
  const double c = *rc::gen::inRange(1, 1'000);
  // Multiplicative noise of at most 2% per point.
  std::vector<point> p;
  for (double n : sizes) {
    const double noise = *rc::gen::inRange(-200, 201) / 10'000.0;
    p.push_back({n, truth(a, b, c, n) * (1.0 + noise)});
  }
  const cost_fit f = fit(p, fit_form::nlogn);
  RC_ASSERT(f.a >= 0.0 && f.b >= 0.0 && f.c >= 0.0);
  // The truth has relative residuals <= 2% on 7 points, so the best fit's
  // sum of squares is <= 7 * 0.02^2: no residual above ~5.3%; the curve then
  // stays within that plus the noise of the truth. Allow 10%.
  RC_ASSERT(f.max_relative_residual <= 0.1);
  for (double n : sizes) RC_ASSERT(std::abs(f(n) / truth(a, b, c, n) - 1.0) <= 0.1);
}

}  // namespace
}  // namespace gwsim::calibration
