// Networks and the experiment runner: a Jackson tandem against theory,
// determinism (same seed, same event trace), common random numbers across
// designs, and configuration errors.

#include "models/queueing/experiment.hpp"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>

#include "models/analytic/queueing_formulas.hpp"
#include "tests/models/queueing/validation.hpp"

namespace gwsim::queueing::testing {
namespace {

network_config tandem(double lambda, double mu0, double mu1, double run_length_s) {
  network_config c;
  c.interarrival = sim::exponential(lambda);
  c.stations = {station_config{1, 0, sim::exponential(mu0)}, station_config{1, 0, sim::exponential(mu1)}};
  c.run_length_s = run_length_s;
  c.warmup_s = run_length_s / 50;
  return c;
}

TEST(JacksonTandem, EndToEndSojournAndPerStationOccupancy) {
  const double lambda = 1.0;
  const std::array<double, 2> mus{1.6, 2.5};
  auto r = run_experiment(tandem(lambda, mus[0], mus[1], 200'000), replications, 61, level);
  const analytic::tandem_metrics a = analytic::mm1_tandem(lambda, mus);
  expect_matches(r, "network.mean_sojourn", a.mean_sojourn, 0.01);
  expect_matches(r, "network.mean_in_system", a.mean_in_system, 0.01);
  expect_matches(r, "s0.mean_in_system", a.stations[0].mean_in_system, 0.01);
  expect_matches(r, "s1.mean_in_system", a.stations[1].mean_in_system, 0.01);
  // Burke: the departures of an M/M/1 are Poisson, so station 1 sees rate lambda.
  expect_matches(r, "s1.arrival_rate", lambda, 0.01);
  expect_little(r, 2);
}

TEST(Determinism, SameSeedGivesTheSameEventTrace) {
  network_config c = tandem(0.9, 1.0, 1.2, 5'000);
  c.trace_hash = true;
  replication_result a = run_replication(c, 7);
  replication_result b = run_replication(c, 7);
  EXPECT_GT(a.events, 10'000u);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.measures, b.measures);
  replication_result other = run_replication(c, 8);
  EXPECT_NE(a.trace_hash, other.trace_hash);
}

TEST(CommonRandomNumbers, ChangingOneStationLeavesTheOthersDrawsUnchanged) {
  // Station 0 and the arrivals draw from their own named streams, so a new
  // design for station 1 is compared against exactly the same upstream
  // sample path.
  replication_result base = run_replication(tandem(0.8, 1.0, 1.5, 20'000), 5);
  replication_result faster = run_replication(tandem(0.8, 1.0, 4.0, 20'000), 5);
  for (const char* key : {"s0.mean_sojourn", "s0.mean_wait", "s0.p99_sojourn", "s0.arrival_rate", "s1.arrival_rate"}) {
    EXPECT_EQ(base.measures.at(key), faster.measures.at(key)) << key;
  }
  EXPECT_NE(base.measures.at("s1.mean_sojourn"), faster.measures.at("s1.mean_sojourn"));
}

TEST(ExperimentConfig, RejectsInvalidSettingsNamingTheField) {
  network_config c = tandem(1.0, 2.0, 2.0, 100);
  auto expect_error = [](const network_config& cfg, const char* field) {
    try {
      (void)run_replication(cfg, 1);
      ADD_FAILURE() << "expected std::invalid_argument for " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  network_config bad = c;
  bad.run_length_s = 0;
  expect_error(bad, "run_length_s");
  bad = c;
  bad.warmup_s = std::numeric_limits<double>::quiet_NaN();
  expect_error(bad, "warmup_s");
  bad = c;
  bad.stations.clear();
  expect_error(bad, "stations");
  bad = c;
  bad.stations[0].servers = 0;
  expect_error(bad, "servers");
  bad = c;
  bad.stations[1].capacity = 0;
  bad.stations[1].servers = 3;
  bad.stations[1].capacity = 2;
  expect_error(bad, "capacity");
  EXPECT_THROW((void)run_experiment(c, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace gwsim::queueing::testing
