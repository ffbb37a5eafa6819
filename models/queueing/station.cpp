#include "models/queueing/station.hpp"

#include <stdexcept>
#include <utility>

namespace gwsim::queueing {

station::station(sim::simulator& sim, const sim::random_streams& streams, std::string name, station_config config,
                 customer_sink* next, double histogram_accuracy)
    : sim_(sim),
      name_(std::move(name)),
      config_(std::move(config)),
      service_rng_(streams.stream(name_)),
      next_(next),
      stats_(histogram_accuracy) {
  if (config_.servers == 0) throw std::invalid_argument("station '" + name_ + "': servers = 0 is invalid; must be >= 1");
  if (config_.capacity != 0 && config_.capacity < config_.servers) {
    throw std::invalid_argument("station '" + name_ + "': capacity = " + std::to_string(config_.capacity) +
                                " is invalid; must be 0 (unlimited) or >= servers = " +
                                std::to_string(config_.servers));
  }
  servers_.assign(config_.servers, server{this, customer{}});
  for (std::size_t i = config_.servers; i-- > 0;) idle_.push_back(i);
  reset_stats();
}

void station::reset_stats() {
  stats_.arrivals = stats_.blocked = stats_.waited = 0;
  stats_.wait.reset();
  stats_.sojourn.reset();
  stats_.sojourn_histogram.clear();
  const sim::time_ns now = sim_.now();
  stats_.in_system = sim::time_weighted(now, static_cast<double>(in_system()));
  stats_.in_queue = sim::time_weighted(now, static_cast<double>(waiting_.size()));
  stats_.busy_servers = sim::time_weighted(now, static_cast<double>(busy_));
}

void station::record_occupancy() {
  const sim::time_ns now = sim_.now();
  stats_.in_system.update(now, static_cast<double>(in_system()));
  stats_.in_queue.update(now, static_cast<double>(waiting_.size()));
  stats_.busy_servers.update(now, static_cast<double>(busy_));
}

void station::accept(customer c) {
  ++stats_.arrivals;
  if (config_.capacity != 0 && in_system() >= config_.capacity) {
    ++stats_.blocked;
    return;
  }
  c.entered_station = sim_.now();
  if (idle_.empty()) {
    ++stats_.waited;
    waiting_.push_back(c);
  } else {
    server& s = servers_[idle_.back()];
    idle_.pop_back();
    start_service(s, c);
  }
  record_occupancy();
}

void station::start_service(server& s, customer c) {
  ++busy_;
  s.current = c;
  stats_.wait.add(sim::to_seconds(sim_.now() - c.entered_station));
  const double service = config_.service(service_rng_);
  sim_.schedule_in(sim::from_seconds(service, "service time"), [srv = &s] { srv->owner->depart(*srv); });
}

void station::depart(server& s) {
  --busy_;
  const customer done = s.current;
  const double sojourn = sim::to_seconds(sim_.now() - done.entered_station);
  stats_.sojourn.add(sojourn);
  stats_.sojourn_histogram.add(sojourn);
  if (waiting_.empty()) {
    idle_.push_back(static_cast<std::size_t>(&s - servers_.data()));
  } else {
    start_service(s, waiting_.pop_front());
  }
  record_occupancy();
  if (next_ != nullptr) next_->accept(done);
}

}  // namespace gwsim::queueing
