#include "models/queueing/rebuild_server.hpp"

#include <cmath>
#include <deque>
#include <sstream>
#include <stdexcept>

#include "sim/online_stats.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"
#include "sim/timer.hpp"

namespace gwsim::queueing {
namespace {

void validate(const rebuild_server_config& c) {
  auto bad = [](const char* field, double v, const char* range) {
    std::ostringstream msg;
    msg << "rebuild_server_config." << field << " = " << v << " is invalid: must be " << range;
    throw std::invalid_argument(msg.str());
  };
  if (!std::isfinite(c.lambda) || c.lambda <= 0.0) bad("lambda", c.lambda, "finite and > 0 (per second)");
  if (c.policy != rebuild_policy::when_idle) {
    if (c.arrivals == rebuild_arrivals::poisson && (!std::isfinite(c.rebuild_rate) || c.rebuild_rate <= 0.0)) {
      bad("rebuild_rate", c.rebuild_rate, "finite and > 0 (per second)");
    }
    if (c.arrivals == rebuild_arrivals::periodic && (!std::isfinite(c.rebuild_period_s) || c.rebuild_period_s <= 0.0)) {
      bad("rebuild_period_s", c.rebuild_period_s, "finite and > 0 (s)");
    }
  } else if (!(c.rebuild.mean() > 0.0)) {
    // Zero-length vacations would loop forever at one instant.
    bad("rebuild.mean()", c.rebuild.mean(), "> 0 when rebuilds are taken when idle");
  }
  if (!std::isfinite(c.warmup_s) || c.warmup_s < 0.0) bad("warmup_s", c.warmup_s, "finite and >= 0 (s)");
  if (!std::isfinite(c.run_length_s) || c.run_length_s <= 0.0) bad("run_length_s", c.run_length_s, "finite and > 0 (s)");
}

/// The worker: a three-state machine (idle, serving a request, rebuilding)
/// driven by request arrivals, rebuild arrivals and one completion timer.
class worker {
 public:
  worker(sim::simulator& sim, const sim::random_streams& streams, const rebuild_server_config& config)
      : sim_(sim),
        config_(config),
        request_arrivals_(config.lambda),
        arrivals_rng_(streams.stream("requests")),
        service_rng_(streams.stream("service")),
        rebuild_arrivals_rng_(streams.stream("rebuild_arrivals")),
        rebuild_rng_(streams.stream("rebuild")),
        done_(sim, [this] { on_done(); }) {}

  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void start() {
    schedule_request();
    if (config_.policy != rebuild_policy::when_idle) schedule_rebuild();
    dispatch();
  }

  void reset_stats() {
    account();
    wait_.reset();
    sojourn_.reset();
    rebuilds_ = 0;
    rebuild_time_ = request_time_ = 0;
  }

  void finish() { account(); }

  const sim::online_stats& wait() const noexcept { return wait_; }
  const sim::online_stats& sojourn() const noexcept { return sojourn_; }
  std::uint64_t rebuilds() const noexcept { return rebuilds_; }
  sim::time_ns rebuild_time() const noexcept { return rebuild_time_; }
  sim::time_ns request_time() const noexcept { return request_time_; }

 private:
  enum class state { idle, serving, rebuilding };
  struct request {
    sim::time_ns arrival = 0;
    sim::time_ns remaining = 0;  ///< service still owed (preemptive-resume)
  };

  void schedule_request() {
    sim_.schedule_in(sim::from_seconds(request_arrivals_(arrivals_rng_), "interarrival"), [this] { on_request(); });
  }

  void schedule_rebuild() {
    const double gap = config_.arrivals == rebuild_arrivals::poisson
                           ? sim::exponential(config_.rebuild_rate)(rebuild_arrivals_rng_)
                           : config_.rebuild_period_s;
    sim_.schedule_in(sim::from_seconds(gap, "rebuild interarrival"), [this] { on_rebuild_due(); });
  }

  void on_request() {
    schedule_request();
    queue_.push_back(sim_.now());
    if (state_ == state::idle) dispatch();
  }

  void on_rebuild_due() {
    schedule_rebuild();
    ++pending_rebuilds_;
    if (state_ == state::idle) {
      dispatch();
    } else if (state_ == state::serving && config_.policy == rebuild_policy::preemptive) {
      account();
      current_.remaining = done_.expiry() - sim_.now();
      done_.cancel();
      preempted_ = true;
      state_ = state::idle;
      dispatch();
    }
  }

