#include "sim/batch_means.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace gwsim::sim {
namespace {

/// Stationary AR(1): x_t = mu + phi (x_{t-1} - mu) + e_t, e_t ~ N(0, 1),
/// started from its stationary distribution so there is no warm-up bias.
class ar1 {
 public:
  ar1(double mu, double phi, std::uint64_t seed) : mu_(mu), phi_(phi), rng_(seed) {
    x_ = mu_ + normal_(rng_) / std::sqrt(1.0 - phi_ * phi_);
  }
  double next() {
    x_ = mu_ + phi_ * (x_ - mu_) + normal_(rng_);
    return x_;
  }

 private:
  double mu_;
  double phi_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_;
  double x_;
};

TEST(BatchMeans, BatchesDoubleAndMerge) {
  // k = 4: size 1 until 8 batches, then 4 of size 2; at 16 observations
  // 8 batches of size 2 become 4 of size 4; 20 observations give 5 batches.
  batch_means bm(4);
  for (int i = 0; i < 20; ++i) {
    bm.add(static_cast<double>(i));
  }
  EXPECT_EQ(bm.count(), 20U);
  EXPECT_EQ(bm.batch_size(), 4U);
  EXPECT_EQ(bm.complete_batches(), 5U);
  EXPECT_EQ(bm.means(), (std::vector<double>{1.5, 5.5, 9.5, 13.5, 17.5}));
  EXPECT_DOUBLE_EQ(bm.mean(), 9.5);
  EXPECT_DOUBLE_EQ(bm.interval().mean, 9.5);
}

TEST(BatchMeans, PartialBatchCountsInMeanOnly) {
  batch_means bm(2);
  for (const double x : {1.0, 3.0, 5.0, 7.0, 100.0}) {
    bm.add(x);
  }
  // Four observations merged into 2 batches of 2; 100 waits in a partial batch.
  EXPECT_EQ(bm.means(), (std::vector<double>{2.0, 6.0}));
  EXPECT_DOUBLE_EQ(bm.mean(), 116.0 / 5.0);
  EXPECT_DOUBLE_EQ(bm.interval().mean, 4.0);
}

RC_GTEST_PROP(BatchMeans, BatchCountStaysBetweenKAnd2K, (std::uint8_t k_raw, std::uint16_t n_raw)) {
  const std::size_t k = 2 + k_raw % 40;
  const std::size_t n = k + n_raw % 5000;
  batch_means bm(k);
  for (std::size_t i = 0; i < n; ++i) {
    bm.add(static_cast<double>(i % 7));
  }
  RC_ASSERT(bm.complete_batches() >= k);
  RC_ASSERT(bm.complete_batches() < 2 * k);
  RC_ASSERT(bm.complete_batches() * bm.batch_size() <= n);
  RC_ASSERT(n - bm.complete_batches() * bm.batch_size() < bm.batch_size());
}

TEST(BatchMeans, IntervalCoversAr1MeanAtNominalRate) {
  // phi = 0.8: the naive i.i.d. interval would cover only ~50 % of the time
  // (variance understated by (1 + phi) / (1 - phi) = 9).
  constexpr int runs = 200;
  constexpr int n = 20000;
  constexpr double mu = 10.0;
  int covered = 0;
  int naive_covered = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    ar1 process(mu, 0.8, static_cast<std::uint64_t>(seed));
    batch_means bm;
    online_stats naive;
    for (int i = 0; i < n; ++i) {
      const double x = process.next();
      bm.add(x);
      naive.add(x);
    }
    covered += bm.interval(0.95).contains(mu) ? 1 : 0;
    naive_covered += student_t_interval(naive).contains(mu) ? 1 : 0;
  }
  const double coverage = static_cast<double>(covered) / runs;
  // 0.95 +- 3 binomial standard deviations (0.015 each) for 200 runs.
  EXPECT_GE(coverage, 0.90);
  EXPECT_LE(coverage, 0.995);
  EXPECT_LT(static_cast<double>(naive_covered) / runs, 0.75);
}

TEST(BatchMeans, Lag1Autocorrelation) {
  // Long batches of AR(1) are nearly independent ...
  ar1 process(0.0, 0.8, 42);
  batch_means long_batches;
  for (int i = 0; i < 50000; ++i) {
    long_batches.add(process.next());
  }
  EXPECT_LT(std::abs(long_batches.lag1_autocorrelation()), 0.4);
  // ... while batches of one observation show the process's own phi.
  ar1 again(0.0, 0.9, 43);
  batch_means short_batches(100);
  for (int i = 0; i < 150; ++i) {
    short_batches.add(again.next());
  }
  ASSERT_EQ(short_batches.batch_size(), 1U);
  EXPECT_GT(short_batches.lag1_autocorrelation(), 0.5);

  batch_means constant(2);
  for (int i = 0; i < 4; ++i) {
    constant.add(3.0);
  }
  EXPECT_EQ(constant.lag1_autocorrelation(), 0.0);
}

TEST(BatchMeans, InvalidArguments) {
  EXPECT_THROW(batch_means(0), std::invalid_argument);
  EXPECT_THROW(batch_means(1), std::invalid_argument);
  batch_means bm(2);
  EXPECT_THROW(bm.add(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(bm.add(-std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(bm.count(), 0U);
  bm.add(1.0);
  EXPECT_THROW(static_cast<void>(bm.interval()), std::invalid_argument);  // one batch
  EXPECT_THROW(static_cast<void>(bm.lag1_autocorrelation()), std::invalid_argument);
  bm.add(2.0);
  EXPECT_NO_THROW(static_cast<void>(bm.interval()));
  EXPECT_THROW(static_cast<void>(bm.interval(1.0)), std::invalid_argument);
}

}  // namespace
}  // namespace gwsim::sim
