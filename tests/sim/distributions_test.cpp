#include "sim/distributions.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/random.hpp"

namespace gwsim::sim {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// Every statistical check uses a fixed seed, so it is deterministic; the
/// tolerances are 5 standard errors so that a correct implementation would
/// fail for fewer than 1 in a million seeds, while a wrong transform (a
/// misplaced parameter, a biased branch choice) is off by far more.
constexpr double z_tolerance = 5.0;

rng stream_for(const std::string& name) { return random_streams(20240601).stream(name); }

template <typename D>
std::vector<double> sample(const D& d, std::size_t n, const std::string& name) {
  rng g = stream_for(name);
  std::vector<double> xs(n);
  for (auto& x : xs) {
    x = d(g);
  }
  return xs;
}

struct moments {
  double mean;
  double variance;
  double fourth;  // central fourth moment, for the variance's standard error
};

moments sample_moments(const std::vector<double>& xs) {
  const double n = static_cast<double>(xs.size());
  const double mean = std::accumulate(xs.begin(), xs.end(), 0.0) / n;
  double m2 = 0.0;
  double m4 = 0.0;
  for (const double x : xs) {
    const double d2 = (x - mean) * (x - mean);
    m2 += d2;
    m4 += d2 * d2;
  }
  return {mean, m2 / (n - 1.0), m4 / n};
}

/// The sample mean against the analytic mean with the analytic standard
/// error sqrt(var / n), and the sample variance against the analytic variance
/// with the delta-method standard error sqrt((mu4 - sigma^4) / n), mu4
/// estimated from the sample.
template <typename D>
void expect_moments_match(const D& d, const std::string& name, std::size_t n = 200000) {
  SCOPED_TRACE(d.describe());
  const auto xs = sample(d, n, name);
  const moments m = sample_moments(xs);
  const double nd = static_cast<double>(n);
  const double variance = d.scv() * d.mean() * d.mean();
  EXPECT_NEAR(m.mean, d.mean(), z_tolerance * std::sqrt(variance / nd));
  EXPECT_NEAR(m.variance, variance, z_tolerance * std::sqrt((m.fourth - m.variance * m.variance) / nd));
}

/// Kolmogorov-Smirnov statistic sup |F_n(x) - F(x)|.
double ks_statistic(std::vector<double> xs, const std::function<double(double)>& cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double d = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

/// Asymptotic KS critical value at significance 0.001: 1.949 / sqrt(n).
template <typename D>
void expect_ks_accepts(const D& d, const std::function<double(double)>& cdf, const std::string& name) {
  SCOPED_TRACE(d.describe());
  constexpr std::size_t n = 20000;
  EXPECT_LT(ks_statistic(sample(d, n, name), cdf), 1.949 / std::sqrt(static_cast<double>(n)));
}

/// Runs `f`, expecting std::invalid_argument whose message names `parameter`
/// and states the rule.
template <typename F>
void expect_invalid(F&& f, const std::string& parameter) {
  SCOPED_TRACE(parameter);
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument naming " << parameter;
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr(parameter + " = "));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("is invalid; must be"));
  }
}

double normal_cdf(double x, double mean, double sd) { return 0.5 * std::erfc(-(x - mean) / (sd * std::sqrt(2.0))); }

// ------------------------------------------------------------------- moments

TEST(DistributionMoments, Exponential) {
  const exponential d(2.0);
  EXPECT_EQ(d.mean(), 0.5);
  EXPECT_EQ(d.scv(), 1.0);
  expect_moments_match(d, "exp");
}

TEST(DistributionMoments, DeterministicDrawsNothing) {
  const deterministic d(3.5);
  EXPECT_EQ(d.mean(), 3.5);
  EXPECT_EQ(d.scv(), 0.0);
  rng g = stream_for("det");
  rng untouched = g;
  EXPECT_EQ(d(g), 3.5);
  EXPECT_EQ(g(), untouched());
}

