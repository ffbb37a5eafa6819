#include "sim/log_histogram.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace gwsim::sim {
namespace {

/// The sample quantile log_histogram::quantile estimates: the
/// ceil(q * n)-th smallest value.
double exact_quantile(const std::vector<double>& sorted, double q) {
  return sorted[log_histogram::rank(q, sorted.size()) - 1];
}

/// The documented bound: relative error a, except in the zero bucket where
/// the error is absolute and at most the zero threshold. The 1e-9 slack
/// covers rounding in log/exp at bucket edges.
bool within_bound(const log_histogram& h, double estimate, double truth) {
  const double tolerance =
      h.relative_accuracy() * (1.0 + 1e-9) * truth + (truth <= h.zero_threshold() ? h.zero_threshold() : 0.0);
  return std::abs(estimate - truth) <= tolerance;
}

TEST(LogHistogram, EmptyReportsZeros) {
  const log_histogram h;
  EXPECT_EQ(h.count(), 0U);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.quantile(0.5), 0.0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.min(), 0.0);
  EXPECT_EQ(h.max(), 0.0);
}

TEST(LogHistogram, RankDefinition) {
  EXPECT_EQ(log_histogram::rank(0.0, 10), 1U);
  EXPECT_EQ(log_histogram::rank(0.5, 10), 5U);
  EXPECT_EQ(log_histogram::rank(0.51, 10), 6U);
  EXPECT_EQ(log_histogram::rank(1.0, 10), 10U);
  EXPECT_EQ(log_histogram::rank(0.99, 1), 1U);
}

TEST(LogHistogram, QuantilesOfOneToThousand) {
  log_histogram h;  // 1 %
  for (int i = 1; i <= 1000; ++i) {
    h.add(static_cast<double>(i));
  }
  EXPECT_EQ(h.count(), 1000U);
  EXPECT_EQ(h.quantile(0.0), 1.0);
  EXPECT_EQ(h.quantile(1.0), 1000.0);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
  for (const double q : {0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999}) {
    const double truth = std::ceil(q * 1000.0);
    EXPECT_NEAR(h.quantile(q), truth, 0.01 * truth) << "q = " << q;
  }
}

TEST(LogHistogram, ConfigurableAccuracy) {
  log_histogram coarse(0.1);
  log_histogram fine(0.001);
  for (int i = 1; i <= 10000; ++i) {
    coarse.add(static_cast<double>(i));
    fine.add(static_cast<double>(i));
  }
  EXPECT_NEAR(fine.quantile(0.5), 5000.0, 5.0);
  EXPECT_NEAR(coarse.quantile(0.5), 5000.0, 500.0);
  EXPECT_LT(coarse.bucket_capacity(), fine.bucket_capacity());
}

TEST(LogHistogram, ZeroBucket) {
  log_histogram h(0.01, 1e-9);
  for (int i = 0; i < 6; ++i) {
    h.add(0.0);
  }
  h.add(1e-12);  // below the threshold: shares the zero bucket
  h.add(5.0);
  h.add(7.0);
  h.add(9.0);
  EXPECT_EQ(h.zero_count(), 7U);
  EXPECT_EQ(h.quantile(0.5), 0.0);
  EXPECT_LE(h.quantile(0.7), 1e-9);
  EXPECT_NEAR(h.quantile(0.8), 5.0, 0.05);
  EXPECT_EQ(h.quantile(1.0), 9.0);
}

TEST(LogHistogram, NoReallocationOnceRangeKnown) {
  log_histogram h;
  h.add(1e-3);
  h.add(1e3);
  const std::size_t capacity = h.bucket_capacity();
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-3.0, 3.0);
  for (int i = 0; i < 10000; ++i) {
    h.add(std::pow(10.0, exponent(rng)));
  }
  EXPECT_EQ(h.bucket_capacity(), capacity);
}

TEST(LogHistogram, MergeAndSelfMerge) {
  log_histogram a;
  log_histogram b;
  log_histogram all;
  for (int i = 1; i <= 100; ++i) {
    a.add(static_cast<double>(i));
    all.add(static_cast<double>(i));
    b.add(1e6 * static_cast<double>(i));
    all.add(1e6 * static_cast<double>(i));
  }
  a.merge(b);
  EXPECT_EQ(a, all);
  EXPECT_DOUBLE_EQ(a.sum(), all.sum());

  log_histogram twice = all;
  twice.merge(all);
  twice.merge(log_histogram{});
  log_histogram doubled = all;
  doubled.merge(twice);
  doubled.merge(doubled);
  EXPECT_EQ(doubled.count(), 6U * all.count());
  EXPECT_EQ(twice.count(), 2U * all.count());
  EXPECT_EQ(twice.quantile(0.5), all.quantile(0.5));
}

