#include "sim/online_stats.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace gwsim::sim {
namespace {

TEST(OnlineStats, EmptyReportsZeros) {
  const online_stats s;
  EXPECT_EQ(s.count(), 0U);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.mean(), 0.0);
  EXPECT_EQ(s.variance(), 0.0);
  EXPECT_EQ(s.stddev(), 0.0);
  EXPECT_EQ(s.sem(), 0.0);
  EXPECT_EQ(s.min(), 0.0);
  EXPECT_EQ(s.max(), 0.0);
}

TEST(OnlineStats, SingleSampleHasZeroVariance) {
  online_stats s;
  s.add(-3.5);
  EXPECT_EQ(s.mean(), -3.5);
  EXPECT_EQ(s.variance(), 0.0);
  EXPECT_EQ(s.sem(), 0.0);
  EXPECT_EQ(s.min(), -3.5);
  EXPECT_EQ(s.max(), -3.5);
}

TEST(OnlineStats, KnownSmallSample) {
  online_stats s;
  for (const double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) {
    s.add(x);
  }
  EXPECT_EQ(s.count(), 8U);
  EXPECT_DOUBLE_EQ(s.mean(), 5.0);
  EXPECT_DOUBLE_EQ(s.population_variance(), 4.0);
  EXPECT_DOUBLE_EQ(s.variance(), 32.0 / 7.0);
  EXPECT_DOUBLE_EQ(s.stddev(), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(s.sem(), std::sqrt(32.0 / 7.0) / std::sqrt(8.0));
  EXPECT_DOUBLE_EQ(s.sum(), 40.0);
  EXPECT_EQ(s.min(), 2.0);
  EXPECT_EQ(s.max(), 9.0);
}

TEST(OnlineStats, StableWithLargeOffset) {
  // The naive sum-of-squares formula returns garbage (even negative) here.
  online_stats s;
  for (const double x : {1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0}) {
    s.add(x);
  }
  EXPECT_DOUBLE_EQ(s.mean(), 1e9 + 10.0);
  EXPECT_DOUBLE_EQ(s.variance(), 30.0);
}

TEST(OnlineStats, RejectsNonFinite) {
  online_stats s;
  EXPECT_THROW(s.add(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(s.add(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(s.count(), 0U);
}

TEST(OnlineStats, MergeWithEmpty) {
  online_stats a;
  a.add(1.0);
  a.add(3.0);
  online_stats b;
  a.merge(b);
  EXPECT_EQ(a.count(), 2U);
  EXPECT_EQ(a.mean(), 2.0);
  b.merge(a);
  EXPECT_EQ(b.count(), 2U);
  EXPECT_EQ(b.variance(), 2.0);
  EXPECT_EQ(b.min(), 1.0);
}

TEST(OnlineStats, ResetClears) {
  online_stats s;
  s.add(5.0);
  s.reset();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.max(), 0.0);
}

RC_GTEST_PROP(OnlineStats, MergeEqualsSequential, (const std::vector<int>& xs, const std::vector<int>& ys)) {
  // Integers scaled by an inexact factor give non-trivial doubles of bounded
  // magnitude, which keeps the comparison tolerance meaningful.
  online_stats a;
  online_stats b;
  online_stats all;
  for (const int x : xs) {
    const double v = static_cast<double>(x % 1000000) / 7.0;
    a.add(v);
    all.add(v);
  }
  for (const int y : ys) {
    const double v = static_cast<double>(y % 1000000) / 7.0 + 1000.0;
    b.add(v);
    all.add(v);
  }
  a.merge(b);
  RC_ASSERT(a.count() == all.count());
  RC_ASSERT(a.min() == all.min());
  RC_ASSERT(a.max() == all.max());
  const double scale = 1.0 + std::abs(all.mean()) + all.stddev();
  RC_ASSERT(std::abs(a.mean() - all.mean()) <= 1e-12 * scale);
  RC_ASSERT(std::abs(a.variance() - all.variance()) <= 1e-10 * scale * scale);
}

}  // namespace
}  // namespace gwsim::sim
