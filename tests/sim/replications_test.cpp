#include "sim/replications.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace gwsim::sim {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

TEST(StudentT, KnownCriticalValues) {
  EXPECT_NEAR(student_t_critical(0.95, 9.0), 2.262157, 1e-6);
  EXPECT_NEAR(student_t_critical(0.95, 4.0), 2.776445, 1e-6);
  EXPECT_NEAR(student_t_critical(0.90, 29.0), 1.699127, 1e-6);
  EXPECT_NEAR(student_t_critical(0.99, 1.0), 63.656741, 1e-5);
  EXPECT_NEAR(student_t_critical(0.95, 1e9), 1.959964, 1e-6);
}

TEST(StudentT, InvalidArguments) {
  for (const double level : {0.0, 1.0, -0.5, 1.5, nan, inf}) {
    EXPECT_THROW(static_cast<void>(student_t_critical(level, 5.0)), std::invalid_argument) << level;
  }
  for (const double dof : {0.0, -1.0, nan, inf}) {
    EXPECT_THROW(static_cast<void>(student_t_critical(0.95, dof)), std::invalid_argument) << dof;
  }
}

TEST(Replications, KnownSmallSampleInterval) {
  // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445: half-width 1.963243.
  const std::vector<double> values{1.0, 2.0, 3.0, 4.0, 5.0};
  const confidence_interval ci = student_t_interval(values);
  EXPECT_DOUBLE_EQ(ci.mean, 3.0);
  EXPECT_NEAR(ci.half_width, 1.963243, 1e-6);
  EXPECT_DOUBLE_EQ(ci.lower, ci.mean - ci.half_width);
  EXPECT_DOUBLE_EQ(ci.upper, ci.mean + ci.half_width);
  EXPECT_EQ(ci.level, 0.95);
  EXPECT_EQ(ci.n, 5U);
  EXPECT_TRUE(ci.contains(1.1));
  EXPECT_FALSE(ci.contains(0.9));
  EXPECT_NEAR(relative_half_width(ci), 1.963243 / 3.0, 1e-6);
}

TEST(Replications, TenValuesUseNineDegreesOfFreedom) {
  std::vector<double> values;
  online_stats stats;
  for (int i = 0; i < 10; ++i) {
    values.push_back(static_cast<double>(i * i));
    stats.add(static_cast<double>(i * i));
  }
  const confidence_interval ci = student_t_interval(values, 0.95);
  EXPECT_NEAR(ci.half_width, 2.262157163 * stats.sem(), 1e-9 * ci.half_width);
  const confidence_interval from_stats = student_t_interval(stats, 0.95);
  EXPECT_DOUBLE_EQ(from_stats.half_width, ci.half_width);
  EXPECT_LT(student_t_interval(values, 0.90).half_width, ci.half_width);
}

TEST(Replications, IdenticalValuesGiveZeroWidth) {
  const std::vector<double> values{4.0, 4.0, 4.0};
  const confidence_interval ci = student_t_interval(values);
  EXPECT_EQ(ci.half_width, 0.0);
  EXPECT_EQ(relative_half_width(ci), 0.0);
}

TEST(Replications, RelativeHalfWidthOfZeroMeanIsInfinite) {
  const std::vector<double> values{-1.0, 1.0};
  EXPECT_EQ(relative_half_width(student_t_interval(values)), inf);
}

TEST(Replications, ReplicationsNeeded) {
  const confidence_interval ci{.mean = 10.0, .half_width = 1.0, .lower = 9.0, .upper = 11.0, .level = 0.95, .n = 10};
  EXPECT_EQ(replications_needed(ci, 0.05), 40U);
  EXPECT_EQ(replications_needed(ci, 0.2), 10U);
  for (const double target : {0.0, -0.1, 1.0, nan}) {
    EXPECT_THROW(static_cast<void>(replications_needed(ci, target)), std::invalid_argument) << target;
  }
}

TEST(Replications, InvalidArguments) {
  const std::vector<double> none;
  const std::vector<double> one{1.0};
  const std::vector<double> two{1.0, 2.0};
  const std::vector<double> with_nan{1.0, nan};
  EXPECT_THROW(static_cast<void>(student_t_interval(none)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(student_t_interval(one)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(student_t_interval(with_nan)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(student_t_interval(two, 0.0)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(student_t_interval(two, nan)), std::invalid_argument);
  try {
    static_cast<void>(student_t_interval(two, 1.5));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("confidence level"), std::string::npos) << what;
    EXPECT_NE(what.find("1.5"), std::string::npos) << what;
    EXPECT_NE(what.find("(0, 1)"), std::string::npos) << what;
  }
}

TEST(ReplicationSummary, NamedMetrics) {
  replication_summary summary;
  const std::vector<double> latency{1.0, 2.0, 3.0, 4.0, 5.0};
  for (const double v : latency) {
    summary.add("latency", v);
    summary.add("throughput", 100.0 + v);
  }
  EXPECT_EQ(summary.metrics(), (std::vector<std::string>{"latency", "throughput"}));
  EXPECT_EQ(summary.count("latency"), 5U);
  EXPECT_EQ(summary.count("missing"), 0U);
  const confidence_interval ci = summary.interval("latency");
  const confidence_interval direct = student_t_interval(latency);
  EXPECT_DOUBLE_EQ(ci.mean, direct.mean);
  EXPECT_DOUBLE_EQ(ci.half_width, direct.half_width);
  EXPECT_DOUBLE_EQ(summary.interval("throughput", 0.99).mean, 103.0);
  EXPECT_EQ(summary.stats("latency").max(), 5.0);
}

TEST(ReplicationSummary, DefaultMetricAndMerge) {
  replication_summary a;
  replication_summary b;
  replication_summary all;
  for (int i = 0; i < 6; ++i) {
    const double v = static_cast<double>(i) * 1.5;
    (i % 2 == 0 ? a : b).add(v);
    all.add(v);
  }
  b.add("other", 1.0);
  a.merge(b);
  EXPECT_EQ(a.count(), 6U);
  EXPECT_EQ(a.count("other"), 1U);
  EXPECT_NEAR(a.interval().half_width, all.interval().half_width, 1e-12);
  EXPECT_EQ(a.metrics(), (std::vector<std::string>{"other", "value"}));
}

TEST(ReplicationSummary, InvalidArguments) {
  replication_summary summary;
  EXPECT_THROW(summary.add("x", nan), std::invalid_argument);
  EXPECT_EQ(summary.count("x"), 0U);
  summary.add("x", 1.0);
  EXPECT_THROW(static_cast<void>(summary.interval("x")), std::invalid_argument);  // one replication
  summary.add("x", 2.0);
  EXPECT_THROW(static_cast<void>(summary.interval("x", 1.0)), std::invalid_argument);
  try {
    static_cast<void>(summary.interval("latnecy"));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'latnecy'"), std::string::npos) << what;
    EXPECT_NE(what.find("'x'"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace gwsim::sim
