#include "models/gateway/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "models/gateway/admin.hpp"
#include "models/gateway/calibrated_cost.hpp"
#include "models/gateway/node.hpp"
#include "models/gateway/scenario_io.hpp"
#include "models/gateway/traffic.hpp"

namespace gwsim::gateway {
namespace {

/// Samples every worker and pod into the time series.
class sampler {
 public:
  sampler(context& ctx, std::vector<std::unique_ptr<node>>& nodes, timeseries& out)
      : ctx_(ctx), nodes_(nodes), out_(out), timer_(ctx.sim, [this] { sample(); }) {}
  void start() { timer_.arm_in(period()); }
  void sample() {
    const double t = ctx_.sim.now_seconds();
    for (const auto& n : nodes_) {
      for (const auto& w : n->workers()) {
        if (w->exited()) continue;  // an old generation after a reload
        worker::window& win = w->current_window();
        row(t, n->index(), w->index(), w->heap_bytes(), w->resident_bytes(), w->gc_phase(), w->rebuilding() ? 1 : 0,
            static_cast<int>(w->queue_length()), win.latency.count() ? win.latency.quantile(0.5) : 0.0,
            win.latency.count() ? win.latency.quantile(0.99) : 0.0, win.errors);
        w->reset_window();
      }
      double heap = 0;
      int rebuilding = n->building() ? 1 : 0, queued = 0;
      for (const auto& w : n->workers()) {
        heap += w->heap_bytes();
        rebuilding += w->rebuilding() ? 1 : 0;
        queued += static_cast<int>(w->queue_length());
      }
      row(t, n->index(), -1, heap, n->pod_resident_bytes(), 0, rebuilding, queued, 0.0, 0.0, 0);
    }
    timer_.arm_in(period());
  }

 private:
  sim::time_ns period() const { return sim::from_seconds(ctx_.s.run.sample_interval_s, "run.sample_interval_s"); }
  void row(double t, int n, int w, double heap, double rss, int phase, int rebuilding, int queue, double p50,
           double p99, std::uint64_t errors) {
    out_.time_s.push_back(t);
    out_.node.push_back(n);
    out_.worker.push_back(w);
    out_.heap_bytes.push_back(heap);
    out_.resident_bytes.push_back(rss);
    out_.gc_phase.push_back(phase);
    out_.rebuilding.push_back(rebuilding);
    out_.queue_length.push_back(queue);
    out_.latency_p50_s.push_back(p50);
    out_.latency_p99_s.push_back(p99);
    out_.errors.push_back(errors);
  }

  context& ctx_;
  std::vector<std::unique_ptr<node>>& nodes_;
  timeseries& out_;
  sim::timer timer_;
};

}  // namespace

result run(const scenario& s, const std::function<void(double)>& progress) {
  validate(s);
  const auto wall_start = std::chrono::steady_clock::now();
  sim::simulator sim;
  config_store store(sim, s.database, s.routes, s.design.shards);
  const std::unique_ptr<rebuild_strategy> strategy = make_strategy(s.strategy);
  const std::unique_ptr<cost_model> cost_ptr = make_cost_model(s, *strategy);
  const cost_model& cost = *cost_ptr;
  metrics stats;
  context ctx{sim, s, sim::random_streams(s.run.seed), store, *strategy, cost, stats, {}};

  result out;
  std::vector<std::unique_ptr<node>> nodes;
  for (int i = 0; i < s.cluster.nodes; ++i) nodes.push_back(std::make_unique<node>(ctx, i));
  for (auto& n : nodes) n->start_polling();
  traffic business(ctx, nodes);
  admin writes(ctx, nodes);
  sampler samples(ctx, nodes, out.series);
  business.start();
  writes.start();
  samples.start();

  const sim::time_ns end = sim::from_seconds(s.run.duration_s, "run.duration_s");
  constexpr int steps = 100;
  for (int k = 1; k <= steps; ++k) {
    sim.run_until(end / steps * k + (k == steps ? end % steps : 0));
    if (progress) progress(static_cast<double>(k) / steps);
  }

  summary& sum = out.totals;
  stats.fill(sum);
  // Counted independently of the arrival and answer counters: the request
  // records still held, so requests = completed + errors + in_flight is a
  // real conservation check.
  sum.in_flight = ctx.requests.in_use();
  for (const auto& n : nodes) {
    sum.peak_pod_memory_bytes = std::max(sum.peak_pod_memory_bytes, n->peak_pod_bytes());
    sum.peak_worker_heap_bytes = std::max(sum.peak_worker_heap_bytes, n->peak_worker_heap_bytes());
  }
  sum.mean_pod_memory_bytes = nodes.front()->mean_pod_bytes(sim.now());
  sum.final_pod_memory_bytes = nodes.front()->pod_resident_bytes();
  sum.db_queries = store.queries();
  sum.db_utilization = store.busy_s() / (store.connections() * s.run.duration_s);
  sum.sim_time_s = sim.now_seconds();
  sum.events = sim.events_dispatched();
  sum.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  out.events = stats.take_events();
  return out;
}

}  // namespace gwsim::gateway
