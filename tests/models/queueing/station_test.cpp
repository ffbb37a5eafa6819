// Single stations against queueing theory: M/M/1, M/M/c (Erlang C), M/G/1
// (Pollaczek-Khinchine), M/M/1/K and M/M/c/c (Erlang B). Every estimate is
// from 30 replications; the exact value must lie in the 99% confidence
// interval and the estimate within 1% of it (3% at load 0.9).

#include "models/queueing/station.hpp"

#include <gtest/gtest.h>

#include "models/analytic/queueing_formulas.hpp"
#include "tests/models/queueing/validation.hpp"

namespace gwsim::queueing::testing {
namespace {

network_config single(double lambda, station_config s, double run_length_s, double warmup_s) {
  network_config c;
  c.interarrival = sim::exponential(lambda);
  c.stations = {std::move(s)};
  c.run_length_s = run_length_s;
  c.warmup_s = warmup_s;
  return c;
}

struct mm1_case {
  double load;
  double rel_tol;
  double run_length_s;
};

class MM1 : public ::testing::TestWithParam<mm1_case> {};

TEST_P(MM1, SojournQueueLengthAndP99MatchTheory) {
  const auto [load, tol, run] = GetParam();
  const double mu = 1.0;
  const double lambda = load * mu;
  auto r = run_experiment(single(lambda, {1, 0, sim::exponential(mu)}, run, run / 50), replications, 11, level);
  const analytic::queue_metrics a = analytic::mm1(lambda, mu);
  expect_matches(r, "s0.mean_sojourn", a.mean_sojourn, tol);
  expect_matches(r, "s0.mean_in_system", a.mean_in_system, tol);
  expect_matches(r, "s0.mean_queue_length", a.mean_queue_length, tol);
  expect_matches(r, "s0.p99_sojourn", analytic::mm1_sojourn_quantile(lambda, mu, 0.99), tol);
  expect_little(r, 1);
}

INSTANTIATE_TEST_SUITE_P(Loads, MM1,
                         ::testing::Values(mm1_case{0.5, 0.01, 400'000}, mm1_case{0.8, 0.01, 1'500'000},
                                           mm1_case{0.9, 0.03, 800'000}),
                         [](const auto& param_info) { return "load" + std::to_string(int(param_info.param.load * 100)); });

class MMc : public ::testing::TestWithParam<std::size_t> {};

TEST_P(MMc, ErlangCWaitProbabilityAndMeanWait) {
  const std::size_t c = GetParam();
  const double mu = 1.0;
  const double lambda = 0.8 * mu * static_cast<double>(c);
  const double run = c == 4 ? 600'000 : 150'000;
  auto r = run_experiment(single(lambda, {c, 0, sim::exponential(mu)}, run, run / 50), replications, 21, level);
  const analytic::queue_metrics a = analytic::mmc(lambda, mu, c);
  expect_matches(r, "s0.wait_probability", a.wait_probability, 0.01);
  expect_matches(r, "s0.mean_wait", a.mean_wait, 0.01);
  expect_matches(r, "s0.utilisation", a.utilisation, 0.01);
  expect_little(r, 1);
}

INSTANTIATE_TEST_SUITE_P(Servers, MMc, ::testing::Values(4, 16),
                         [](const auto& param_info) { return "c" + std::to_string(param_info.param); });

struct mg1_case {
  const char* name;
  double scv;
  double run_length_s;
};

class MG1 : public ::testing::TestWithParam<mg1_case> {};

TEST_P(MG1, PollaczekKhinchineMeanWait) {
  const auto [name, scv, run] = GetParam();
  const double mean_service = 1.0;
  const double lambda = 0.7;
  sim::distribution service = scv == 0.0   ? sim::distribution(sim::deterministic(mean_service))
                              : scv == 1.0 ? sim::distribution(sim::exponential(1.0 / mean_service))
                                           : sim::distribution(sim::hyperexponential::with_mean_scv(mean_service, scv));
  ASSERT_NEAR(service.scv(), scv, 1e-12) << name;
  auto r = run_experiment(single(lambda, {1, 0, service}, run, run / 50), replications, 31, level);
  const analytic::queue_metrics a = analytic::mg1(lambda, mean_service, scv);
  expect_matches(r, "s0.mean_wait", a.mean_wait, 0.01);
  expect_matches(r, "s0.mean_sojourn", a.mean_sojourn, 0.01);
  expect_little(r, 1);
}

INSTANTIATE_TEST_SUITE_P(ServiceVariability, MG1,
                         ::testing::Values(mg1_case{"MD1", 0.0, 300'000}, mg1_case{"MM1", 1.0, 400'000},
                                           mg1_case{"MH2_scv4", 4.0, 1'200'000}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(MM1K, BlockingAndOccupancyMatchTheory) {
  for (double load : {0.9, 1.5}) {
    const double mu = 1.0;
    const std::size_t k = 5;
    auto r = run_experiment(single(load * mu, {1, k, sim::exponential(mu)}, 100'000, 2'000), replications, 44, level);
    const analytic::queue_metrics a = analytic::mm1k(load * mu, mu, k);
    SCOPED_TRACE("load " + std::to_string(load));
    expect_matches(r, "s0.blocking_probability", a.blocking_probability, 0.01);
    expect_matches(r, "s0.mean_in_system", a.mean_in_system, 0.01);
    expect_matches(r, "s0.throughput", a.throughput, 0.01);
    expect_little(r, 1);
  }
}

TEST(ErlangB, LossSystemBlocking) {
  const double mu = 1.0;
  const std::size_t c = 10;
  const double erlangs = 8.0;
  auto r = run_experiment(single(erlangs * mu, {c, c, sim::exponential(mu)}, 100'000, 2'000), replications, 51, level);
  const analytic::queue_metrics a = analytic::mmcc(erlangs * mu, mu, c);
  expect_matches(r, "s0.blocking_probability", a.blocking_probability, 0.01);
  expect_matches(r, "s0.mean_in_system", a.mean_in_system, 0.01);
  expect_little(r, 1);
}

}  // namespace
}  // namespace gwsim::queueing::testing
