#pragma once
/// One worker that serves FIFO requests and also runs router rebuilds: the
/// simulated counterpart of models/analytic/rebuild_pauses.hpp.
///
/// Requests arrive Poisson at `lambda` with service times `service`. Rebuild
/// durations come from `rebuild`. How rebuilds reach the server:
///   - when_idle: multiple vacations; whenever the server finds no request
///     waiting it starts a rebuild, and rebuilds again if the queue is still
///     empty when it ends (the server is never idle);
///   - preemptive: rebuilds arrive (Poisson at `rebuild_rate`, or one every
///     `rebuild_period_s`) and preempt the request in service, which resumes
///     where it stopped once no rebuild is pending;
///   - nonpreemptive: rebuilds arrive the same way but wait for the request
///     in service; pending rebuilds go before any waiting request.
/// Rebuilds are FIFO among themselves. "wait" is arrival to the first start
/// of service; "sojourn" is arrival to departure.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/distributions.hpp"
#include "sim/replications.hpp"

namespace gwsim::queueing {

enum class rebuild_policy { when_idle, preemptive, nonpreemptive };
enum class rebuild_arrivals { poisson, periodic };

struct rebuild_server_config {
  double lambda = 0.5;  ///< request arrival rate, per second
  sim::distribution service = sim::exponential(1.0);
  rebuild_policy policy = rebuild_policy::nonpreemptive;
  rebuild_arrivals arrivals = rebuild_arrivals::poisson;  ///< ignored by when_idle
  double rebuild_rate = 0.1;       ///< Poisson rebuilds per second
  double rebuild_period_s = 10.0;  ///< periodic rebuilds: one due every period (first at one period)
  sim::distribution rebuild = sim::exponential(1.0);  ///< rebuild duration D
  double warmup_s = 1'000.0;
  double run_length_s = 100'000.0;
};

/// Measures by name: "mean_wait", "mean_sojourn", "requests" (completed in
/// the window), "rebuilds" (started), "rebuild_fraction" (time rebuilding),
/// "request_fraction" (time serving requests). Times in seconds.
struct rebuild_replication_result {
  std::map<std::string, double> measures;
  std::uint64_t events = 0;
};

/// Throws std::invalid_argument naming the field for an invalid config.
rebuild_replication_result run_rebuild_replication(const rebuild_server_config& config, std::uint64_t seed);

struct rebuild_experiment_result {
  std::map<std::string, sim::confidence_interval> measures;
  std::vector<rebuild_replication_result> replications;
  std::uint64_t events = 0;
};

rebuild_experiment_result run_rebuild_experiment(const rebuild_server_config& config, std::size_t replications,
                                                 std::uint64_t base_seed, double level = 0.99);

}  // namespace gwsim::queueing
