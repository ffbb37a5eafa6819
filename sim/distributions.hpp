#pragma once
/// Sampling distributions for the kernel.
///
/// Every transform is written here rather than taken from <random>: the
/// standard distributions' algorithms are implementation-defined, so the same
/// seed would give different runs on libstdc++, libc++ and MSVC. What remains
/// platform-dependent is only libm's last-ulp rounding of log/exp/pow.
///
/// Each distribution is a small immutable value: `operator()` draws, `mean()`
/// and `scv()` (squared coefficient of variation, variance / mean^2) give the
/// analytic moments that queueing formulas and validation tests need, and
/// `describe()` names it for logs and reports. Constructors validate and throw
/// std::invalid_argument naming the parameter, its value and the allowed
/// range, so a bad configuration fails at load time rather than mid-run.

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/random.hpp"

namespace gwsim::sim {

/// Exponential with `rate` events per second; memoryless, scv = 1.
class exponential {
 public:
  explicit exponential(double rate);
  double operator()(rng& g) const;
  double rate() const noexcept { return rate_; }
  double mean() const noexcept { return 1.0 / rate_; }
  double scv() const noexcept { return 1.0; }
  std::string describe() const;

 private:
  double rate_;
};

/// A constant; scv = 0. Draws nothing, so swapping it in for a random
/// distribution does not shift the stream it is given.
class deterministic {
 public:
  explicit deterministic(double value);
  double operator()(rng& /*g*/) const noexcept { return value_; }
  double value() const noexcept { return value_; }
  double mean() const noexcept { return value_; }
  double scv() const noexcept { return 0.0; }
  std::string describe() const;

 private:
  double value_;
};

/// Uniform on [lo, hi] as lo + (hi - lo) u with u in [0, 1); hi itself only
/// by rounding. lo == hi is allowed and degenerates to a constant.
class uniform {
 public:
  uniform(double lo, double hi);
  double operator()(rng& g) const;
  double lo() const noexcept { return lo_; }
  double hi() const noexcept { return hi_; }
  double mean() const noexcept;
  double scv() const noexcept;
  std::string describe() const;

 private:
  double lo_;
  double hi_;
};

/// Normal(mean, sd) by the Marsaglia polar method. The pair's second variate
/// is discarded to keep the object stateless (const, shareable, and a draw's
/// value never depends on an earlier draw).
class normal {
 public:
  normal(double mean, double sd);
  double operator()(rng& g) const;
  double sd() const noexcept { return sd_; }
  double mean() const noexcept { return mean_; }
  double scv() const noexcept;
  std::string describe() const;

  /// A standard normal variate, shared with lognormal.
  static double standard(rng& g);

 private:
  double mean_;
  double sd_;
};

/// Lognormal: exp(mu + sigma Z). Built through named factories because
/// "lognormal(2, 1)" is ambiguous between the variate's own moments and those
/// of its logarithm.
class lognormal {
 public:
  /// From the mean and standard deviation of the variate itself.
  static lognormal from_mean_sd(double mean, double sd);
  /// From the mean mu and standard deviation sigma of log(variate).
  static lognormal from_mu_sigma(double mu, double sigma);

  double operator()(rng& g) const;
  double mu() const noexcept { return mu_; }
  double sigma() const noexcept { return sigma_; }
  double mean() const noexcept { return mean_; }
  double scv() const noexcept { return scv_; }
  std::string describe() const;

 private:
  lognormal(double mu, double sigma, double mean, double scv) noexcept
      : mu_(mu), sigma_(sigma), mean_(mean), scv_(scv) {}
  double mu_;
  double sigma_;
  /// Kept as given by from_mean_sd so mean() returns exactly what was asked.
  double mean_;
  double scv_;
};

/// Pareto with scale x_m (the minimum) and shape alpha: P(X > x) = (x_m/x)^alpha.
/// The mean is infinite for alpha <= 1 and the variance for alpha <= 2; both
/// are reported as +infinity, never NaN.
class pareto {
 public:
  pareto(double scale, double shape);
  double operator()(rng& g) const;
  double scale() const noexcept { return scale_; }
  double shape() const noexcept { return shape_; }
  double mean() const noexcept;
  double scv() const noexcept;
  std::string describe() const;

 private:
  double scale_;
  double shape_;
};

/// Mixture of exponentials: with probability p_i, exponential(rate_i). Models
/// service times more variable than exponential (scv >= 1).
class hyperexponential {
 public:
  /// Probabilities must be >= 0 and sum to 1 within 1e-9; they are then
  /// renormalised so the mixture is exact.
  hyperexponential(std::vector<double> probabilities, std::vector<double> rates);

  /// The two-branch "balanced means" fit (p1/r1 = p2/r2) with the given mean
  /// and scv >= 1; scv = 1 gives an exponential.
  static hyperexponential with_mean_scv(double mean, double scv);

  double operator()(rng& g) const;
  const std::vector<double>& probabilities() const noexcept { return probabilities_; }
  const std::vector<double>& rates() const noexcept { return rates_; }
  double mean() const noexcept { return mean_; }
  double scv() const noexcept { return scv_; }
  std::string describe() const;

