#include "sim/distributions.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace gwsim::sim {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

/// Shortest round-trip form, so a message shows exactly the value that was
/// rejected (0.1 stays "0.1", a sum of 0.9999999 is not printed as "1").
std::string format_number(double x) {
  std::array<char, 64> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  if (ec != std::errc{}) {
    return "?";
  }
  return std::string(buf.data(), end);
}

std::string format_list(const std::vector<double>& xs) {
  std::string out = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i != 0) {
      out += ", ";
    }
    out += format_number(xs[i]);
  }
  out += "]";
  return out;
}

[[noreturn]] void reject(std::string_view owner, std::string_view parameter, std::string_view value,
                         std::string_view requirement) {
  std::string msg;
  msg.append(owner).append(": ").append(parameter).append(" = ").append(value);
  msg.append(" is invalid; must be ").append(requirement);
  throw std::invalid_argument(msg);
}

[[noreturn]] void reject(std::string_view owner, std::string_view parameter, double value,
                         std::string_view requirement) {
  reject(owner, parameter, format_number(value), requirement);
}

std::string indexed(std::string_view name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

void require_finite(std::string_view owner, std::string_view parameter, double x) {
  if (!std::isfinite(x)) {
    reject(owner, parameter, x, "finite");
  }
}

void require_positive(std::string_view owner, std::string_view parameter, double x, std::string_view unit = {}) {
  if (!std::isfinite(x) || !(x > 0.0)) {
    std::string requirement = "finite and > 0";
    if (!unit.empty()) {
      requirement.append(" (").append(unit).append(")");
    }
    reject(owner, parameter, x, requirement);
  }
}

void require_non_negative(std::string_view owner, std::string_view parameter, double x) {
  if (!std::isfinite(x) || !(x >= 0.0)) {
    reject(owner, parameter, x, "finite and >= 0");
  }
}

void require_non_empty(std::string_view owner, std::string_view parameter, std::size_t size) {
  if (size == 0) {
    reject(owner, std::string(parameter) + ".size()", "0", ">= 1");
  }
}

/// variance / mean^2 with the limits spelled out: a constant has scv 0 even
/// at mean 0, and a spread around mean 0 has infinite scv, not NaN.
double scv_of(double variance, double mean) noexcept {
  if (variance == 0.0) {
    return 0.0;
  }
  if (mean == 0.0) {
    return infinity;
  }
  return variance / (mean * mean);
}

/// Neumaier's compensated sum: the harmonic sums below add up to a thousand
/// terms of very different sizes.
class compensated_sum {
 public:
  void add(double x) noexcept {
    const double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const noexcept { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

}  // namespace

// ---------------------------------------------------------------- exponential

exponential::exponential(double rate) : rate_(rate) { require_positive("exponential", "rate", rate, "per second"); }

double exponential::operator()(rng& g) const { return -std::log(uniform_open01(g)) / rate_; }

std::string exponential::describe() const { return "exponential(rate=" + format_number(rate_) + ")"; }

// -------------------------------------------------------------- deterministic

deterministic::deterministic(double value) : value_(value) { require_finite("deterministic", "value", value); }

std::string deterministic::describe() const { return "deterministic(value=" + format_number(value_) + ")"; }

// -------------------------------------------------------------------- uniform

uniform::uniform(double lo, double hi) : lo_(lo), hi_(hi) {
  require_finite("uniform", "lo", lo);
  if (!std::isfinite(hi) || !(hi >= lo)) {
    reject("uniform", "hi", hi, "finite and >= lo = " + format_number(lo));
  }
  if (!std::isfinite(hi - lo)) {
    reject("uniform", "hi - lo", hi - lo, "finite");
  }
}

double uniform::operator()(rng& g) const { return lo_ + (hi_ - lo_) * uniform01(g); }

double uniform::mean() const noexcept { return 0.5 * lo_ + 0.5 * hi_; }

double uniform::scv() const noexcept {
  const double width = hi_ - lo_;
  return scv_of(width * width / 12.0, mean());
}

std::string uniform::describe() const {
  return "uniform(lo=" + format_number(lo_) + ", hi=" + format_number(hi_) + ")";
}

// --------------------------------------------------------------------- normal

normal::normal(double mean, double sd) : mean_(mean), sd_(sd) {
  require_finite("normal", "mean", mean);
  require_non_negative("normal", "sd", sd);
}

double normal::standard(rng& g) {
  /// Marsaglia polar: needs only log and sqrt, whose results vary less across
  /// libms than sin/cos of Box-Muller. Accepts pi/4 of the pairs.
  double u = 0.0;
  double s = 0.0;
  do {
    u = 2.0 * uniform01(g) - 1.0;
    const double v = 2.0 * uniform01(g) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * std::sqrt(-2.0 * std::log(s) / s);
}

double normal::operator()(rng& g) const { return mean_ + sd_ * standard(g); }

double normal::scv() const noexcept { return scv_of(sd_ * sd_, mean_); }

std::string normal::describe() const {
  return "normal(mean=" + format_number(mean_) + ", sd=" + format_number(sd_) + ")";
}

// ------------------------------------------------------------------ lognormal

lognormal lognormal::from_mean_sd(double mean, double sd) {
  require_positive("lognormal", "mean", mean);
  require_non_negative("lognormal", "sd", sd);
  const double ratio = sd / mean;
  const double scv = ratio * ratio;
  /// log1p keeps sigma accurate for nearly constant variates (tiny scv).
  const double sigma2 = std::log1p(scv);
  return lognormal(std::log(mean) - 0.5 * sigma2, std::sqrt(sigma2), mean, scv);
}

lognormal lognormal::from_mu_sigma(double mu, double sigma) {
  require_finite("lognormal", "mu", mu);
  require_non_negative("lognormal", "sigma", sigma);
  const double sigma2 = sigma * sigma;
  return lognormal(mu, sigma, std::exp(mu + 0.5 * sigma2), std::expm1(sigma2));
}

double lognormal::operator()(rng& g) const { return std::exp(mu_ + sigma_ * normal::standard(g)); }

std::string lognormal::describe() const {
  return "lognormal(mu=" + format_number(mu_) + ", sigma=" + format_number(sigma_) + "; mean=" + format_number(mean_) +
         ", scv=" + format_number(scv_) + ")";
}

// --------------------------------------------------------------------- pareto

pareto::pareto(double scale, double shape) : scale_(scale), shape_(shape) {
  require_positive("pareto", "scale", scale);
  require_positive("pareto", "shape", shape);
}

double pareto::operator()(rng& g) const {
  /// Inversion with u in (0, 1), so a draw is never 0^-1/alpha; very small
  /// shapes can still overflow to +infinity, which is what such a tail means.
  return scale_ * std::pow(uniform_open01(g), -1.0 / shape_);
}

double pareto::mean() const noexcept {
  if (shape_ <= 1.0) {
    return infinity;
  }
  return shape_ * scale_ / (shape_ - 1.0);
}

double pareto::scv() const noexcept {
  if (shape_ <= 2.0) {
    return infinity;
  }
  return 1.0 / (shape_ * (shape_ - 2.0));
}

std::string pareto::describe() const {
  return "pareto(scale=" + format_number(scale_) + ", shape=" + format_number(shape_) + ")";
}

// ----------------------------------------------------------- hyperexponential

namespace {
constexpr double probability_sum_tolerance = 1e-9;
}  // namespace

hyperexponential::hyperexponential(std::vector<double> probabilities, std::vector<double> rates)
    : probabilities_(std::move(probabilities)), rates_(std::move(rates)), mean_(0.0), scv_(0.0) {
  constexpr std::string_view owner = "hyperexponential";
  require_non_empty(owner, "probabilities", probabilities_.size());
  if (rates_.size() != probabilities_.size()) {
    reject(owner, "rates.size()", std::to_string(rates_.size()),
           "equal to probabilities.size() = " + std::to_string(probabilities_.size()));
  }
  compensated_sum total;
  for (std::size_t i = 0; i < probabilities_.size(); ++i) {
    require_non_negative(owner, indexed("probabilities", i), probabilities_[i]);
    require_positive(owner, indexed("rates", i), rates_[i], "per second");
    total.add(probabilities_[i]);
  }
  const double sum = total.value();
  if (!(std::fabs(sum - 1.0) <= probability_sum_tolerance)) {
    reject(owner, "sum of probabilities", sum, "1 (within " + format_number(probability_sum_tolerance) + ")");
  }
  compensated_sum first;
  compensated_sum second;
  cumulative_.resize(probabilities_.size());
  double running = 0.0;
  std::size_t last_reachable = 0;
  for (std::size_t i = 0; i < probabilities_.size(); ++i) {
    probabilities_[i] /= sum;
    running += probabilities_[i];
    cumulative_[i] = running;
    if (probabilities_[i] > 0.0) {
      last_reachable = i;
    }
    const double m = 1.0 / rates_[i];
    first.add(probabilities_[i] * m);
    second.add(2.0 * probabilities_[i] * m * m);
  }
  std::fill(cumulative_.begin() + static_cast<std::ptrdiff_t>(last_reachable), cumulative_.end(), 1.0);
  mean_ = first.value();
  /// E[X^2] / E[X]^2 - 1 is >= 1 - 1 mathematically; clamp the rounding.
  scv_ = std::max(0.0, second.value() / (mean_ * mean_) - 1.0);
}

hyperexponential hyperexponential::with_mean_scv(double mean, double scv) {
  constexpr std::string_view owner = "hyperexponential";
  require_positive(owner, "mean", mean, "seconds");
  if (!std::isfinite(scv) || !(scv >= 1.0)) {
    reject(owner, "scv", scv, "finite and >= 1 (a hyperexponential is at least as variable as an exponential)");
  }
  /// Balanced means: p = (1 + q) / 2 with q = sqrt((c-1)/(c+1)). The small
  /// branch is written as (1 - q^2) / (2 (1 + q)) to avoid cancellation when
  /// scv is large.
  const double q = std::sqrt((scv - 1.0) / (scv + 1.0));
  const double p2 = (1.0 / (scv + 1.0)) / (1.0 + q);
  const double p1 = 1.0 - p2;
  return hyperexponential({p1, p2}, {2.0 * p1 / mean, 2.0 * p2 / mean});
}

double hyperexponential::operator()(rng& g) const {
  const double u = uniform01(g);
  std::size_t i = 0;
  while (!(u < cumulative_[i])) {
    ++i;
  }
  return -std::log(uniform_open01(g)) / rates_[i];
}

std::string hyperexponential::describe() const {
  return "hyperexponential(p=" + format_list(probabilities_) + ", rates=" + format_list(rates_) + ")";
}

// ---------------------------------------------------------------- alias_table

alias_table::alias_table(const std::vector<double>& weights, const char* what) {
  const std::string_view owner = what;
  require_non_empty(owner, "weights", weights.size());
  compensated_sum total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    require_non_negative(owner, indexed("weights", i), weights[i]);
    total.add(weights[i]);
  }
  const double sum = total.value();
  if (!std::isfinite(sum) || !(sum > 0.0)) {
    reject(owner, "sum of weights", sum, "finite and > 0 (at least one weight positive)");
  }
  const std::size_t n = weights.size();
  const double scale = static_cast<double>(n);
  threshold_.resize(n);
  alias_.resize(n);
  std::vector<double> scaled(n);
  std::vector<std::size_t> small;
  std::vector<std::size_t> large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] / sum * scale;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  /// Vose: pair each under-full slot with an over-full donor, moving the
  /// donor's leftover to the right list, so no slot is touched twice.
  while (!small.empty() && !large.empty()) {
    const std::size_t l = small.back();
    small.pop_back();
    const std::size_t donor = large.back();
    large.pop_back();
    threshold_[l] = scaled[l];
    alias_[l] = donor;
    scaled[donor] = (scaled[donor] + scaled[l]) - 1.0;
    (scaled[donor] < 1.0 ? small : large).push_back(donor);
  }
  /// Whatever is left is 1 up to rounding; it keeps itself.
  for (const std::size_t i : large) {
    threshold_[i] = 1.0;
    alias_[i] = i;
  }
  for (const std::size_t i : small) {
    threshold_[i] = 1.0;
    alias_[i] = i;
  }
}

std::size_t alias_table::operator()(rng& g) const {
  const auto slot = static_cast<std::size_t>(uniform_index(g, threshold_.size()));
  return uniform01(g) < threshold_[slot] ? slot : alias_[slot];
}

// --------------------------------------------------------- empirical_discrete

namespace {
std::vector<double> equal_weights_if_empty(const std::vector<double>& values, std::vector<double> weights) {
  constexpr std::string_view owner = "empirical_discrete";
  require_non_empty(owner, "values", values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    require_finite(owner, indexed("values", i), values[i]);
  }
  if (weights.empty()) {
    weights.assign(values.size(), 1.0);
  } else if (weights.size() != values.size()) {
    reject(owner, "weights.size()", std::to_string(weights.size()),
           "0 (equal weights) or equal to values.size() = " + std::to_string(values.size()));
  }
  return weights;
}
}  // namespace

empirical_discrete::empirical_discrete(std::vector<double> values, std::vector<double> weights)
    : values_(std::move(values)),
      table_(equal_weights_if_empty(values_, std::move(weights)), "empirical_discrete"),
      mean_(0.0),
      scv_(0.0) {
  /// The table's probabilities are the normalised weights; recover them from
  /// it rather than keeping a second copy.
  std::vector<double> p(values_.size(), 0.0);
  const double slot = 1.0 / static_cast<double>(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    p[i] += slot * table_.threshold(i);
    p[table_.alias(i)] += slot * (1.0 - table_.threshold(i));
  }
  compensated_sum m;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    m.add(p[i] * values_[i]);
  }
  mean_ = m.value();
  compensated_sum var;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const double d = values_[i] - mean_;
    var.add(p[i] * d * d);
  }
  scv_ = scv_of(var.value(), mean_);
}