TEST(LogHistogram, ClearKeepsConfiguration) {
  log_histogram h(0.02);
  h.add(3.0);
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h, log_histogram(0.02));
  EXPECT_EQ(h.relative_accuracy(), 0.02);
}

TEST(LogHistogram, InvalidArguments) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW((log_histogram{0.0}), std::invalid_argument);
  EXPECT_THROW((log_histogram{1e-5}), std::invalid_argument);
  EXPECT_THROW((log_histogram{0.6}), std::invalid_argument);
  EXPECT_THROW((log_histogram{nan}), std::invalid_argument);
  EXPECT_THROW((log_histogram{0.01, -1.0}), std::invalid_argument);
  EXPECT_THROW((log_histogram{0.01, inf}), std::invalid_argument);

  log_histogram h;
  EXPECT_THROW(h.add(-1.0), std::invalid_argument);
  EXPECT_THROW(h.add(nan), std::invalid_argument);
  EXPECT_THROW(h.add(inf), std::invalid_argument);
  EXPECT_EQ(h.count(), 0U);
  EXPECT_THROW(static_cast<void>(h.quantile(-0.1)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(h.quantile(1.1)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(h.quantile(nan)), std::invalid_argument);

  log_histogram other(0.02);
  EXPECT_THROW(h.merge(other), std::invalid_argument);
  EXPECT_THROW(h.merge(log_histogram(0.01, 1e-6)), std::invalid_argument);
  try {
    log_histogram bad(0.7);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("relative_accuracy"), std::string::npos) << what;
    EXPECT_NE(what.find("0.7"), std::string::npos) << what;
    EXPECT_NE(what.find("[1e-4, 0.5]"), std::string::npos) << what;
  }
}

/// Values from 1e-6 to 1e6 (log-uniform, so every decade is hit), exact
/// zeros, and small integers (to create ties).
rc::Gen<double> heavy_tailed_value() {
  return rc::gen::weightedOneOf<double>({
      {8, rc::gen::map(rc::gen::inRange(-600000, 600001),
                       [](int e) { return std::pow(10.0, static_cast<double>(e) / 100000.0); })},
      {1, rc::gen::just(0.0)},
      {2, rc::gen::map(rc::gen::inRange(1, 6), [](int i) { return static_cast<double>(i); })},
  });
}

RC_GTEST_PROP(LogHistogram, EveryQuantileWithinRelativeErrorBound, ()) {
  const auto accuracy = *rc::gen::element(0.001, 0.01, 0.05, 0.2);
  auto values = *rc::gen::nonEmpty(rc::gen::container<std::vector<double>>(heavy_tailed_value()));
  log_histogram h(accuracy);
  for (const double v : values) {
    h.add(v);
  }
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  // Every rank, hit through a q strictly inside its rank window.
  for (std::size_t k = 1; k <= n; ++k) {
    const double q = (static_cast<double>(k) - 0.5) / static_cast<double>(n);
    const double truth = exact_quantile(values, q);
    RC_ASSERT(within_bound(h, h.quantile(q), truth));
  }
  for (const double q : {0.0, 0.5, 0.9, 0.99, 1.0}) {
    RC_ASSERT(within_bound(h, h.quantile(q), exact_quantile(values, q)));
  }
}

RC_GTEST_PROP(LogHistogram, MergeEqualsConcatenation, ()) {
  const auto left = *rc::gen::container<std::vector<double>>(heavy_tailed_value());
  const auto right = *rc::gen::container<std::vector<double>>(heavy_tailed_value());
  log_histogram a;
  log_histogram b;
  log_histogram all;
  for (const double v : left) {
    a.add(v);
    all.add(v);
  }
  for (const double v : right) {
    b.add(v);
    all.add(v);
  }
  a.merge(b);
  RC_ASSERT(a == all);
  for (const double q : {0.0, 0.1, 0.5, 0.9, 0.999, 1.0}) {
    RC_ASSERT(a.quantile(q) == all.quantile(q));
  }
  RC_ASSERT(std::abs(a.mean() - all.mean()) <= 1e-12 * (1.0 + all.mean()));
}

}  // namespace
}  // namespace gwsim::sim
