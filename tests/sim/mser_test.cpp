#include "sim/mser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace gwsim::sim {
namespace {

/// 10 + 90 exp(-t / 50) + N(0, 1): the transient is below the noise
/// (90 e^{-t/50} < 0.1) after t = 50 ln 900 ~ 340.
std::vector<double> decaying_series(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise;
  std::vector<double> x(n);
  for (std::size_t t = 0; t < n; ++t) {
    x[t] = 10.0 + 90.0 * std::exp(-static_cast<double>(t) / 50.0) + noise(rng);
  }
  return x;
}

std::vector<double> stationary_series(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(10.0, 1.0);
  std::vector<double> x(n);
  for (double& v : x) {
    v = noise(rng);
  }
  return x;
}

TEST(Mser, FindsWarmupOfDecayingTransient) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto series = decaying_series(seed, 5000);
    const mser_result r = mser5(series);
    EXPECT_GE(r.truncation, 150U) << "seed " << seed;
    EXPECT_LE(r.truncation, 600U) << "seed " << seed;
    EXPECT_EQ(r.truncation % 5, 0U);
    EXPECT_NEAR(r.truncated_mean, 10.0, 0.1) << "seed " << seed;
    EXPECT_FALSE(r.at_search_limit);
    EXPECT_EQ(r.batch_size, 5U);
  }
}

TEST(Mser, StationarySeriesTruncatesLittle) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto series = stationary_series(seed, 5000);
    const mser_result r = mser5(series);
    EXPECT_LE(r.truncation, 250U) << "seed " << seed;  // at most 5 %
    EXPECT_NEAR(r.truncated_mean, 10.0, 0.1);
  }
}

TEST(Mser, StepSeriesDeletesExactlyTheFirstBatch) {
  std::vector<double> series(5, 100.0);
  series.resize(50, 1.0);
  series.push_back(1.0);  // trailing partial batch: in the mean, not the choice
  const mser_result r = mser5(series);
  EXPECT_EQ(r.truncation, 5U);
  EXPECT_EQ(r.truncated_mean, 1.0);
  EXPECT_EQ(r.statistic, 0.0);
  EXPECT_FALSE(r.at_search_limit);
}

TEST(Mser, HandComputedStatistic) {
  // Batches of 1: Z = {9, 1, 3, 5}; d in {0, 1}.
  // MSER(0) = var_pop{9,1,3,5} / 4 = 35 / 16; MSER(1) = var_pop{1,3,5} / 3 = 8 / 9.
  const std::vector<double> series{9.0, 1.0, 3.0, 5.0};
  const mser_result r = mser(series, 1);
  EXPECT_EQ(r.truncation, 1U);
  EXPECT_DOUBLE_EQ(r.statistic, 8.0 / 9.0);
  EXPECT_DOUBLE_EQ(r.truncated_mean, 3.0);
  EXPECT_TRUE(r.at_search_limit);
}

TEST(Mser, TrendingSeriesHitsSearchLimit) {
  std::vector<double> series;
  for (int i = 0; i < 1000; ++i) {
    series.push_back(static_cast<double>(i));
  }
  const mser_result r = mser5(series);
  EXPECT_TRUE(r.at_search_limit);
  EXPECT_EQ(r.truncation, 495U);  // d* = ceil(200 / 2) - 1 = 99 batches
}

TEST(Mser, MinimalSeries) {
  const std::vector<double> series(10, 2.0);
  const mser_result r = mser5(series);
  EXPECT_EQ(r.truncation, 0U);
  EXPECT_EQ(r.truncated_mean, 2.0);
  EXPECT_FALSE(r.at_search_limit);
}

TEST(Mser, InvalidArguments) {
  const std::vector<double> nine(9, 1.0);
  EXPECT_THROW(static_cast<void>(mser5(nine)), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(mser(nine, 0)), std::invalid_argument);
  const std::vector<double> empty;
  EXPECT_THROW(static_cast<void>(mser(empty, 1)), std::invalid_argument);
  std::vector<double> with_nan(20, 1.0);
  with_nan[7] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(static_cast<void>(mser5(with_nan)), std::invalid_argument);
}

}  // namespace
}  // namespace gwsim::sim