TEST(DistributionMoments, Uniform) {
  const uniform d(2.0, 5.0);
  EXPECT_EQ(d.mean(), 3.5);
  EXPECT_DOUBLE_EQ(d.scv(), 9.0 / 12.0 / (3.5 * 3.5));
  expect_moments_match(d, "uniform");
  const auto xs = sample(d, 10000, "uniform-range");
  EXPECT_GE(*std::min_element(xs.begin(), xs.end()), 2.0);
  EXPECT_LE(*std::max_element(xs.begin(), xs.end()), 5.0);
  EXPECT_EQ(uniform(1.0, 1.0).scv(), 0.0);
  EXPECT_EQ(uniform(-1.0, 1.0).scv(), inf);
}

TEST(DistributionMoments, Normal) {
  const normal d(10.0, 3.0);
  EXPECT_DOUBLE_EQ(d.scv(), 0.09);
  expect_moments_match(d, "normal");
  expect_moments_match(normal(-4.0, 0.5), "normal-neg");
  EXPECT_EQ(normal(0.0, 1.0).scv(), inf);
  EXPECT_EQ(normal(0.0, 0.0).scv(), 0.0);
  rng g = stream_for("normal-const");
  EXPECT_EQ(normal(7.0, 0.0)(g), 7.0);
}

TEST(DistributionMoments, LognormalFromMeanSd) {
  const auto d = lognormal::from_mean_sd(2.0, 1.5);
  EXPECT_EQ(d.mean(), 2.0);
  EXPECT_DOUBLE_EQ(d.scv(), 0.5625);
  EXPECT_DOUBLE_EQ(d.sigma(), std::sqrt(std::log(1.5625)));
  EXPECT_DOUBLE_EQ(d.mu(), std::log(2.0) - 0.5 * std::log(1.5625));
  expect_moments_match(d, "lognormal");
}

TEST(DistributionMoments, LognormalFromMuSigma) {
  const auto d = lognormal::from_mu_sigma(0.0, 0.5);
  EXPECT_DOUBLE_EQ(d.mean(), std::exp(0.125));
  EXPECT_DOUBLE_EQ(d.scv(), std::expm1(0.25));
  expect_moments_match(d, "lognormal-mu");
  /// The two factories agree.
  const auto e = lognormal::from_mean_sd(d.mean(), std::sqrt(d.scv()) * d.mean());
  EXPECT_NEAR(e.mu(), 0.0, 1e-14);
  EXPECT_NEAR(e.sigma(), 0.5, 1e-14);
}

TEST(DistributionMoments, Pareto) {
  const pareto d(1.0, 5.0);
  EXPECT_DOUBLE_EQ(d.mean(), 1.25);
  EXPECT_DOUBLE_EQ(d.scv(), 1.0 / 15.0);
  expect_moments_match(d, "pareto");
  const auto xs = sample(d, 10000, "pareto-min");
  EXPECT_GE(*std::min_element(xs.begin(), xs.end()), 1.0);
}

TEST(DistributionMoments, ParetoHeavyTailsReportInfinityNotNan) {
  EXPECT_EQ(pareto(1.0, 1.0).mean(), inf);
  EXPECT_EQ(pareto(1.0, 0.5).mean(), inf);
  EXPECT_EQ(pareto(1.0, 0.5).scv(), inf);
  EXPECT_DOUBLE_EQ(pareto(2.0, 1.5).mean(), 6.0);
  EXPECT_EQ(pareto(2.0, 1.5).scv(), inf);
  EXPECT_EQ(pareto(2.0, 2.0).scv(), inf);
}

TEST(DistributionMoments, Hyperexponential) {
  const hyperexponential d({0.3, 0.7}, {1.0, 5.0});
  const double mean = 0.3 / 1.0 + 0.7 / 5.0;
  const double second = 2.0 * (0.3 / 1.0 + 0.7 / 25.0);
  EXPECT_DOUBLE_EQ(d.mean(), mean);
  EXPECT_DOUBLE_EQ(d.scv(), second / (mean * mean) - 1.0);
  expect_moments_match(d, "h2");
}

