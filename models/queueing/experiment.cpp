#include "models/queueing/experiment.hpp"

#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "models/queueing/source.hpp"
#include "sim/random.hpp"

namespace gwsim::queueing {
namespace {

void validate(const network_config& c) {
  auto bad = [](const char* field, double v, const char* range) {
    std::ostringstream msg;
    msg << "network_config." << field << " = " << v << " is invalid: must be " << range;
    throw std::invalid_argument(msg.str());
  };
  if (!std::isfinite(c.warmup_s) || c.warmup_s < 0.0) bad("warmup_s", c.warmup_s, "finite and >= 0 (s)");
  if (!std::isfinite(c.run_length_s) || c.run_length_s <= 0.0) bad("run_length_s", c.run_length_s, "finite and > 0 (s)");
  if (c.stations.empty()) throw std::invalid_argument("network_config.stations is empty: need >= 1 station");
}

struct trace_state {
  std::uint64_t hash = 1469598103934665603ull;
  static void on_event(void* self, const sim::event& e) {
    auto* t = static_cast<trace_state*>(self);
    for (std::uint64_t word : {static_cast<std::uint64_t>(e.time), e.seq}) {
      for (int i = 0; i < 8; ++i) {
        t->hash ^= (word >> (8 * i)) & 0xffu;
        t->hash *= 1099511628211ull;
      }
    }
  }
};

}  // namespace

replication_result run_replication(const network_config& config, std::uint64_t seed) {
  validate(config);
  sim::simulator sim;
  sim::random_streams streams(seed);
  trace_state trace;
  if (config.trace_hash) sim.set_trace(&trace_state::on_event, &trace);

  network_exit exit(sim);
  std::vector<std::unique_ptr<station>> stations(config.stations.size());
  for (std::size_t i = stations.size(); i-- > 0;) {
    customer_sink* next = i + 1 < stations.size() ? static_cast<customer_sink*>(stations[i + 1].get()) : &exit;
    stations[i] = std::make_unique<station>(sim, streams, "station" + std::to_string(i), config.stations[i], next,
                                            config.histogram_accuracy);
  }
  source arrivals(sim, streams, "arrivals", config.interarrival, *stations.front());
  arrivals.start();

  sim.run_until(sim::from_seconds(config.warmup_s, "warmup_s"));
  for (auto& s : stations) s->reset_stats();
  exit.reset_stats();
  const sim::time_ns start = sim.now();
  sim.run_until(start + sim::from_seconds(config.run_length_s, "run_length_s"));
  const sim::time_ns end = sim.now();
  const double measured = sim::to_seconds(end - start);

  replication_result r;
  double network_in_system = 0.0;
  for (std::size_t i = 0; i < stations.size(); ++i) {
    const station_stats& st = stations[i]->stats();
    const std::string p = "s" + std::to_string(i) + ".";
    const auto arrivals_n = static_cast<double>(st.arrivals);
    const double accepted = arrivals_n - static_cast<double>(st.blocked);
    const double in_system = st.in_system.mean(end);
    network_in_system += in_system;
    r.measures[p + "arrival_rate"] = arrivals_n / measured;
    r.measures[p + "throughput"] = accepted / measured;
    r.measures[p + "blocking_probability"] = arrivals_n > 0 ? static_cast<double>(st.blocked) / arrivals_n : 0.0;
    r.measures[p + "wait_probability"] = accepted > 0 ? static_cast<double>(st.waited) / accepted : 0.0;
    r.measures[p + "mean_wait"] = st.wait.mean();
    r.measures[p + "mean_sojourn"] = st.sojourn.mean();
    r.measures[p + "p50_sojourn"] = st.sojourn_histogram.quantile(0.50);
    r.measures[p + "p99_sojourn"] = st.sojourn_histogram.quantile(0.99);
    r.measures[p + "mean_in_system"] = in_system;
    r.measures[p + "mean_queue_length"] = st.in_queue.mean(end);
    r.measures[p + "utilisation"] =
        st.busy_servers.mean(end) / static_cast<double>(stations[i]->config().servers);
    // Little's law L = lambda W, with lambda the accepted rate: the two sides
    // are measured independently (time average vs customer average).
    const double little = (accepted / measured) * st.sojourn.mean();
    r.measures[p + "little_relative_error"] = in_system > 0 ? std::abs(in_system - little) / in_system : 0.0;
  }
  r.measures["network.mean_sojourn"] = exit.sojourn().mean();
  r.measures["network.mean_in_system"] = network_in_system;
  r.measures["network.throughput"] = static_cast<double>(exit.sojourn().count()) / measured;
  r.events = sim.events_dispatched();
  r.trace_hash = trace.hash;
  return r;
}

experiment_result run_experiment(const network_config& config, std::size_t replications, std::uint64_t base_seed,
                                 double level, const std::function<void(std::size_t, std::size_t)>& progress) {
  if (replications < 2) {
    throw std::invalid_argument("replications = " + std::to_string(replications) +
                                " is invalid: a confidence interval needs >= 2");
  }
  experiment_result out;
  sim::replication_summary summary;
  for (std::size_t k = 0; k < replications; ++k) {
    replication_result r = run_replication(config, sim::replication_seed(base_seed, k));
    for (const auto& [name, value] : r.measures) summary.add(name, value);
    out.events += r.events;
    out.replications.push_back(std::move(r));
    if (progress) progress(k + 1, replications);
  }
  for (const auto& [name, value] : out.replications.front().measures) {
    (void)value;
    out.measures[name] = summary.interval(name, level);
  }
  return out;
}

}  // namespace gwsim::queueing
