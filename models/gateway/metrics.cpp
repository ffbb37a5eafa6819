#include "models/gateway/metrics.hpp"

namespace gwsim::gateway {

void metrics::completed(double latency_s) {
  ++completed_;
  latency_.add(latency_s);
  latency_sum_ += latency_s;
}

void metrics::log(sim::time_ns t, const char* kind, int node, int worker, double value) {
  events_.time_s.push_back(sim::to_seconds(t));
  events_.kind.emplace_back(kind);
  events_.node.push_back(node);
  events_.worker.push_back(worker);
  events_.value.push_back(value);
}

void metrics::fill(summary& out) const {
  out.requests = requests_;
  out.completed = completed_;
  out.errors = errors_;
  out.error_rate = requests_ == 0 ? 0.0 : static_cast<double>(errors_) / static_cast<double>(requests_);
  if (completed_ > 0) {
    out.latency_p50_s = latency_.quantile(0.5);
    out.latency_p99_s = latency_.quantile(0.99);
    out.latency_p999_s = latency_.quantile(0.999);
    out.latency_max_s = latency_.max();
    out.latency_mean_s = latency_sum_ / static_cast<double>(completed_);
  }
  out.rebuilds = rebuilds_;
  out.rebuild_cpu_s = rebuild_cpu_s_;
  out.gc_cpu_s = gc_cpu_s_;
  out.gc_cycles = gc_cycles_;
  out.oom_kills = oom_kills_;
  out.worker_restarts = restarts_;
  out.admin_writes = admin_writes_;
  out.max_staleness_s = max_staleness_s_;
  out.stale_matches = stale_matches_;
  out.cache_hits = cache_hits_;
  out.not_found = not_found_;
  out.cache_misses = cache_misses_;
}

}  // namespace gwsim::gateway