TEST(DistributionMoments, HyperexponentialWithMeanScv) {
  for (const double scv : {1.0, 1.5, 4.0, 25.0, 1e6}) {
    const auto d = hyperexponential::with_mean_scv(2.0, scv);
    EXPECT_NEAR(d.mean(), 2.0, 1e-12);
    EXPECT_NEAR(d.scv(), scv, 1e-9 * scv);
    /// Balanced means: each branch contributes half the mean.
    EXPECT_NEAR(d.probabilities()[0] / d.rates()[0], 1.0, 1e-12);
    EXPECT_NEAR(d.probabilities()[1] / d.rates()[1], 1.0, 1e-12);
  }
  expect_moments_match(hyperexponential::with_mean_scv(2.0, 4.0), "h2-fit");
}

TEST(DistributionMoments, HyperexponentialSkipsZeroProbabilityBranches) {
  const hyperexponential d({0.0, 1.0, 0.0}, {1000.0, 1.0, 1e-6});
  EXPECT_DOUBLE_EQ(d.mean(), 1.0);
  EXPECT_DOUBLE_EQ(d.scv(), 1.0);
  expect_ks_accepts(d, [](double x) { return -std::expm1(-x); }, "h2-zero");
}

// ------------------------------------------------------------ Kolmogorov-Smirnov

TEST(DistributionKs, Exponential) {
  expect_ks_accepts(exponential(3.0), [](double x) { return -std::expm1(-3.0 * x); }, "ks-exp");
}

TEST(DistributionKs, Uniform) {
  expect_ks_accepts(uniform(-2.0, 6.0), [](double x) { return std::clamp((x + 2.0) / 8.0, 0.0, 1.0); }, "ks-uni");
}

TEST(DistributionKs, Normal) {
  expect_ks_accepts(normal(1.0, 2.0), [](double x) { return normal_cdf(x, 1.0, 2.0); }, "ks-normal");
}

TEST(DistributionKs, Lognormal) {
  const auto d = lognormal::from_mu_sigma(0.3, 1.2);
  expect_ks_accepts(d, [](double x) { return normal_cdf(std::log(x), 0.3, 1.2); }, "ks-lognormal");
}

TEST(DistributionKs, ParetoWithInfiniteMean) {
  expect_ks_accepts(pareto(2.0, 0.8), [](double x) { return 1.0 - std::pow(2.0 / x, 0.8); }, "ks-pareto");
}

TEST(DistributionKs, Hyperexponential) {
  const hyperexponential d({0.25, 0.75}, {0.5, 4.0});
  expect_ks_accepts(
      d, [](double x) { return 1.0 - 0.25 * std::exp(-0.5 * x) - 0.75 * std::exp(-4.0 * x); }, "ks-h2");
}

// -------------------------------------------------------------------- golden

TEST(DistributionGolden, FirstDrawsArePinned) {
  /// Pinned with a relative tolerance of a few ulps: the transforms are ours,
  /// but log/exp/pow come from libm, which may differ in the last bit.
  rng g = random_streams(42).stream("golden");
  const exponential e(2.0);
  const normal n(10.0, 3.0);
  const auto ln = lognormal::from_mean_sd(2.0, 1.0);
  const zipf z(1000000, 1.1);
  const auto h = hyperexponential::with_mean_scv(1.0, 4.0);
  const std::vector<std::array<double, 4>> expected = {
      {0.89826412222390417, 19.459800763463946, 3.9106043981073624, 0.17894826070840172},
      {0.073588113355836454, 13.055164806358327, 1.7234638995304941, 0.43696658040708181},
      {0.16432568398662464, 14.85914911584257, 2.6307913075409557, 0.025875145171643674},
  };
  const std::vector<std::uint64_t> expected_ranks = {20161, 3519, 53370};
  /// One draw per statement: the order in which a stream is consumed is part
  /// of what is pinned.
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(e(g), expected[i][0], 1e-14 * expected[i][0]);
    EXPECT_NEAR(n(g), expected[i][1], 1e-14 * expected[i][1]);
    EXPECT_NEAR(ln(g), expected[i][2], 1e-14 * expected[i][2]);
    EXPECT_NEAR(h(g), expected[i][3], 1e-14 * expected[i][3]);
    EXPECT_EQ(z(g), expected_ranks[i]);
  }
}

