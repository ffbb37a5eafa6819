#include "models/analytic/availability.hpp"

#include "models/analytic/checks.hpp"

#include <Eigen/SparseLU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace gwsim::analytic {
using detail::bad;
using detail::require_non_negative;
using detail::require_positive;
using detail::unstable;

namespace {

constexpr std::size_t no_state = std::numeric_limits<std::size_t>::max();
/// Largest uniformised step L h: e^{-32} ~ 1.3e-14 is far from underflow.
constexpr double max_step_mass = 32.0;
/// Largest L t accepted by transient().
constexpr double max_total_mass = 1e7;




void validate(const availability_params& p) {
  if (p.workers == 0 || p.workers > availability_max_workers) {
    std::ostringstream msg;
    msg << "workers = " << p.workers << " is invalid: must be in 1.." << availability_max_workers;
    throw std::invalid_argument(msg.str());
  }
  require_non_negative("rebuild_rate", p.rebuild_rate);
  require_positive("mean_rebuild", p.mean_rebuild);
  require_positive("respawn_delay", p.respawn_delay);
  require_positive("restart_build", p.restart_build);
  if (p.p_oom.size() != p.workers) {
    std::ostringstream msg;
    msg << "p_oom has " << p.p_oom.size() << " entries: is invalid: must have one per worker (" << p.workers
        << "), p_oom[k-1] for k concurrent rebuilds";
    throw std::invalid_argument(msg.str());
  }
  for (std::size_t k = 0; k < p.p_oom.size(); ++k) {
    const double v = p.p_oom[k];
    if (!std::isfinite(v) || v < 0.0 || v > 1.0) {
      std::ostringstream msg;
      msg << "p_oom[" << k << "] = " << v << " is invalid: must be a probability in [0, 1]";
      throw std::invalid_argument(msg.str());
    }
  }
}

}  // namespace

availability_chain::availability_chain(availability_params params) : params_(std::move(params)) {
  validate(params_);
  const std::size_t w = params_.workers;
  const std::size_t side = w + 1;
  lookup_.assign(side * side * side, no_state);
  // Enumerate compositions; index 0 is all-serving.
  for (std::size_t r = 0; r <= w; ++r)
    for (std::size_t k = 0; r + k <= w; ++k)
      for (std::size_t q = 0; r + k + q <= w; ++q) {
        lookup_[(r * side + k) * side + q] = states_.size();
        states_.push_back(worker_counts{w - r - k - q, r, k, q});
      }

  const double lambda = params_.rebuild_rate;
  const double m = 1.0 / params_.mean_rebuild;
  const double d = 1.0 / params_.respawn_delay;
  const double b = 1.0 / params_.restart_build;
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(states_.size() * 6);
  const auto n = static_cast<Eigen::Index>(states_.size());
  for (std::size_t i = 0; i < states_.size(); ++i) {
    const worker_counts& c = states_[i];
    const auto ii = static_cast<Eigen::Index>(i);
    double out = 0.0;
    auto add = [&](worker_counts to, double rate) {
      if (rate <= 0.0) return;
      triplets.emplace_back(ii, static_cast<Eigen::Index>(index_of(to)), rate);
      out += rate;
    };
    if (c.serving > 0)
      add({c.serving - 1, c.rebuilding + 1, c.killed, c.restarting}, static_cast<double>(c.serving) * lambda);
    if (c.rebuilding > 0) {
      const double p = params_.p_oom[c.rebuilding - 1];
      const double done = static_cast<double>(c.rebuilding) * m;
      add({c.serving + 1, c.rebuilding - 1, c.killed, c.restarting}, done * (1.0 - p));
      add({c.serving, c.rebuilding - 1, c.killed + 1, c.restarting}, done * p);
    }
    if (c.killed > 0) add({c.serving, c.rebuilding, c.killed - 1, c.restarting + 1}, static_cast<double>(c.killed) * d);
    if (c.restarting > 0)
      add({c.serving + 1, c.rebuilding, c.killed, c.restarting - 1}, static_cast<double>(c.restarting) * b);
    if (out > 0.0) triplets.emplace_back(ii, ii, -out);
    uniform_rate_ = std::max(uniform_rate_, out);
  }
  q_.resize(n, n);
  q_.setFromTriplets(triplets.begin(), triplets.end());
  q_.makeCompressed();
}

std::size_t availability_chain::index_of(const worker_counts& c) const {
  const std::size_t w = params_.workers;
  if (c.serving + c.rebuilding + c.killed + c.restarting != w || c.rebuilding > w || c.killed > w || c.restarting > w) {
    std::ostringstream msg;
    msg << "state (" << c.serving << ", " << c.rebuilding << ", " << c.killed << ", " << c.restarting
        << ") is invalid: counts must sum to workers = " << w;
    throw std::invalid_argument(msg.str());
  }
  const std::size_t side = w + 1;
  return lookup_[(c.rebuilding * side + c.killed) * side + c.restarting];
}

Eigen::VectorXd availability_chain::point_mass(const worker_counts& c) const {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(size()));
  v(static_cast<Eigen::Index>(index_of(c))) = 1.0;
  return v;
}

