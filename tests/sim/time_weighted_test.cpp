#include "sim/time_weighted.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace gwsim::sim {
namespace {

TEST(TimeWeighted, PiecewiseConstantAverage) {
  // 0 for 1 s, 2 for 2 s, 1 for 1 s: integral 5, mean 5/4.
  time_weighted q(0, 0.0);
  q.update(seconds(1), 2.0);
  q.update(seconds(3), 1.0);
  EXPECT_DOUBLE_EQ(q.integral(seconds(4)), 5.0);
  EXPECT_DOUBLE_EQ(q.mean(seconds(4)), 1.25);
  EXPECT_EQ(q.max(), 2.0);
  EXPECT_EQ(q.min(), 0.0);
  EXPECT_EQ(q.current(), 1.0);
}

TEST(TimeWeighted, NonZeroStartAndSubSecondTimes) {
  time_weighted q(milliseconds(500), 4.0);
  q.update(milliseconds(750), 0.0);
  EXPECT_DOUBLE_EQ(q.integral(seconds(1)), 1.0);
  EXPECT_DOUBLE_EQ(q.mean(seconds(1)), 2.0);
}

TEST(TimeWeighted, ZeroLengthWindowReturnsCurrentValue) {
  time_weighted q(seconds(2), 7.0);
  EXPECT_EQ(q.mean(seconds(2)), 7.0);
  EXPECT_EQ(q.integral(seconds(2)), 0.0);
}

TEST(TimeWeighted, ZeroDurationSpikeCountsForMaxNotMean) {
  time_weighted q(0, 1.0);
  q.update(seconds(1), 100.0);
  q.update(seconds(1), 1.0);
  EXPECT_EQ(q.max(), 100.0);
  EXPECT_DOUBLE_EQ(q.mean(seconds(2)), 1.0);
}

TEST(TimeWeighted, ResetAtWarmupKeepsCurrentValue) {
  time_weighted q(0, 50.0);  // large transient
  q.update(seconds(10), 3.0);
  q.reset(seconds(20));
  EXPECT_EQ(q.start_time(), seconds(20));
  EXPECT_EQ(q.max(), 3.0);
  EXPECT_EQ(q.min(), 3.0);
  EXPECT_DOUBLE_EQ(q.mean(seconds(30)), 3.0);
  q.update(seconds(30), 5.0);
  EXPECT_DOUBLE_EQ(q.mean(seconds(40)), 4.0);
  EXPECT_DOUBLE_EQ(q.integral(seconds(40)), 80.0);
}

TEST(TimeWeighted, RejectsTimeGoingBackwards) {
  time_weighted q(seconds(5), 0.0);
  EXPECT_THROW(q.update(seconds(4), 1.0), std::invalid_argument);
  q.update(seconds(6), 1.0);
  EXPECT_THROW(static_cast<void>(q.mean(seconds(5))), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(q.integral(seconds(5))), std::invalid_argument);
  EXPECT_THROW(q.reset(seconds(5)), std::invalid_argument);
}

TEST(TimeWeighted, RejectsNonFiniteValues) {
  EXPECT_THROW(time_weighted(0, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  time_weighted q;
  EXPECT_THROW(q.update(1, std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(q.current(), 0.0);
}

}  // namespace
}  // namespace gwsim::sim