TEST(DistributionGolden, SameStreamReproducesEveryDistribution) {
  const distribution d = lognormal::from_mean_sd(1.0, 3.0);
  EXPECT_EQ(sample(d, 1000, "repro"), sample(d, 1000, "repro"));
  EXPECT_NE(sample(d, 10, "repro"), sample(d, 10, "other"));
}

// ------------------------------------------------------------- type erasure

TEST(DistributionErased, ForwardsToTheHeldDistribution) {
  const std::vector<distribution> all = {
      exponential(2.0),
      deterministic(1.5),
      uniform(0.0, 4.0),
      normal(5.0, 1.0),
      lognormal::from_mean_sd(2.0, 1.0),
      pareto(1.0, 3.0),
      hyperexponential::with_mean_scv(1.0, 3.0),
      empirical_discrete({1.0, 2.0, 4.0}, {1.0, 1.0, 2.0}),
      empirical_continuous({1.0, 3.0, 2.0}),
  };
  EXPECT_EQ(all.size(), std::variant_size_v<distribution::variant_type>);
  for (const distribution& d : all) {
    std::visit(
        [&](const auto& held) {
          SCOPED_TRACE(held.describe());
          EXPECT_EQ(d.mean(), held.mean());
          EXPECT_EQ(d.scv(), held.scv());
          EXPECT_EQ(d.describe(), held.describe());
          rng a = stream_for("erased");
          rng b = stream_for("erased");
          for (int i = 0; i < 10; ++i) {
            EXPECT_EQ(d(a), held(b));
          }
        },
        d.variant());
  }
}

TEST(DistributionErased, IsACopyableValue) {
  distribution d = exponential(1.0);
  const distribution copy = d;
  d = uniform(1.0, 2.0);
  EXPECT_EQ(copy.mean(), 1.0);
  EXPECT_EQ(d.mean(), 1.5);
  EXPECT_EQ(copy.describe(), "exponential(rate=1)");
}

TEST(DistributionDescribe, NamesTheParameters) {
  EXPECT_EQ(exponential(0.25).describe(), "exponential(rate=0.25)");
  EXPECT_EQ(uniform(1.0, 2.5).describe(), "uniform(lo=1, hi=2.5)");
  EXPECT_EQ(normal(0.0, 0.1).describe(), "normal(mean=0, sd=0.1)");
  EXPECT_EQ(pareto(1.0, 2.0).describe(), "pareto(scale=1, shape=2)");
  EXPECT_EQ(hyperexponential({0.5, 0.5}, {1.0, 2.0}).describe(), "hyperexponential(p=[0.5, 0.5], rates=[1, 2])");
  EXPECT_EQ(zipf(10, 1.0).describe(), "zipf(n=10, s=1)");
}

// -------------------------------------------------------- invalid parameters

TEST(DistributionInvalid, ExponentialMessageNamesRateValueAndRange) {
  try {
    exponential(-1.0);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "exponential: rate = -1 is invalid; must be finite and > 0 (per second)");
  }
}