std::string empirical_discrete::describe() const {
  return "empirical_discrete(" + std::to_string(values_.size()) + " values, mean=" + format_number(mean_) +
         ", scv=" + format_number(scv_) + ")";
}

// ------------------------------------------------------- empirical_continuous

empirical_continuous::empirical_continuous(std::vector<double> samples)
    : sorted_(std::move(samples)), mean_(0.0), scv_(0.0) {
  constexpr std::string_view owner = "empirical_continuous";
  require_non_empty(owner, "samples", sorted_.size());
  for (std::size_t i = 0; i < sorted_.size(); ++i) {
    require_finite(owner, indexed("samples", i), sorted_[i]);
  }
  std::sort(sorted_.begin(), sorted_.end());
  if (sorted_.size() == 1) {
    mean_ = sorted_.front();
    return;
  }
  /// Each gap between consecutive order statistics carries probability
  /// 1/(n-1), spread uniformly over it.
  const double segment = 1.0 / static_cast<double>(sorted_.size() - 1);
  compensated_sum m;
  for (std::size_t i = 0; i + 1 < sorted_.size(); ++i) {
    m.add(segment * 0.5 * (sorted_[i] + sorted_[i + 1]));
  }
  mean_ = m.value();
  compensated_sum var;
  for (std::size_t i = 0; i + 1 < sorted_.size(); ++i) {
    const double a = sorted_[i] - mean_;
    const double b = sorted_[i + 1] - mean_;
    var.add(segment * (a * a + a * b + b * b) / 3.0);
  }
  scv_ = scv_of(var.value(), mean_);
}

