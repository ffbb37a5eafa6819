#include "models/calibration/fit.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <set>
#include <sstream>
#include <stdexcept>

namespace gwsim::calibration {
namespace {

/// Index of a term in {a, b, c}.
enum term : int { term_a = 0, term_b = 1, term_c = 2 };

double basis(int t, double n) noexcept {
  switch (t) {
    case term_a:
      return 1.0;
    case term_b:
      return n;
    default:
      return n > 1.0 ? n * std::log2(n) : 0.0;
  }
}

const char* term_name(int t) noexcept {
  return t == term_a ? "a" : t == term_b ? "b" : "c";
}

std::string describe(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_points(std::span<const point> points, fit_form form) {
  const auto k = static_cast<std::size_t>(parameter_count(form));
  if (points.size() < k) {
    throw std::invalid_argument("fit: points = " + std::to_string(points.size()) + " is too few for the " +
                                std::string(to_string(form)) + " form: need >= " + std::to_string(k));
  }
  std::set<double> distinct;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const point& p = points[i];
    if (!std::isfinite(p.n) || p.n < 1.0) {
      throw std::invalid_argument("fit: points[" + std::to_string(i) + "].n = " + describe(p.n) +
                                  " is invalid: must be finite and >= 1");
    }
    if (!std::isfinite(p.y) || p.y <= 0.0) {
      throw std::invalid_argument("fit: points[" + std::to_string(i) + "].y = " + describe(p.y) +
                                  " is invalid: must be finite and > 0 (points are weighted by 1/y)");
    }
    distinct.insert(p.n);
  }
  if (distinct.size() < k) {
    throw std::invalid_argument("fit: distinct n = " + std::to_string(distinct.size()) + " is too few for the " +
                                std::string(to_string(form)) + " form: need >= " + std::to_string(k));
  }
}

/// Weighted least squares over the given terms; coefficients in term order.
Eigen::VectorXd solve(std::span<const point> points, const std::vector<int>& terms) {
  const auto rows = static_cast<Eigen::Index>(points.size());
  const auto cols = static_cast<Eigen::Index>(terms.size());
  Eigen::MatrixXd x(rows, cols);
  Eigen::VectorXd y(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    const point& p = points[static_cast<std::size_t>(i)];
    const double w = 1.0 / p.y;
    for (Eigen::Index j = 0; j < cols; ++j) x(i, j) = w * basis(terms[static_cast<std::size_t>(j)], p.n);
    y(i) = 1.0;  // w * y
  }
  // Columns differ by orders of magnitude (1 vs N log2 N); scale each to unit
  // norm so the pivoting and rank decisions are about shape, not units.
  Eigen::VectorXd norms = x.colwise().norm().transpose();
  for (Eigen::Index j = 0; j < cols; ++j) {
    if (norms(j) > 0) x.col(j) /= norms(j);
  }
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  Eigen::VectorXd beta = qr.solve(y);
  for (Eigen::Index j = 0; j < cols; ++j) {
    if (norms(j) > 0) beta(j) /= norms(j);
  }
  return beta;
}

}  // namespace

int parameter_count(fit_form form) noexcept {
  switch (form) {
    case fit_form::constant:
      return 1;
    case fit_form::linear:
      return 2;
    case fit_form::nlogn:
      return 3;
  }
  return 3;
}

std::string_view to_string(fit_form form) noexcept {
  switch (form) {
    case fit_form::constant:
      return "constant";
    case fit_form::linear:
      return "linear";
    case fit_form::nlogn:
      return "nlogn";
  }
  return "nlogn";
}

fit_form parse_fit_form(std::string_view text) {
  for (fit_form f : {fit_form::constant, fit_form::linear, fit_form::nlogn}) {
    if (text == to_string(f)) return f;
  }
  throw std::invalid_argument("fit form = \"" + std::string(text) +
                              "\" is invalid: must be one of \"constant\", \"linear\", \"nlogn\"");
}

double cost_fit::operator()(double n) const noexcept {
  return a * basis(term_a, n) + b * basis(term_b, n) + c * basis(term_c, n);
}

cost_fit fit(std::span<const point> points, fit_form form) {
  check_points(points, form);
  std::vector<int> terms;
  for (int t = 0; t < parameter_count(form); ++t) terms.push_back(t);

  double max_n = 0.0;
  for (const point& p : points) max_n = std::max(max_n, p.n);

  Eigen::VectorXd beta = solve(points, terms);
  for (;;) {
    // The most negative contribution at the largest N, if any.
    std::size_t worst = terms.size();
    double worst_value = 0.0;
    for (std::size_t j = 0; j < terms.size(); ++j) {
      const double v = beta(static_cast<Eigen::Index>(j)) * basis(terms[j], max_n);
      if (beta(static_cast<Eigen::Index>(j)) < 0.0 && (worst == terms.size() || v < worst_value)) {
        worst = j;
        worst_value = v;
      }
    }
    if (worst == terms.size() || terms.size() == 1) break;
    terms.erase(terms.begin() + static_cast<std::ptrdiff_t>(worst));
    beta = solve(points, terms);
  }

  cost_fit out;
  out.form = form;
  double coefficients[3] = {0.0, 0.0, 0.0};
  for (std::size_t j = 0; j < terms.size(); ++j) {
    coefficients[terms[j]] = std::max(0.0, beta(static_cast<Eigen::Index>(j)));
    out.terms.emplace_back(term_name(terms[j]));
  }
  out.a = coefficients[term_a];
  out.b = coefficients[term_b];
  out.c = coefficients[term_c];

  double mean = 0.0;
  for (const point& p : points) mean += p.y;
  mean /= static_cast<double>(points.size());
  double ss_res = 0.0;
  double ss_tot = 0.0;
  for (const point& p : points) {
    const double r = p.y - out(p.n);
    ss_res += r * r;
    ss_tot += (p.y - mean) * (p.y - mean);
    out.relative_residuals.push_back(r / p.y);
    out.max_relative_residual = std::max(out.max_relative_residual, std::abs(r / p.y));
  }
  // Exact up to rounding when the residuals are tiny relative to the data.
  const double tiny = 1e-24 * static_cast<double>(points.size()) * mean * mean;
  if (ss_tot <= tiny) {
    out.r2 = ss_res <= tiny ? 1.0 : 0.0;
  } else {
    out.r2 = 1.0 - ss_res / ss_tot;
  }
  return out;
}

double median_y(std::span<const point> points) {
  if (points.empty()) throw std::invalid_argument("median: points = 0 is too few: need >= 1");
  std::vector<double> ys;
  ys.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].y)) {
      throw std::invalid_argument("median: points[" + std::to_string(i) + "].y = " + describe(points[i].y) +
                                  " is invalid: must be finite");
    }
    ys.push_back(points[i].y);
  }
  std::sort(ys.begin(), ys.end());
  const std::size_t m = ys.size() / 2;
  return ys.size() % 2 == 1 ? ys[m] : 0.5 * (ys[m - 1] + ys[m]);
}

}  // namespace gwsim::calibration