TEST(DistributionInvalid, EveryParameterIsChecked) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const double bad : {0.0, -1.0, nan, inf}) {
    expect_invalid([&] { exponential{bad}; }, "rate");
    expect_invalid([&] { pareto(bad, 1.0); }, "scale");
    expect_invalid([&] { pareto(1.0, bad); }, "shape");
    expect_invalid([&] { (void)lognormal::from_mean_sd(bad, 1.0); }, "mean");
    expect_invalid([&] { (void)hyperexponential::with_mean_scv(bad, 2.0); }, "mean");
    expect_invalid([&] { hyperexponential({1.0}, {bad}); }, "rates[0]");
  }
  for (const double bad : {nan, inf, -inf}) {
    expect_invalid([&] { deterministic{bad}; }, "value");
    expect_invalid([&] { uniform(bad, 1.0); }, "lo");
    expect_invalid([&] { uniform(0.0, bad); }, "hi");
    expect_invalid([&] { normal(bad, 1.0); }, "mean");
    expect_invalid([&] { (void)lognormal::from_mu_sigma(bad, 1.0); }, "mu");
    expect_invalid([&] { empirical_discrete({1.0, bad}); }, "values[1]");
    expect_invalid([&] { empirical_continuous({bad}); }, "samples[0]");
    expect_invalid([&] { zipf(10, bad); }, "s");
  }
  for (const double bad : {-1.0, nan, inf}) {
    expect_invalid([&] { normal(0.0, bad); }, "sd");
    expect_invalid([&] { (void)lognormal::from_mean_sd(1.0, bad); }, "sd");
    expect_invalid([&] { (void)lognormal::from_mu_sigma(0.0, bad); }, "sigma");
    expect_invalid([&] { hyperexponential({bad, 1.0}, {1.0, 1.0}); }, "probabilities[0]");
    expect_invalid([&] { alias_table({1.0, bad}); }, "weights[1]");
    expect_invalid([&] { empirical_discrete({1.0, 2.0}, {1.0, bad}); }, "weights[1]");
  }
  expect_invalid([] { uniform(2.0, 1.0); }, "hi");
  expect_invalid([] { uniform(-1e308, 1e308); }, "hi - lo");
  expect_invalid([] { (void)hyperexponential::with_mean_scv(1.0, 0.5); }, "scv");
  expect_invalid([] { (void)hyperexponential::with_mean_scv(1.0, inf); }, "scv");
  expect_invalid([] { hyperexponential({}, {}); }, "probabilities.size()");
  expect_invalid([] { hyperexponential({0.5, 0.5}, {1.0}); }, "rates.size()");
  expect_invalid([] { hyperexponential({0.5, 0.4}, {1.0, 2.0}); }, "sum of probabilities");
  expect_invalid([] { hyperexponential({0.6, 0.6}, {1.0, 2.0}); }, "sum of probabilities");
  expect_invalid([] { alias_table({}); }, "weights.size()");
  expect_invalid([] { alias_table({0.0, 0.0}); }, "sum of weights");
  expect_invalid([] { alias_table({1e308, 1e308}); }, "sum of weights");
  expect_invalid([] { empirical_discrete({}); }, "values.size()");
  expect_invalid([] { empirical_discrete({1.0, 2.0}, {1.0}); }, "weights.size()");
  expect_invalid([] { empirical_discrete({1.0, 2.0}, {0.0, 0.0}); }, "sum of weights");
  expect_invalid([] { empirical_continuous({}); }, "samples.size()");
  expect_invalid([] { zipf(0, 1.0); }, "n");
  expect_invalid([] { zipf((std::uint64_t{1} << 53) + 1, 1.0); }, "n");
  expect_invalid([] { zipf(10, -0.5); }, "s");
}

TEST(DistributionInvalid, OwnerIsNamedInMessages) {
  try {
    empirical_discrete({1.0}, {-2.0});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("empirical_discrete: weights[0] = -2 is invalid"));
  }
  try {
    hyperexponential({0.5, 0.4}, {1.0, 2.0});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("sum of probabilities = 0.9 is invalid; must be 1 (within 1e-09)"));
  }
}

// --------------------------------------------------------------- alias table

TEST(AliasTable, FrequenciesMatchWeights) {
  const std::vector<double> weights = {1.0, 2.0, 3.0, 4.0, 0.0, 10.0};
  const double total = 20.0;
  const alias_table table(weights);
  rng g = stream_for("alias");
  constexpr int n = 200000;
  std::vector<int> counts(weights.size(), 0);
  for (int i = 0; i < n; ++i) {
    counts.at(table(g))++;
  }
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double p = weights[i] / total;
    EXPECT_NEAR(counts[i], n * p, z_tolerance * std::sqrt(n * p * (1.0 - p)) + 1e-9) << "outcome " << i;
  }
  EXPECT_EQ(counts[4], 0);
}

TEST(AliasTable, SingleOutcomeAlwaysDrawn) {
  const alias_table table({0.3});
  rng g = stream_for("alias-one");
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(table(g), 0U);
  }
}

