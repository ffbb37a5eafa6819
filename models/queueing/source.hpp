#pragma once
/// An open arrival process: inter-arrival times from any distribution
/// (exponential for Poisson arrivals), customers handed to one sink.

#include <string>

#include "models/queueing/customer.hpp"
#include "sim/distributions.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace gwsim::queueing {

class source {
 public:
  source(sim::simulator& sim, const sim::random_streams& streams, const std::string& name,
         sim::distribution interarrival, customer_sink& target)
      : sim_(sim), rng_(streams.stream(name)), interarrival_(std::move(interarrival)), target_(target) {}

  source(const source&) = delete;
  source& operator=(const source&) = delete;

  /// Schedules the first arrival one inter-arrival time from now.
  void start() { schedule_next(); }

 private:
  void schedule_next() {
    sim_.schedule_in(sim::from_seconds(interarrival_(rng_), "inter-arrival time"), [this] { arrive(); });
  }
  void arrive() {
    schedule_next();
    target_.accept(customer{sim_.now(), sim_.now()});
  }

  sim::simulator& sim_;
  sim::rng rng_;
  sim::distribution interarrival_;
  customer_sink& target_;
};

/// The network's exit: measures end-to-end sojourn times.
class network_exit final : public customer_sink {
 public:
  explicit network_exit(sim::simulator& sim) : sim_(sim) {}
  void accept(customer c) override { sojourn_.add(sim::to_seconds(sim_.now() - c.entered_network)); }
  void reset_stats() { sojourn_.reset(); }
  const sim::online_stats& sojourn() const noexcept { return sojourn_; }

 private:
  sim::simulator& sim_;
  sim::online_stats sojourn_;
};

}  // namespace gwsim::queueing
