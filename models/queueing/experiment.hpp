#pragma once
/// Runs an open tandem network of stations (one station = a single queue)
/// for independent replications and summarises each measure with a Student-t
/// confidence interval. This is how the kernel is validated against queueing
/// theory and the shape of every gateway experiment to come: plain data in,
/// flat named measures out.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "models/queueing/station.hpp"
#include "sim/replications.hpp"

namespace gwsim::queueing {

struct network_config {
  /// Inter-arrival times (s) of the external arrivals; exponential = Poisson.
  sim::distribution interarrival = sim::exponential(0.5);
  /// Stations in the order customers visit them.
  std::vector<station_config> stations{station_config{}};
  double warmup_s = 1'000.0;     ///< simulated seconds discarded first
  double run_length_s = 100'000.0;  ///< simulated seconds measured after warm-up
  double histogram_accuracy = 0.001;
  bool trace_hash = false;  ///< hash every dispatched event (determinism checks)
};

/// One replication's measures, by name: "s0.mean_sojourn", "network.mean_sojourn", ...
/// (see measure_names()). Times are seconds, rates per second.
struct replication_result {
  std::map<std::string, double> measures;
  std::uint64_t events = 0;
  std::uint64_t trace_hash = 0;  ///< FNV-1a over (time, seq) of every event, if enabled
};

replication_result run_replication(const network_config& config, std::uint64_t seed);

struct experiment_result {
  std::map<std::string, sim::confidence_interval> measures;
  std::vector<replication_result> replications;
  std::uint64_t events = 0;
};

/// Runs `replications` independent replications (seeds derived from
/// `base_seed`); `progress(done, total)` is called after each one.
experiment_result run_experiment(const network_config& config, std::size_t replications, std::uint64_t base_seed,
                                 double level = 0.99,
                                 const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace gwsim::queueing