TEST(AliasTable, LargeTableBuildsAndDrawsInRange) {
  std::vector<double> weights(100000);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    weights[i] = 1.0 / static_cast<double>(i + 1);
  }
  const alias_table table(weights);
  rng g = stream_for("alias-large");
  for (int i = 0; i < 10000; ++i) {
    ASSERT_LT(table(g), weights.size());
  }
}

RC_GTEST_PROP(AliasTableProperty, EncodesExactlyTheNormalisedWeights, ()) {
  const auto weights =
      *rc::gen::nonEmpty(rc::gen::container<std::vector<double>>(rc::gen::map(rc::gen::inRange(0, 1000000), [](int w) {
        return static_cast<double>(w) / 1000.0;
      })));
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  RC_PRE(total > 0.0);
  const alias_table table(weights);
  std::vector<double> implied(weights.size(), 0.0);
  const double slot = 1.0 / static_cast<double>(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    RC_ASSERT(table.threshold(i) >= 0.0);
    RC_ASSERT(table.threshold(i) <= 1.0);
    implied[i] += slot * table.threshold(i);
    implied[table.alias(i)] += slot * (1.0 - table.threshold(i));
  }
  for (std::size_t i = 0; i < weights.size(); ++i) {
    RC_ASSERT(std::fabs(implied[i] - weights[i] / total) <= 1e-12);
  }
}

// ----------------------------------------------------------------- empirical

TEST(EmpiricalDiscrete, FrequenciesAndMoments) {
  const empirical_discrete d({1.0, 2.0, 10.0}, {0.5, 0.3, 0.2});
  const double mean = 0.5 + 0.6 + 2.0;
  const double variance = 0.5 * 1.0 + 0.3 * 4.0 + 0.2 * 100.0 - mean * mean;
  EXPECT_NEAR(d.mean(), mean, 1e-14);
  EXPECT_NEAR(d.scv(), variance / (mean * mean), 1e-14);
  const auto xs = sample(d, 100000, "emp-discrete");
  for (const auto& [value, p] : std::vector<std::pair<double, double>>{{1.0, 0.5}, {2.0, 0.3}, {10.0, 0.2}}) {
    const auto count = static_cast<double>(std::count(xs.begin(), xs.end(), value));
    EXPECT_NEAR(count, 1e5 * p, z_tolerance * std::sqrt(1e5 * p * (1.0 - p)));
  }
  expect_moments_match(d, "emp-discrete-moments");
}

TEST(EmpiricalDiscrete, EqualWeightsByDefault) {
  const empirical_discrete d({3.0, 5.0});
  EXPECT_DOUBLE_EQ(d.mean(), 4.0);
  EXPECT_DOUBLE_EQ(d.scv(), 1.0 / 16.0);
  const auto xs = sample(d, 10000, "emp-equal");
  const auto threes = static_cast<double>(std::count(xs.begin(), xs.end(), 3.0));
  EXPECT_NEAR(threes, 5000.0, z_tolerance * 50.0);
}

TEST(EmpiricalContinuous, InterpolatesBetweenOrderStatistics) {
  const empirical_continuous d({6.0, 1.0, 3.0, 2.0});
  EXPECT_EQ(d.sorted_samples(), (std::vector<double>{1.0, 2.0, 3.0, 6.0}));
  /// Three equiprobable segments [1,2], [2,3], [3,6].
  const double mean = (1.5 + 2.5 + 4.5) / 3.0;
  const double second = ((1.0 + 2.0 + 4.0) + (4.0 + 6.0 + 9.0) + (9.0 + 18.0 + 36.0)) / 9.0;
  EXPECT_NEAR(d.mean(), mean, 1e-14);
  EXPECT_NEAR(d.scv(), (second - mean * mean) / (mean * mean), 1e-13);
  expect_moments_match(d, "emp-cont");
  const auto cdf = [](double x) {
    if (x <= 1.0) {
      return 0.0;
    }
    if (x <= 2.0) {
      return (x - 1.0) / 3.0;
    }
    if (x <= 3.0) {
      return 1.0 / 3.0 + (x - 2.0) / 3.0;
    }
    return std::min(1.0, 2.0 / 3.0 + (x - 3.0) / 9.0);
  };
  expect_ks_accepts(d, cdf, "emp-cont-ks");
}

