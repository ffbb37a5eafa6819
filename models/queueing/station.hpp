#pragma once
/// A service station: `servers` identical servers, a FIFO waiting room and
/// an optional capacity (customers in the system, waiting plus in service;
/// arrivals that find it full are blocked and lost). With exponential service
/// it is M/M/c, M/M/1/K or M/M/c/c; with any `sim::distribution`, M/G/c.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/queueing/customer.hpp"
#include "sim/distributions.hpp"
#include "sim/log_histogram.hpp"
#include "sim/online_stats.hpp"
#include "sim/random.hpp"
#include "sim/ring_buffer.hpp"
#include "sim/simulator.hpp"
#include "sim/time_weighted.hpp"

namespace gwsim::queueing {

struct station_config {
  std::size_t servers = 1;
  /// Maximum customers in the system; 0 means unlimited.
  std::size_t capacity = 0;
  sim::distribution service = sim::exponential(1.0);
};

/// What a station measures, from the last reset_stats() on. Times in seconds.
struct station_stats {
  explicit station_stats(double histogram_accuracy) : sojourn_histogram(histogram_accuracy) {}
  std::uint64_t arrivals = 0;
  std::uint64_t blocked = 0;
  std::uint64_t waited = 0;  ///< accepted arrivals that found every server busy
  sim::online_stats wait;
  sim::online_stats sojourn;
  sim::log_histogram sojourn_histogram;
  sim::time_weighted in_system;
  sim::time_weighted in_queue;
  sim::time_weighted busy_servers;
};

class station final : public customer_sink {
 public:
  /// Service times come from the stream named `name` (common random numbers:
  /// changing another station never changes this one's draws).
  station(sim::simulator& sim, const sim::random_streams& streams, std::string name, station_config config,
          customer_sink* next, double histogram_accuracy = 0.001);

  station(const station&) = delete;
  station& operator=(const station&) = delete;

  void accept(customer c) override;

  /// Starts measuring afresh at the current time (end of warm-up).
  void reset_stats();
  const station_stats& stats() const noexcept { return stats_; }
  const station_config& config() const noexcept { return config_; }
  const std::string& name() const noexcept { return name_; }
  std::size_t in_system() const noexcept { return waiting_.size() + busy_; }

 private:
  struct server {
    station* owner;
    customer current;
  };

  void start_service(server& s, customer c);
  void depart(server& s);
  void record_occupancy();

  sim::simulator& sim_;
  std::string name_;
  station_config config_;
  sim::rng service_rng_;
  customer_sink* next_;
  std::vector<server> servers_;
  std::vector<std::size_t> idle_;  ///< indices of idle servers
  std::size_t busy_ = 0;
  sim::ring_buffer<customer> waiting_;
  station_stats stats_;
};

}  // namespace gwsim::queueing
