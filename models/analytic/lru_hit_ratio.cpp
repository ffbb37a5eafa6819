#include "models/analytic/lru_hit_ratio.hpp"

#include <cmath>
#include <stdexcept>

#include "models/analytic/checks.hpp"

namespace gwsim::analytic {

std::vector<double> zipf_popularity(std::size_t n, double s) {
  if (n == 0) throw std::invalid_argument("n = 0 is invalid: must be >= 1");
  detail::require_non_negative("s", s);
  std::vector<double> p(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = std::pow(static_cast<double>(i + 1), -s);
    sum += p[i];
  }
  for (double& x : p) x /= sum;
  return p;
}

namespace {

/// Expected keys in the cache if each stays T requests after its last
/// request: items requested with probability (1 - u) p_i, one-time keys u.
double occupancy(std::span<const double> p, double u, double t) {
  double n = u * t;
  for (double x : p) n -= std::expm1(-(1 - u) * x * t);
  return n;
}

}  // namespace

double che_lru_hit_ratio(std::span<const double> popularity, double slots, double one_time_share) {
  if (popularity.empty()) throw std::invalid_argument("popularity is invalid: must not be empty");
  detail::require_non_negative("slots", slots);
  if (!(one_time_share >= 0 && one_time_share <= 1)) detail::bad("one_time_share", one_time_share, "in [0, 1]");
  const double u = one_time_share;
  double sum = 0;
  std::size_t positive = 0;
  for (double x : popularity) {
    if (!std::isfinite(x) || x < 0) detail::bad("popularity[i]", x, "finite and >= 0");
    sum += x;
    if (x > 0) ++positive;
  }
  if (std::abs(sum - 1.0) > 1e-9) detail::bad("sum(popularity)", sum, "1 (within 1e-9)");
  if (slots <= 0 || u >= 1) return 0.0;
  if (u == 0 && slots >= static_cast<double>(positive)) return 1.0;
  // occupancy() rises from 0 in T (to `positive` without one-time keys,
  // without bound with them): bracket, then bisect (monotone and smooth;
  // 200 halvings reach double precision).
  double lo = 0;
  double hi = 1;
  while (occupancy(popularity, u, hi) < slots) hi *= 2;
  for (int k = 0; k < 200 && hi - lo > 1e-12 * hi; ++k) {
    const double mid = 0.5 * (lo + hi);
    (occupancy(popularity, u, mid) < slots ? lo : hi) = mid;
  }
  const double t = 0.5 * (lo + hi);
  double hit = 0;
  for (double x : popularity) hit -= (1 - u) * x * std::expm1(-(1 - u) * x * t);
  return hit;
}

}  // namespace gwsim::analytic