TEST(EmpiricalContinuous, SingleSampleIsConstant) {
  const empirical_continuous d({4.0});
  EXPECT_EQ(d.mean(), 4.0);
  EXPECT_EQ(d.scv(), 0.0);
  rng g = stream_for("emp-single");
  EXPECT_EQ(d(g), 4.0);
}

// ---------------------------------------------------------------------- zipf

/// The reference accumulates in long double so that its own rounding stays
/// well below the tolerances it checks.
double direct_harmonic(std::uint64_t n, double t) {
  long double sum = 0.0L;
  for (std::uint64_t k = n; k >= 1; --k) {
    sum += std::pow(static_cast<long double>(k), static_cast<long double>(-t));
  }
  return static_cast<double>(sum);
}

TEST(ZipfHarmonic, EulerMaclaurinMatchesDirectSum) {
  for (const double t : {-2.0, -1.0, 0.0, 0.3, 0.999999, 1.0, 1.000001, 1.5, 2.0, 4.0}) {
    for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{999}, std::uint64_t{1000}, std::uint64_t{54321}}) {
      const double expected = direct_harmonic(n, t);
      EXPECT_NEAR(zipf::generalized_harmonic(n, t), expected, 1e-12 * expected) << "t=" << t << " n=" << n;
    }
  }
  /// H(n, 1) = ln n + gamma + 1/(2n) - 1/(12 n^2) + O(n^-4).
  const double n = 1e9;
  EXPECT_NEAR(zipf::generalized_harmonic(1000000000, 1.0), std::log(n) + 0.57721566490153286 + 0.5 / n, 1e-13);
}

void expect_zipf_top_ranks_match_pmf(std::uint64_t n, double s) {
  SCOPED_TRACE("s=" + std::to_string(s));
  const zipf z(n, s);
  const double exact_p1 = 1.0 / direct_harmonic(n, s);
  EXPECT_NEAR(z.pmf(1), exact_p1, 1e-13 * exact_p1);
  rng g = stream_for("zipf-" + std::to_string(s));
  constexpr int draws = 200000;
  constexpr std::uint64_t top = 10;
  std::vector<int> counts(top + 1, 0);
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t k = z(g);
    ASSERT_GE(k, 1U);
    ASSERT_LE(k, n);
    counts.at(std::min(k, top + 1) - 1)++;
  }
  double rest = 1.0;
  for (std::uint64_t k = 1; k <= top + 1; ++k) {
    const double p = k <= top ? std::pow(static_cast<double>(k), -s) * exact_p1 : rest;
    rest -= p;
    EXPECT_NEAR(counts[k - 1], draws * p, z_tolerance * std::sqrt(draws * p * (1.0 - p))) << "rank " << k;
  }
}

TEST(ZipfFrequencies, TopRanksMatchExactPmf) {
  for (const double s : {0.0, 0.5, 0.99, 1.0, 1.2, 2.0, 3.5}) {
    expect_zipf_top_ranks_match_pmf(1000, s);
  }
}

TEST(ZipfMoments, MatchDirectSumsAndSamples) {
  for (const double s : {0.0, 0.7, 1.0, 1.5, 3.0}) {
    SCOPED_TRACE("s=" + std::to_string(s));
    const zipf z(1000, s);
    const double h = direct_harmonic(1000, s);
    const double mean = direct_harmonic(1000, s - 1.0) / h;
    const double second = direct_harmonic(1000, s - 2.0) / h;
    EXPECT_NEAR(z.mean(), mean, 1e-12 * mean);
    EXPECT_NEAR(z.scv(), (second - mean * mean) / (mean * mean), 1e-10);
    rng g = stream_for("zipf-moments");
    constexpr int draws = 100000;
    double sum = 0.0;
    for (int i = 0; i < draws; ++i) {
      sum += static_cast<double>(z(g));
    }
    EXPECT_NEAR(sum / draws, mean, z_tolerance * std::sqrt(z.scv() / draws) * mean);
  }
  const zipf uniform_ranks(10, 0.0);
  EXPECT_DOUBLE_EQ(uniform_ranks.pmf(3), 0.1);
  EXPECT_DOUBLE_EQ(uniform_ranks.mean(), 5.5);
  EXPECT_DOUBLE_EQ(uniform_ranks.scv(), (99.0 / 12.0) / (5.5 * 5.5));
  EXPECT_EQ(uniform_ranks.pmf(0), 0.0);
  EXPECT_EQ(uniform_ranks.pmf(11), 0.0);
}