double empirical_continuous::operator()(rng& g) const {
  if (sorted_.size() == 1) {
    return sorted_.front();
  }
  const std::size_t last_segment = sorted_.size() - 2;
  const double t = uniform01(g) * static_cast<double>(sorted_.size() - 1);
  /// min() guards the case where the product rounds up to n - 1.
  const std::size_t i = std::min(static_cast<std::size_t>(t), last_segment);
  const double a = sorted_[i];
  const double b = sorted_[i + 1];
  return a + (t - static_cast<double>(i)) * (b - a);
}

std::string empirical_continuous::describe() const {
  return "empirical_continuous(" + std::to_string(sorted_.size()) + " samples, min=" + format_number(sorted_.front()) +
         ", max=" + format_number(sorted_.back()) + ", mean=" + format_number(mean_) + ")";
}

// ----------------------------------------------------------------------- zipf

namespace {

/// Ranks beyond 2^53 are not representable as doubles, and the inversion
/// works in doubles.
constexpr std::uint64_t zipf_max_n = std::uint64_t{1} << 53;

/// Terms summed exactly before Euler-Maclaurin takes over; with four
/// correction terms the remainder is far below double precision from here.
constexpr std::uint64_t harmonic_head = 1000;

/// log1p(x) / x, continuous through x = 0 (needed at s = 1).
double log1p_over_x(double x) noexcept {
  if (std::fabs(x) > 1e-8) {
    return std::log1p(x) / x;
  }
  return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/// expm1(x) / x, continuous through x = 0.
double expm1_over_x(double x) noexcept {
  if (std::fabs(x) > 1e-8) {
    return std::expm1(x) / x;
  }
  return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

/// sum_{k=first..n} k^-t by Euler-Maclaurin; 0 when n < first.
double power_tail(std::uint64_t first, std::uint64_t n, double t) noexcept {
  if (n < first) {
    return 0.0;
  }
  const double a = static_cast<double>(first);
  const double b = static_cast<double>(n);
  const double span = std::log(b / a);
  /// integral_a^b x^-t dx, written to stay exact as t -> 1.
  const double integral = std::pow(a, 1.0 - t) * span * expm1_over_x((1.0 - t) * span);
  double sum = integral + 0.5 * (std::pow(a, -t) + std::pow(b, -t));
  /// B_2j / (2j)! for j = 1..4.
  constexpr std::array<double, 4> bernoulli = {1.0 / 12.0, -1.0 / 720.0, 1.0 / 30240.0, -1.0 / 1209600.0};
  double falling = -t;  // (-t)(-t-1)...(-t-m+1), the m-th derivative's factor, m = 1
  for (std::size_t j = 0; j < bernoulli.size(); ++j) {
    const double m = static_cast<double>(2 * j + 1);
    sum += bernoulli[j] * falling * (std::pow(b, -t - m) - std::pow(a, -t - m));
    falling *= (-t - m) * (-t - m - 1.0);
  }
  return sum;
}

}  // namespace

double zipf::generalized_harmonic(std::uint64_t n, double t) noexcept {
  compensated_sum head;
  const std::uint64_t last = std::min(n, harmonic_head - 1);
  for (std::uint64_t k = last; k >= 1; --k) {
    head.add(std::pow(static_cast<double>(k), -t));
  }
  return head.value() + power_tail(harmonic_head, n, t);
}

zipf::zipf(std::uint64_t n, double s)
    : n_(n), s_(s), normalizer_(0.0), h_integral_x1_(0.0), h_integral_n_(0.0), squeeze_(0.0) {
  if (n < 1 || n > zipf_max_n) {
    reject("zipf", "n", std::to_string(n), "an integer in [1, 2^53 = " + std::to_string(zipf_max_n) + "]");
  }
  require_non_negative("zipf", "s", s);
  normalizer_ = generalized_harmonic(n, s);
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  squeeze_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

/// H(x) = (x^(1-s) - 1) / (1 - s), log(x) at s = 1: an antiderivative of h.
double zipf::h_integral(double x) const noexcept {
  const double log_x = std::log(x);
  return expm1_over_x((1.0 - s_) * log_x) * log_x;
}

double zipf::h(double x) const noexcept { return std::exp(-s_ * std::log(x)); }

double zipf::h_integral_inverse(double x) const noexcept {
  double t = x * (1.0 - s_);
  /// Rounding can push t just below -1 where log1p is undefined.
  t = std::max(t, -1.0);
  return std::exp(log1p_over_x(t) * x);
}

std::uint64_t zipf::operator()(rng& g) const {
  if (s_ == 0.0) {
    return 1 + uniform_index(g, n_);
  }
  const double n = static_cast<double>(n_);
  /// Rejection-inversion (Hoermann & Derflinger 1996, algorithm ZRI): invert
  /// the integral of the hat h(x) = x^-s over [1.5, n + 0.5], round to the
  /// nearest rank k, and accept when u lies in the part of k's cell that
  /// belongs to k^-s. Acceptance is high for every s, so the loop is O(1).
  for (;;) {
    const double u = h_integral_n_ + uniform01(g) * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    const double k = std::clamp(std::floor(x + 0.5), 1.0, n);
    if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

double zipf::pmf(std::uint64_t k) const noexcept {
  if (k < 1 || k > n_) {
    return 0.0;
  }
  return h(static_cast<double>(k)) / normalizer_;
}

double zipf::mean() const noexcept {
  return (generalized_harmonic(n_, s_ - 1.0)) / normalizer_;
}

double zipf::scv() const noexcept {
  const double m = mean();
  /// Central moment summed directly over the head and only the tail taken
  /// from raw moments: for steep s the variance is tiny and E[K^2] - m^2
  /// would cancel to noise.
  compensated_sum head;
  const std::uint64_t last = std::min(n_, harmonic_head - 1);
  for (std::uint64_t k = last; k >= 1; --k) {
    const double kd = static_cast<double>(k);
    const double d = kd - m;
    head.add(h(kd) * d * d);
  }
  const double tail = power_tail(harmonic_head, n_, s_ - 2.0) - 2.0 * m * power_tail(harmonic_head, n_, s_ - 1.0) +
                      m * m * power_tail(harmonic_head, n_, s_);
  return scv_of((head.value() + tail) / normalizer_, m);
}

std::string zipf::describe() const { return "zipf(n=" + std::to_string(n_) + ", s=" + format_number(s_) + ")"; }

}  // namespace gwsim::sim