 private:
  std::vector<double> probabilities_;
  std::vector<double> rates_;
  /// Branch i is chosen when u < cumulative_[i]; the last reachable entry is
  /// exactly 1 so rounding can never fall off the end.
  std::vector<double> cumulative_;
  double mean_;
  double scv_;
};

/// Walker's alias method (Vose's numerically stable construction): draws an
/// index in [0, size) with probability proportional to its weight in O(1),
/// whatever the number of outcomes.
class alias_table {
 public:
  /// Weights must be finite, >= 0 and not all zero. `what` names the owner in
  /// error messages.
  explicit alias_table(const std::vector<double>& weights, const char* what = "alias_table");

  std::size_t operator()(rng& g) const;
  std::size_t size() const noexcept { return threshold_.size(); }

  /// The table itself, exposed so tests can check that it encodes exactly
  /// the requested probabilities: slot i yields i with probability
  /// threshold(i) and alias(i) otherwise.
  double threshold(std::size_t i) const { return threshold_.at(i); }
  std::size_t alias(std::size_t i) const { return alias_.at(i); }

 private:
  std::vector<double> threshold_;
  std::vector<std::size_t> alias_;
};

/// A discrete distribution over given values, with optional weights (equal
/// if empty), sampled through an alias table.
class empirical_discrete {
 public:
  explicit empirical_discrete(std::vector<double> values, std::vector<double> weights = {});
  double operator()(rng& g) const { return values_[table_(g)]; }
  const std::vector<double>& values() const noexcept { return values_; }
  double mean() const noexcept { return mean_; }
  double scv() const noexcept { return scv_; }
  std::string describe() const;

 private:
  std::vector<double> values_;
  alias_table table_;
  double mean_;
  double scv_;
};

/// A continuous distribution from measured samples: the empirical CDF
/// interpolated linearly between order statistics (x_(i) has CDF
/// (i-1)/(n-1)), so draws fill the gaps between observations instead of
/// repeating them. A single sample gives a constant.
class empirical_continuous {
 public:
  explicit empirical_continuous(std::vector<double> samples);
  double operator()(rng& g) const;
  const std::vector<double>& sorted_samples() const noexcept { return sorted_; }
  double mean() const noexcept { return mean_; }
  double scv() const noexcept { return scv_; }
  std::string describe() const;

 private:
  std::vector<double> sorted_;
  double mean_;
  double scv_;
};

/// Zipf over ranks 1..n: P(k) proportional to k^-s. Sampled by
/// rejection-inversion (Hoermann & Derflinger 1996): O(1) memory and O(1)
/// expected time for any n up to 2^53 and any s >= 0 (s = 1 included; s = 0
/// is uniform). Not part of `distribution` because it yields a rank, not a
/// quantity.
class zipf {
 public:
  zipf(std::uint64_t n, double s);
  std::uint64_t operator()(rng& g) const;
  std::uint64_t n() const noexcept { return n_; }
  double s() const noexcept { return s_; }
  /// P(rank = k); 0 outside 1..n.
  double pmf(std::uint64_t k) const noexcept;
  /// Moments of the rank, from generalized harmonic numbers (Euler-Maclaurin
  /// beyond the first 1000 terms, so O(1) in n).
  double mean() const noexcept;
  double scv() const noexcept;
  std::string describe() const;

  /// H(n, t) = sum_{k=1..n} k^-t, for any real t.
  static double generalized_harmonic(std::uint64_t n, double t) noexcept;

 private:
  double h_integral(double x) const noexcept;
  double h(double x) const noexcept;
  double h_integral_inverse(double x) const noexcept;

  std::uint64_t n_;
  double s_;
  double normalizer_;
  double h_integral_x1_;
  double h_integral_n_;
  /// The squeeze width from the paper: a candidate within it of its rounded
  /// rank is accepted without evaluating h.
  double squeeze_;
};

/// Any of the continuous (real-valued) distributions, as a value type for
/// runtime configuration: dispatch is a std::visit, not a virtual call, and
/// copies are deep.
class distribution {
 public:
  using variant_type = std::variant<exponential, deterministic, uniform, normal, lognormal, pareto, hyperexponential,
                                    empirical_discrete, empirical_continuous>;

  template <typename D>
    requires std::is_constructible_v<variant_type, D&&> &&
             (!std::is_same_v<std::remove_cvref_t<D>, distribution>)
  distribution(D&& d) : impl_(std::forward<D>(d)) {}  // NOLINT(google-explicit-constructor)

  double operator()(rng& g) const {
    return std::visit([&g](const auto& d) { return d(g); }, impl_);
  }
  double mean() const noexcept {
    return std::visit([](const auto& d) { return d.mean(); }, impl_);
  }
  double scv() const noexcept {
    return std::visit([](const auto& d) { return d.scv(); }, impl_);
  }
  std::string describe() const {
    return std::visit([](const auto& d) { return d.describe(); }, impl_);
  }

  const variant_type& variant() const noexcept { return impl_; }

 private:
  variant_type impl_;
};

}  // namespace gwsim::sim
