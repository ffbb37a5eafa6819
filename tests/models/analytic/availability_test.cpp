#include "models/analytic/availability.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

namespace gwsim::analytic {
namespace {

template <class F>
void expect_invalid(F f, const std::string& parameter) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << parameter;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(parameter), std::string::npos) << e.what();
  }
}

availability_params make(std::size_t w, double rate, double p_base) {
  availability_params p;
  p.workers = w;
  p.rebuild_rate = rate;
  p.mean_rebuild = 2.0;
  p.respawn_delay = 1.0;
  p.restart_build = 3.0;
  // Kill probability rising with concurrency: memory scales with the rebuilders.
  for (std::size_t k = 1; k <= w; ++k) p.p_oom.push_back(std::min(1.0, p_base * static_cast<double>(k)));
  return p;
}

std::size_t binomial(std::size_t n, std::size_t k) {
  std::size_t r = 1;
  for (std::size_t i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

TEST(AvailabilityTest, StateSpaceIsCompositions) {
  for (std::size_t w : {1u, 2u, 4u, 16u}) {
    const availability_chain chain(make(w, 0.1, 0.05));
    EXPECT_EQ(chain.size(), binomial(w + 3, 3));
    for (std::size_t i = 0; i < chain.size(); ++i) EXPECT_EQ(chain.index_of(chain.states()[i]), i);
  }
  EXPECT_EQ(availability_chain(make(16, 0.1, 0.05)).size(), 969u);
}

TEST(AvailabilityTest, GeneratorRowsSumToZero) {
  const availability_chain chain(make(6, 0.3, 0.1));
  const Eigen::MatrixXd q = chain.dense_generator();
  const Eigen::VectorXd rows = q.rowwise().sum();
  EXPECT_LT(rows.cwiseAbs().maxCoeff(), 1e-12);
  for (Eigen::Index i = 0; i < q.rows(); ++i) {
    for (Eigen::Index j = 0; j < q.cols(); ++j) {
      if (i != j) {
        EXPECT_GE(q(i, j), 0.0);
      }
    }
  }
}

TEST(AvailabilityTest, SteadyStateIsStationary) {
  for (std::size_t w : {1u, 3u, 8u, 16u}) {
    const availability_chain chain(make(w, 0.2, 0.04));
    const Eigen::VectorXd pi = chain.steady_state();
    EXPECT_NEAR(pi.sum(), 1.0, 1e-12);
    EXPECT_GE(pi.minCoeff(), 0.0);
    const Eigen::VectorXd residual = chain.generator().transpose() * pi;
    EXPECT_LT(residual.cwiseAbs().maxCoeff(), 1e-12) << "W = " << w;
  }
}

TEST(AvailabilityTest, SingleWorkerMatchesClosedForm) {
  availability_params p;
  p.workers = 1;
  p.rebuild_rate = 0.25;
  p.mean_rebuild = 1.5;
  p.p_oom = {0.3};
  p.respawn_delay = 2.0;
  p.restart_build = 4.0;
  const availability_chain chain(p);
  const Eigen::VectorXd pi = chain.steady_state();
  const double l = p.rebuild_rate;
  const double s = 1.0 / (1.0 + l * (p.mean_rebuild + 0.3 * (p.respawn_delay + p.restart_build)));
  EXPECT_NEAR(pi(static_cast<Eigen::Index>(chain.index_of({1, 0, 0, 0}))), s, 1e-12);
  EXPECT_NEAR(pi(static_cast<Eigen::Index>(chain.index_of({0, 1, 0, 0}))), l * p.mean_rebuild * s, 1e-12);
  EXPECT_NEAR(pi(static_cast<Eigen::Index>(chain.index_of({0, 0, 1, 0}))), 0.3 * l * p.respawn_delay * s, 1e-12);
  EXPECT_NEAR(pi(static_cast<Eigen::Index>(chain.index_of({0, 0, 0, 1}))), 0.3 * l * p.restart_build * s, 1e-12);
  const availability_metrics m = chain.metrics(pi);
  EXPECT_NEAR(m.serving_fraction, s, 1e-12);
  EXPECT_NEAR(m.prob_any_serving, s, 1e-12);
  EXPECT_NEAR(m.prob_none_serving, 1.0 - s, 1e-12);
  EXPECT_NEAR(m.prob_all_down, 0.3 * l * (p.respawn_delay + p.restart_build) * s, 1e-12);
  EXPECT_NEAR(m.oom_kills_per_hour, 3600.0 * 0.3 * l * s, 1e-9);
  EXPECT_NEAR(m.mean_rebuilding, l * p.mean_rebuild * s, 1e-12);
}

TEST(AvailabilityTest, NoOomMeansNoKillsAndIndependentWorkers) {
  for (std::size_t w : {1u, 4u}) {
    availability_params p = make(w, 0.4, 0.0);
    const availability_chain chain(p);
    const availability_metrics m = chain.steady_metrics();
    const double s = 1.0 / (1.0 + p.rebuild_rate * p.mean_rebuild);
    EXPECT_EQ(m.oom_kills_per_hour, 0.0);
    EXPECT_NEAR(m.serving_fraction, s, 1e-12);
    EXPECT_NEAR(m.prob_none_serving, std::pow(1.0 - s, static_cast<double>(w)), 1e-12);
    EXPECT_NEAR(m.prob_all_down, 0.0, 1e-15);
    EXPECT_NEAR(m.mean_killed + m.mean_restarting, 0.0, 1e-15);
  }
}

TEST(AvailabilityTest, NoWritesMeansAlwaysServing) {
  const availability_metrics m = availability_chain(make(3, 0.0, 0.5)).steady_metrics();
  EXPECT_NEAR(m.serving_fraction, 1.0, 1e-12);
  EXPECT_EQ(m.oom_kills_per_hour, 0.0);
}

TEST(AvailabilityTest, TransientStartsAtInitialState) {
  const availability_chain chain(make(4, 0.5, 0.1));
  const Eigen::VectorXd init = chain.point_mass({2, 1, 1, 0});
  const Eigen::VectorXd at0 = chain.transient(init, 0.0);
  EXPECT_EQ((at0 - init).cwiseAbs().maxCoeff(), 0.0);
}

TEST(AvailabilityTest, TransientMatchesTwoStateClosedForm) {
  // W = 1, no kills: serving <-> rebuilding, P(serving at t | serving at 0) =
  // s + (1 - s) exp(-(lambda + m) t).
  availability_params p = make(1, 0.7, 0.0);
  const availability_chain chain(p);
  const double m = 1.0 / p.mean_rebuild;
  const double s = m / (p.rebuild_rate + m);
  for (double t : {0.1, 1.0, 5.0, 100.0}) {
    const Eigen::VectorXd v = chain.transient(chain.point_mass({1, 0, 0, 0}), t);
    EXPECT_NEAR(v.sum(), 1.0, 1e-10);
    EXPECT_NEAR(chain.metrics(v).serving_fraction, s + (1.0 - s) * std::exp(-(p.rebuild_rate + m) * t), 1e-10)
        << "t = " << t;
  }
}

TEST(AvailabilityTest, TransientMatchesMatrixExponential) {
  // Several uniformisation steps (rate * t > 32) against exp(Q t) computed densely.
  const availability_chain chain(make(3, 0.5, 0.1));
  const Eigen::MatrixXd q = chain.dense_generator();
  const Eigen::VectorXd init = chain.point_mass({3, 0, 0, 0});
  for (double t : {0.5, 4.0, 30.0}) {
    const Eigen::MatrixXd e = (q * t).exp();
    const Eigen::VectorXd expected = e.transpose() * init;
    const Eigen::VectorXd v = chain.transient(init, t, 1e-12);
    EXPECT_LT((v - expected).cwiseAbs().sum(), 1e-10) << "t = " << t;
  }
}

TEST(AvailabilityTest, TransientConvergesToSteadyState) {
  const availability_chain chain(make(5, 0.3, 0.08));
  const Eigen::VectorXd pi = chain.steady_state();
  const Eigen::VectorXd v = chain.transient(chain.point_mass({5, 0, 0, 0}), 400.0);
  EXPECT_LT((v - pi).cwiseAbs().sum(), 1e-8);
  // Also from the worst start: every worker killed.
  const Eigen::VectorXd u = chain.transient(chain.point_mass({0, 0, 5, 0}), 400.0);
  EXPECT_LT((u - pi).cwiseAbs().sum(), 1e-8);
}

TEST(AvailabilityTest, MoreWritesMeanFewerServingAndMoreKills) {
  double prev_serving = 2.0;
  double prev_kills = -1.0;
  double prev_rebuilding = -1.0;
  for (double rate : {0.01, 0.05, 0.1, 0.3, 1.0, 3.0}) {
    const availability_metrics m = availability_chain(make(4, rate, 0.1)).steady_metrics();
    EXPECT_LT(m.serving_fraction, prev_serving) << rate;
    EXPECT_GT(m.oom_kills_per_hour, prev_kills) << rate;
    EXPECT_GT(m.mean_rebuilding, prev_rebuilding) << rate;
    EXPECT_NEAR(m.prob_any_serving + m.prob_none_serving, 1.0, 1e-12);
    prev_serving = m.serving_fraction;
    prev_kills = m.oom_kills_per_hour;
    prev_rebuilding = m.mean_rebuilding;
  }
}

TEST(AvailabilityTest, HigherOomProbabilityMeansMoreKills) {
  const availability_metrics lo = availability_chain(make(4, 0.3, 0.05)).steady_metrics();
  const availability_metrics hi = availability_chain(make(4, 0.3, 0.2)).steady_metrics();
  EXPECT_GT(hi.oom_kills_per_hour, lo.oom_kills_per_hour);
  EXPECT_LT(hi.serving_fraction, lo.serving_fraction);
  EXPECT_GT(hi.prob_all_down, lo.prob_all_down);
}

TEST(AvailabilityTest, InvalidInputsNameTheParameter) {
  expect_invalid([] { availability_chain c(make(0, 0.1, 0.1)); }, "workers");
  expect_invalid([] { availability_chain c(make(availability_max_workers + 1, 0.1, 0.0)); }, "workers");
  expect_invalid([] { availability_chain c(make(2, -0.1, 0.1)); }, "rebuild_rate");
  expect_invalid([] { availability_chain c(make(2, std::nan(""), 0.1)); }, "rebuild_rate");
  expect_invalid(
      [] {
        availability_params p = make(2, 0.1, 0.1);
        p.mean_rebuild = 0.0;
        availability_chain c(p);
      },
      "mean_rebuild");
  expect_invalid(
      [] {
        availability_params p = make(2, 0.1, 0.1);
        p.respawn_delay = -1.0;
        availability_chain c(p);
      },
      "respawn_delay");
  expect_invalid(
      [] {
        availability_params p = make(2, 0.1, 0.1);
        p.restart_build = std::numeric_limits<double>::infinity();
        availability_chain c(p);
      },
      "restart_build");
  expect_invalid(
      [] {
        availability_params p = make(2, 0.1, 0.1);
        p.p_oom.pop_back();
        availability_chain c(p);
      },
      "p_oom");
  expect_invalid(
      [] {
        availability_params p = make(2, 0.1, 0.1);
        p.p_oom[1] = 1.5;
        availability_chain c(p);
      },
      "p_oom[1]");
  const availability_chain chain(make(2, 0.1, 0.1));
  expect_invalid([&] { (void)chain.index_of({1, 1, 1, 0}); }, "workers");
  expect_invalid([&] { (void)chain.transient(chain.point_mass({2, 0, 0, 0}), -1.0); }, "t = ");
  expect_invalid([&] { (void)chain.transient(chain.point_mass({2, 0, 0, 0}), 1.0, 0.0); }, "tolerance");
  expect_invalid([&] { (void)chain.transient(Eigen::VectorXd::Zero(3), 1.0); }, "initial");
  expect_invalid([&] { (void)chain.transient(Eigen::VectorXd::Zero(10), 1.0); }, "initial");
  expect_invalid([&] { (void)chain.metrics(Eigen::VectorXd::Zero(3)); }, "distribution");
}

}  // namespace
}  // namespace gwsim::analytic
