#pragma once
/// Least-squares fits of a measured cost against the size N it was measured
/// at: cost(N) = a + b N + c N log2 N and its simpler forms.
///
/// Weighting: the benchmarks span three decades of N, so an unweighted fit
/// would be decided by the largest N alone (a 1% error at N = 1e5 outweighs
/// a 100% error at N = 1e3). Each point is therefore weighted by 1 / y, i.e.
/// the fit minimises the sum of squared *relative* residuals
/// sum_i ((y_i - f(N_i)) / y_i)^2. This requires y_i > 0.
///
/// Non-negativity: a cost term with a negative coefficient has no physical
/// meaning (and extrapolates to negative costs), so when the fit gives one,
/// the term whose contribution at the largest N is the most negative is
/// dropped and the remaining terms are refitted, until every coefficient is
/// >= 0. A single positive basis with positive data cannot fit negative, so
/// this ends with at least one term.
///
/// Solved with Eigen's column-pivoting Householder QR on the weighted design
/// matrix, which stays accurate when the N and N log2 N columns are nearly
/// collinear.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gwsim::calibration {

/// One measurement: cost y (any unit, > 0) at size n (>= 1).
struct point {
  double n = 0.0;
  double y = 0.0;
};

/// The terms a fit may use. The coefficient of a term not in the form is 0.
enum class fit_form {
  constant,  ///< a
  linear,    ///< a + b N
  nlogn,     ///< a + b N + c N log2 N
};

/// The number of coefficients of a form (1, 2 or 3).
[[nodiscard]] int parameter_count(fit_form form) noexcept;
/// "constant", "linear" or "nlogn" (the spelling calibration files use).
[[nodiscard]] std::string_view to_string(fit_form form) noexcept;
/// The inverse of to_string; throws std::invalid_argument naming the value
/// and the allowed spellings.
[[nodiscard]] fit_form parse_fit_form(std::string_view text);

/// A fitted cost(N) = a + b N + c N log2 N (terms dropped by the fit are 0).
struct cost_fit {
  fit_form form = fit_form::nlogn;  ///< the form asked for
  double a = 0.0;                   ///< constant term, same unit as y
  double b = 0.0;                   ///< per-N term
  double c = 0.0;                   ///< per-(N log2 N) term
  /// Terms kept after the non-negativity refits, e.g. {"a", "c"}.
  std::vector<std::string> terms{};
  /// Coefficient of determination on the unweighted data:
  /// 1 - sum (y - f)^2 / sum (y - mean y)^2. When every y is equal the
  /// denominator is 0 and r2 is 1 for an exact fit, 0 otherwise.
  double r2 = 0.0;
  /// (y_i - f(N_i)) / y_i per point, in input order.
  std::vector<double> relative_residuals{};
  /// The largest |relative residual|.
  double max_relative_residual = 0.0;

  /// The fitted cost at n (n >= 1; n log2 n is taken as 0 below n = 1).
  [[nodiscard]] double operator()(double n) const noexcept;
};

/// Fits `points` with `form` as described above. Throws
/// std::invalid_argument when there are fewer points than coefficients, when
/// a point's n is not finite or < 1, when its y is not finite or <= 0, or
/// when the points have fewer distinct n than coefficients (the design
/// matrix would be singular).
[[nodiscard]] cost_fit fit(std::span<const point> points, fit_form form);

/// The median of the points' y (mean of the two middle values for an even
/// count). Throws std::invalid_argument for no points or a non-finite y.
[[nodiscard]] double median_y(std::span<const point> points);

}  // namespace gwsim::calibration