  void on_done() {
    account();
    if (state_ == state::serving) {
      sojourn_.add(sim::to_seconds(sim_.now() - current_.arrival));
    }
    state_ = state::idle;
    dispatch();
  }

  /// The server is free: choose its next job.
  void dispatch() {
    account();
    if (pending_rebuilds_ > 0) {
      --pending_rebuilds_;
      start_rebuild();
    } else if (preempted_) {
      preempted_ = false;
      state_ = state::serving;
      done_.arm_in(current_.remaining);
    } else if (!queue_.empty()) {
      current_.arrival = queue_.front();
      queue_.pop_front();
      wait_.add(sim::to_seconds(sim_.now() - current_.arrival));
      state_ = state::serving;
      done_.arm_in(sim::from_seconds(config_.service(service_rng_), "service time"));
    } else if (config_.policy == rebuild_policy::when_idle) {
      start_rebuild();
    } else {
      state_ = state::idle;
    }
  }

  void start_rebuild() {
    ++rebuilds_;
    state_ = state::rebuilding;
    done_.arm_in(sim::from_seconds(config_.rebuild(rebuild_rng_), "rebuild duration"));
  }

  /// Charges the time since the last call to the current state.
  void account() {
    const sim::time_ns now = sim_.now();
    if (state_ == state::serving) request_time_ += now - last_;
    if (state_ == state::rebuilding) rebuild_time_ += now - last_;
    last_ = now;
  }

  sim::simulator& sim_;
  const rebuild_server_config& config_;
  sim::exponential request_arrivals_;
  sim::rng arrivals_rng_;
  sim::rng service_rng_;
  sim::rng rebuild_arrivals_rng_;
  sim::rng rebuild_rng_;
  sim::timer done_;
  std::deque<sim::time_ns> queue_;
  request current_;
  bool preempted_ = false;
  std::uint64_t pending_rebuilds_ = 0;
  state state_ = state::idle;
  sim::time_ns last_ = 0;
  sim::online_stats wait_;
  sim::online_stats sojourn_;
  std::uint64_t rebuilds_ = 0;
  sim::time_ns rebuild_time_ = 0;
  sim::time_ns request_time_ = 0;
};

}  // namespace

rebuild_replication_result run_rebuild_replication(const rebuild_server_config& config, std::uint64_t seed) {
  validate(config);
  sim::simulator sim;
  sim::random_streams streams(seed);
  worker w(sim, streams, config);
  w.start();
  sim.run_until(sim::from_seconds(config.warmup_s, "warmup_s"));
  w.reset_stats();
  const sim::time_ns start = sim.now();
  sim.run_until(start + sim::from_seconds(config.run_length_s, "run_length_s"));
  w.finish();
  const double measured = sim::to_seconds(sim.now() - start);

  rebuild_replication_result r;
  r.measures["mean_wait"] = w.wait().mean();
  r.measures["mean_sojourn"] = w.sojourn().mean();
  r.measures["requests"] = static_cast<double>(w.sojourn().count());
  r.measures["rebuilds"] = static_cast<double>(w.rebuilds());
  r.measures["rebuild_fraction"] = sim::to_seconds(w.rebuild_time()) / measured;
  r.measures["request_fraction"] = sim::to_seconds(w.request_time()) / measured;
  r.events = sim.events_dispatched();
  return r;
}

rebuild_experiment_result run_rebuild_experiment(const rebuild_server_config& config, std::size_t replications,
                                                 std::uint64_t base_seed, double level) {
  if (replications < 2) {
    throw std::invalid_argument("replications = " + std::to_string(replications) +
                                " is invalid: a confidence interval needs >= 2");
  }
  rebuild_experiment_result out;
  sim::replication_summary summary;
  for (std::size_t k = 0; k < replications; ++k) {
    rebuild_replication_result r = run_rebuild_replication(config, sim::replication_seed(base_seed, k));
    for (const auto& [name, value] : r.measures) summary.add(name, value);
    out.events += r.events;
    out.replications.push_back(std::move(r));
  }
  for (const std::string& name : summary.metrics()) out.measures[name] = summary.interval(name, level);
  return out;
}

}  // namespace gwsim::queueing