TEST(ZipfLargeN, BillionRanksStayInRangeAndFollowTheCdf) {
  constexpr std::uint64_t n = 1000000000;
  constexpr std::uint64_t cut = n / 1000;
  for (const double s : {0.5, 1.0, 1.5}) {
    SCOPED_TRACE("s=" + std::to_string(s));
    const zipf z(n, s);
    const double p = zipf::generalized_harmonic(cut, s) / zipf::generalized_harmonic(n, s);
    rng g = stream_for("zipf-large");
    constexpr int draws = 50000;
    int below = 0;
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t k = z(g);
      ASSERT_GE(k, 1U);
      ASSERT_LE(k, n);
      below += k <= cut ? 1 : 0;
    }
    EXPECT_NEAR(below, draws * p, z_tolerance * std::sqrt(draws * p * (1.0 - p)));
    EXPECT_GT(z.mean(), 1.0);
    EXPECT_TRUE(std::isfinite(z.scv()));
  }
}

TEST(ZipfLargeN, MaximumNAndSteepExponents) {
  const zipf widest(std::uint64_t{1} << 53, 1.0);
  rng g = stream_for("zipf-max");
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t k = widest(g);
    ASSERT_GE(k, 1U);
    ASSERT_LE(k, std::uint64_t{1} << 53);
  }
  const zipf steep(1000000, 60.0);
  EXPECT_EQ(steep(g), 1U);
  EXPECT_NEAR(steep.pmf(1), 1.0, 1e-15);
  EXPECT_GE(steep.scv(), 0.0);
  EXPECT_LT(steep.scv(), 1e-15);
}

TEST(ZipfFrequencies, TinyN) {
  rng g = stream_for("zipf-tiny");
  const zipf one(1, 1.3);
  EXPECT_EQ(one.pmf(1), 1.0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(one(g), 1U);
  }
  /// n = 2, s = 1: P(1) = 2/3.
  const zipf two(2, 1.0);
  constexpr int draws = 30000;
  int ones = 0;
  for (int i = 0; i < draws; ++i) {
    const std::uint64_t k = two(g);
    ASSERT_TRUE(k == 1 || k == 2);
    ones += k == 1 ? 1 : 0;
  }
  EXPECT_NEAR(ones, draws * 2.0 / 3.0, z_tolerance * std::sqrt(draws * 2.0 / 9.0));
}

TEST(ZipfFrequencies, ContinuousAcrossSEqualsOne) {
  const zipf below(1000, 1.0 - 1e-9);
  const zipf at(1000, 1.0);
  const zipf above(1000, 1.0 + 1e-9);
  EXPECT_NEAR(below.pmf(7), at.pmf(7), 1e-9);
  EXPECT_NEAR(above.pmf(7), at.pmf(7), 1e-9);
  /// The same stream gives (almost always) the same ranks on either side.
  rng a = stream_for("zipf-s1");
  rng b = stream_for("zipf-s1");
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    same += below(a) == at(b) ? 1 : 0;
  }
  EXPECT_GE(same, 990);
}

RC_GTEST_PROP(ZipfProperty, DrawsStayWithinOneToN, ()) {
  const auto n = *rc::gen::inRange<std::uint64_t>(1, std::uint64_t{1} << 40);
  const double s = *rc::gen::map(rc::gen::inRange(0, 5000), [](int x) { return x / 1000.0; });
  const zipf z(n, s);
  rng g = random_streams(n).stream("zipf-prop");
  for (int i = 0; i < 50; ++i) {
    const std::uint64_t k = z(g);
    RC_ASSERT(k >= 1U);
    RC_ASSERT(k <= n);
  }
}

}  // namespace
}  // namespace gwsim::sim