Eigen::VectorXd availability_chain::steady_state() const {
  const auto n = static_cast<Eigen::Index>(size());
  // A = Q^T with row 0 (the balance equation of all-serving) replaced by ones.
  // Q has a single closed class, so its balance equations have rank n - 1 and
  // the single dependency involves every equation: dropping any one is safe.
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(static_cast<std::size_t>(q_.nonZeros() + n));
  for (Eigen::Index col = 0; col < q_.outerSize(); ++col)
    for (Eigen::SparseMatrix<double>::InnerIterator it(q_, col); it; ++it)
      if (it.col() != 0) triplets.emplace_back(it.col(), it.row(), it.value());
  for (Eigen::Index j = 0; j < n; ++j) triplets.emplace_back(0, j, 1.0);
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(triplets.begin(), triplets.end());
  a.makeCompressed();

  Eigen::SparseLU<Eigen::SparseMatrix<double>, Eigen::COLAMDOrdering<int>> lu;
  lu.compute(a);
  if (lu.info() != Eigen::Success) throw std::runtime_error("availability: steady-state LU factorisation failed");
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  rhs(0) = 1.0;
  Eigen::VectorXd pi = lu.solve(rhs);
  if (lu.info() != Eigen::Success || !pi.allFinite())
    throw std::runtime_error("availability: steady-state solve failed");
  pi = pi.cwiseMax(0.0);
  pi /= pi.sum();
  return pi;
}

Eigen::VectorXd availability_chain::transient(const Eigen::VectorXd& initial, double t, double tolerance) const {
  if (initial.size() != static_cast<Eigen::Index>(size())) {
    std::ostringstream msg;
    msg << "initial has " << initial.size() << " entries: is invalid: must have one per state (" << size() << ")";
    throw std::invalid_argument(msg.str());
  }
  if (!initial.allFinite() || initial.minCoeff() < 0.0 || std::abs(initial.sum() - 1.0) > 1e-9)
    throw std::invalid_argument("initial is invalid: must be a probability vector (entries >= 0, sum 1)");
  require_non_negative("t", t);
  if (!std::isfinite(tolerance) || tolerance <= 0.0 || tolerance >= 1.0) bad("tolerance", tolerance, "in (0, 1)");
  const double mass = uniform_rate_ * t;
  if (mass > max_total_mass) {
    std::ostringstream msg;
    msg << "t = " << t << " is invalid: uniformisation rate * t = " << mass << " must be <= " << max_total_mass
        << " (use steady_state for long horizons)";
    throw std::invalid_argument(msg.str());
  }
  Eigen::VectorXd v = initial;
  if (mass == 0.0) return v;

  const auto steps = static_cast<std::size_t>(std::ceil(mass / max_step_mass));
  const double x = mass / static_cast<double>(steps);  // L h per step, <= 32
  const double step_tol = tolerance / static_cast<double>(steps);
  const double inv_rate = 1.0 / uniform_rate_;
  const Eigen::SparseMatrix<double> qt = q_.transpose();

  Eigen::VectorXd term(v.size());
  Eigen::VectorXd acc(v.size());
  for (std::size_t s = 0; s < steps; ++s) {
    term = v;  // initial P^n for n = 0
    double weight = std::exp(-x);
    acc = weight * term;
    for (std::size_t nterm = 0;; ++nterm) {
      const double next = weight * x / static_cast<double>(nterm + 1);  // w_{n+1}
      const double denom = static_cast<double>(nterm + 2);
      if (denom > x) {
        const double tail = next / (1.0 - x / denom);
        if (tail <= step_tol) break;
      }
      term += inv_rate * (qt * term);  // term <- term P
      weight = next;
      acc += weight * term;
    }
    v = acc;
  }
  return v;
}

double availability_chain::kill_rate(std::size_t state) const {
  const worker_counts& c = states_.at(state);
  if (c.rebuilding == 0) return 0.0;
  return static_cast<double>(c.rebuilding) / params_.mean_rebuild * params_.p_oom[c.rebuilding - 1];
}

availability_metrics availability_chain::metrics(const Eigen::VectorXd& distribution) const {
  if (distribution.size() != static_cast<Eigen::Index>(size())) {
    std::ostringstream msg;
    msg << "distribution has " << distribution.size() << " entries: is invalid: must have one per state (" << size()
        << ")";
    throw std::invalid_argument(msg.str());
  }
  availability_metrics out;
  const double w = static_cast<double>(params_.workers);
  double kills = 0.0;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    const double p = distribution(static_cast<Eigen::Index>(i));
    const worker_counts& c = states_[i];
    out.serving_fraction += p * static_cast<double>(c.serving);
    if (c.serving > 0)
      out.prob_any_serving += p;
    else
      out.prob_none_serving += p;
    if (c.killed + c.restarting == params_.workers) out.prob_all_down += p;
    out.mean_rebuilding += p * static_cast<double>(c.rebuilding);
    out.mean_killed += p * static_cast<double>(c.killed);
    out.mean_restarting += p * static_cast<double>(c.restarting);
    kills += p * kill_rate(i);
  }
  out.serving_fraction /= w;
  out.oom_kills_per_hour = 3600.0 * kills;
  return out;
}

}  // namespace gwsim::analytic
