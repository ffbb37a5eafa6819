#include "models/gateway/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "models/analytic/availability.hpp"
#include "models/analytic/lru_hit_ratio.hpp"
#include "models/analytic/memory_bounds.hpp"
#include "models/analytic/rebuild_pauses.hpp"
#include "models/gateway/calibrated_cost.hpp"
#include "models/gateway/config_store.hpp"
#include "models/gateway/memory_bound_inputs.hpp"
#include "models/gateway/regex_scan.hpp"
#include "models/gateway/scenario_io.hpp"
#include "models/gateway/strategy.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace gwsim::gateway {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

double mean_traffic_rate(const traffic_config& t) {
  if (t.mode != arrival_mode::on_off) return t.rate_per_s;
  return (t.rate_per_s * t.on_s + t.off_rate_per_s * t.off_s) / (t.on_s + t.off_s);
}

/// Collector CPU per allocated byte in steady state (see the file comment of
/// analysis.hpp): per cycle the heap allocates G bytes and the collector
/// marks the live bytes L and sweeps L + G. G is the pause's headroom
/// (gc_pause/100 - 1) L plus what is allocated while the cycle runs: the
/// cycle does about 2L + A units of work at gc_stepmul/100 units per
/// allocated byte, so A = 2L / (k - 1) for k = gc_stepmul/100 > 1; and it frees
/// the G bytes. The result does not depend on L.
double gc_cpu_per_byte(const memory_config& m) {
  const double p = m.gc_pause / 100.0;
  const double k = m.gc_stepmul / 100.0;
  const double during = k > 1.0 ? 2.0 / (k - 1.0) : inf;
  const double g = std::max(0.0, p - 1.0) + during;  // in units of L
  if (!std::isfinite(g)) return 0.0;                  // a collector that never finishes a cycle frees nothing
  return ((m.gc_mark_ns_per_byte + m.gc_sweep_ns_per_byte * (1.0 + g)) / g + m.gc_free_ns_per_byte) * 1e-9;
}

/// The run cut where an admin loop starts or stops: in each piece the writes
/// come at a constant rate, periodic from loops (four writes per five steps)
/// or Poisson (admin.poisson_rate_per_s, which makes the piece Poisson).
/// Scripted writes are spread over the run as a Poisson rate of their own.
std::vector<write_phase> write_phases(const scenario& s) {
  const double duration = s.run.duration_s;
  std::vector<double> cuts{0.0, duration};
  auto stop_of = [&](const admin_loop& l) { return l.stop_s > 0 ? std::min(l.stop_s, duration) : duration; };
  for (const admin_loop& l : s.admin.loops) {
    cuts.push_back(std::min(l.start_s, duration));
    cuts.push_back(stop_of(l));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  // A scripted batch is one burst: one rebuild.
  const auto scripted = static_cast<double>(s.admin.script.size());
  const double random = s.admin.poisson_rate_per_s + scripted / duration;
  std::vector<write_phase> phases;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double from = cuts[i];
    const double to = cuts[i + 1];
    if (to <= from) continue;
    double looped = 0;
    for (const admin_loop& l : s.admin.loops) {
      if (l.start_s <= from && stop_of(l) >= to) looped += 0.8 / l.interval_s;
    }
    write_phase ph;
    ph.duration_s = to - from;
    ph.write_rate_per_s = looped + random;
    ph.periodic = s.admin.poisson_rate_per_s == 0.0 && looped > 0;  // rare scripted bursts aside
    ph.poisson = s.admin.poisson_rate_per_s > 0 && looped == 0 && s.admin.script.empty();
    phases.push_back(ph);
  }
  return phases;
}

}  // namespace

worker_workload workload_of(const scenario& s) {
  validate(s);
  const std::unique_ptr<rebuild_strategy> strategy = make_strategy(s.strategy);
  const std::unique_ptr<cost_model> cost = make_cost_model(s, *strategy);
  const traffic_config& t = s.traffic;
  const memory_config& m = s.memory;
  worker_workload w;

  const int workers = s.cluster.nodes * s.cluster.workers_per_node;
  w.request_rate_per_s = mean_traffic_rate(t) / workers;

  // Request CPU: a hit or a miss of the match cache.
  const auto routes = static_cast<std::size_t>(std::max(1, s.routes.routes));
  if (m.lru_slots <= 0) {
    w.cache_hit_ratio = 0;
  } else if (routes <= static_cast<std::size_t>(m.lru_slots) && t.unique_key_fraction == 0) {
    w.cache_hit_ratio = 1;
  } else {
    const std::vector<double> popularity = analytic::zipf_popularity(routes, t.zipf_s);
    w.cache_hit_ratio = analytic::che_lru_hit_ratio(popularity, m.lru_slots, t.unique_key_fraction);
  }
  w.gc_cpu_s_per_byte = gc_cpu_per_byte(m);
  const double c = w.gc_cpu_s_per_byte;
  const double h = w.cache_hit_ratio;
  double s_hit = t.plugin_cpu_s + t.match_hit_cpu_s + c * t.request_garbage_bytes;
  // Kong 2.x's regex scan (regex_scan.hpp): once the regex paths outnumber
  // ngx.re's cache, every miss compiles all of them and evicts as many.
  const double compiles =
      regex_scan_thrashes(strategy->traits(), s) ? static_cast<double>(s.routes.regex_paths) : 0.0;
  double s_miss = t.plugin_cpu_s + t.match_miss_cpu_s + compiles * t.regex_compile_cpu_s +
                        c * (t.request_garbage_bytes + m.lru_value_bytes + compiles * m.regex_object_bytes);
  // Requests aimed at no route (a share f) always miss, search the whole
  // router and leave the match cache alone: h is the hit ratio of the rest.
  const double f = t.no_route_fraction;
  const double s_none = t.plugin_cpu_s + t.match_no_route_cpu_s + compiles * t.regex_compile_cpu_s +
                        c * (t.request_garbage_bytes + compiles * m.regex_object_bytes);
  w.no_route_fraction = f;
  // An upstream served by the workers themselves: each proxied request's
  // leg is CPU on some worker of the pod; it is counted with the request
  // (the pod's total exactly, a worker's share and the variance only
  // approximately).
  if (t.upstream_on_workers) {
    s_hit += t.upstream_cpu_s;
    s_miss += t.upstream_cpu_s;
  }
  w.mean_service_s = (1 - f) * (h * s_hit + (1 - h) * s_miss) + f * s_none;
  const double second = (1 - f) * (h * s_hit * s_hit + (1 - h) * s_miss * s_miss) + f * s_none * s_none;
  w.service_scv = std::max(0.0, second / (w.mean_service_s * w.mean_service_s) - 1.0);

  // One rebuild of a worker that has a router, after one route update.
  sim::simulator sim;
  config_store store(sim, s.database, s.routes, s.design.shards);
  sim::rng rng = sim::random_streams(s.run.seed).stream("analysis");
  store.apply(admin_kind::update_route, rng);
  const build_plan plan = strategy->plan(worker_router_state{true, 0}, store, s, *cost);
  const int pages = std::max(1, plan.db_pages);
  double allocated = plan.garbage_bytes;
  if (plan.replace_router) allocated += plan.router_bytes;
  if (plan.cache == cache_policy::new_per_build) allocated += m.lru_slots * m.lru_slot_bytes;
  const double read = strategy->traits().reads_database ? s.cost.read_ns_per_route * plan.page_routes * 1e-9 : 0.0;
  const double per_route = pages * cost->page_cpu_s(plan.page_routes, s.routes.paths_per_route);
  w.rebuild_cpu_s = pages * read + per_route + plan.finish_cpu_s + plan.last_slice_cpu_s + c * allocated;
  // What does not yield: Router.new whole (Kong < 2.7), or the sorts alone
  // (its loops yield).
  const bool loops_yield = s.kong.build_yield_every > 0 && plan.replace_router;
  const double piece = plan.finish_cpu_s + plan.last_slice_cpu_s + (loops_yield ? 0.0 : per_route);
  w.rebuild_finish_share = w.rebuild_cpu_s > 0 ? piece / w.rebuild_cpu_s : 1.0;

  // Writes and the rebuilds they cause at each worker. A build targets the
  // version current when it starts; writes during it leave the worker stale
  // again, so they are coalesced into the next build.
  const strategy_traits traits = strategy->traits();
  const bool on_loop = traits.site == build_site::worker;
  const bool timer = traits.trigger == build_trigger::consistency &&
                     s.kong.worker_consistency == consistency::eventual;
  w.request_load = w.request_rate_per_s * w.mean_service_s;
  const double db_wait = traits.reads_database ? pages * s.database.page_latency_s : 0.0;
  if (timer) {
    // Requests keep being served between the build's CPU pieces.
    w.rebuild_wall_s = w.request_load < 1 ? db_wait + w.rebuild_cpu_s / (1 - w.request_load) : inf;
  } else {
    // Strict (or lazy): requests wait for the build, which has the CPU.
    w.rebuild_wall_s = db_wait + w.rebuild_cpu_s;
  }
  // What requests wait behind: under strict consistency (and lazy builds)
  // the whole build, database waits included (they wait on the mutex);
  // under eventual consistency only its CPU.
  w.rebuild_pause_s = timer ? w.rebuild_cpu_s : w.rebuild_wall_s;
  w.pause_shares_cpu = timer;
  w.phases = write_phases(s);
  double writes = 0;
  double rebuilds = 0;
  bool periodic_only = true;
  for (write_phase& ph : w.phases) {
    writes += ph.write_rate_per_s * ph.duration_s;
    if (ph.write_rate_per_s > 0 && !ph.periodic) periodic_only = false;
    const double rate = ph.write_rate_per_s;
    if (!on_loop || rate <= 0 || !std::isfinite(w.rebuild_wall_s)) continue;
    const double b_wall = w.rebuild_wall_s;
    double cycle = 0;  // mean time from one build's start to the next's
    if (!timer) {
      // The next build starts as soon as the worker is stale: at the end of
      // this one if a write came meanwhile, else at the next write.
      // The requests parked meanwhile are served first (a busy period of
      // B r / (1 - r)), and one of them triggers the next build.
      const double b_min = w.request_load < 1 ? b_wall / (1 - w.request_load) : inf;
      cycle = ph.periodic ? std::max(b_min, 1.0 / rate) : b_min + std::exp(-rate * b_min) / rate;
    } else {
      // Builds start at timer ticks (period T); ticks during a build are
      // skipped. At the first tick after it (T_b = T ceil(B/T) after its
      // start) the worker rebuilds if any write came since the start, else
      // at the first later tick whose period saw a write.
      const double period = s.kong.worker_state_update_frequency_s;
      const double t_b = period * std::ceil(b_wall / period);
      if (ph.periodic) {
        cycle = std::max(t_b, period * std::ceil(1.0 / (rate * period)));
      } else {
        const double q = -std::expm1(-rate * period);
        cycle = t_b + std::exp(-rate * t_b) * period / q;
      }
    }
    ph.rebuild_rate_per_s = 1.0 / cycle;
    rebuilds += ph.rebuild_rate_per_s * ph.duration_s;
  }
  w.write_rate_per_s = writes / s.run.duration_s;
  w.periodic_writes = writes > 0 && periodic_only;
  w.rebuild_rate_per_s = rebuilds / s.run.duration_s;

  w.rebuild_load = w.rebuild_rate_per_s * w.rebuild_pause_s;
  w.critical_request_rate_per_s = std::max(0.0, 1.0 - w.rebuild_load) / w.mean_service_s;
  w.critical_traffic_rate_per_s = w.critical_request_rate_per_s * workers;
  return w;
}
namespace {

/// The latency formula for one phase of constant write rate.
latency_prediction phase_latency(const scenario& s, const worker_workload& w, const write_phase& ph) {
  latency_prediction p;
  const bool poisson_requests = s.traffic.mode == arrival_mode::poisson && s.traffic.balance == balancing::random;
  const bool timer = s.kong.worker_consistency == consistency::eventual;
  if (ph.rebuild_rate_per_s <= 0 || w.rebuild_cpu_s <= 0) {
    p.formula = "mg1";
    p.exact = poisson_requests;
    p.metrics = analytic::mg1(w.request_rate_per_s, w.mean_service_s, w.service_scv);
  } else if (!w.pause_shares_cpu) {
    p.formula = "blocking_builds";
    p.exact = false;
    p.metrics = analytic::blocking_builds(w.request_rate_per_s, w.mean_service_s, w.service_scv,
                                          ph.rebuild_rate_per_s, w.rebuild_pause_s, 0.0);
  } else if (ph.periodic) {
    p.formula = "periodic_light_load";
    p.exact = false;
    p.metrics = analytic::periodic_light_load(w.request_rate_per_s, w.mean_service_s, w.service_scv,
                                              1.0 / ph.rebuild_rate_per_s, w.rebuild_pause_s, 0.0);
  } else {
    p.formula = "fifo_rebuilds";
    // Exact when the rebuild work reaches the CPU as a Poisson stream of
    // single pieces: writes only Poisson and rarely coalesced, ticks much
    // more frequent than writes, and (nearly) all of the CPU in the finish
    // piece (the page pieces join the queue separately).
    const double period = s.kong.worker_state_update_frequency_s;
    p.exact = s.traffic.upstream_latency_s == 0 && !s.traffic.upstream_on_workers && poisson_requests && ph.poisson &&
              ph.write_rate_per_s * w.rebuild_wall_s < 0.01 &&
              w.rebuild_finish_share > 0.99 &&
              (!timer || ph.write_rate_per_s * period < 0.01);
    p.metrics = analytic::fifo_rebuilds(w.request_rate_per_s, w.mean_service_s, w.service_scv,
                                        ph.rebuild_rate_per_s, w.rebuild_pause_s, 0.0);
  }
  // With an upstream, the response comes back through the event loop after
  // an upstream wait independent of the queue: it waits for the work there
  // at a random moment, about a request's mean wait (PASTA; exact for FIFO
  // when the upstream wait outlasts the queue's memory).
  // Requests aimed at no route are answered 404 from the match, without it.
  // An upstream served by the workers (traffic.upstream_on_workers): its
  // leg waits for the loop of the worker it lands on. Every worker hears
  // every write and builds at about the same moments, so a leg held up by
  // a build lets the response into a loop whose own build is over: the two
  // waits behind builds overlap, and the leg adds the wait behind requests
  // alone (Pollaczek-Khinchine without the rebuild work).
  const double upstream = s.traffic.upstream_latency_s;
  const double response_wait = upstream > 0 ? p.metrics.mean_wait : 0.0;
  double leg_wait = 0;
  if (s.traffic.upstream_on_workers) {
    const analytic::queue_metrics requests_only = analytic::mg1(w.request_rate_per_s, w.mean_service_s, w.service_scv);
    leg_wait = requests_only.stable ? requests_only.mean_wait : inf;
  }
  p.mean_latency_s = p.metrics.stable ? p.metrics.mean_sojourn +
                                            (1 - w.no_route_fraction) * (upstream + leg_wait + response_wait)
                                      : inf;
  return p;
}

}  // namespace

latency_prediction predict_latency(const scenario& s) {
  const worker_workload w = workload_of(s);
  // Requests arrive at a constant mean rate, so the run's mean latency is
  // the duration-weighted mean over the phases.
  latency_prediction out;
  double weighted_wait = 0;
  double weighted_latency = 0;
  double total = 0;
  out.exact = true;
  for (const write_phase& ph : w.phases) {
    const latency_prediction p = phase_latency(s, w, ph);
    if (out.formula.empty()) {
      out.formula = p.formula;
    } else if (out.formula != p.formula && out.formula.find(p.formula) == std::string::npos) {
      out.formula += "+" + p.formula;
    }
    out.exact = out.exact && p.exact;
    if (!p.metrics.stable) {
      out.metrics = p.metrics;
      out.mean_latency_s = inf;
      return out;
    }
    weighted_wait += p.metrics.mean_wait * ph.duration_s;
    weighted_latency += p.mean_latency_s * ph.duration_s;
    total += ph.duration_s;
  }
  out.metrics.utilisation = w.request_load + w.rebuild_load;
  out.metrics.throughput = w.request_rate_per_s;
  out.metrics.mean_wait = weighted_wait / total;
  out.metrics.mean_sojourn = out.metrics.mean_wait + w.mean_service_s;
  out.metrics.mean_queue_length = w.request_rate_per_s * out.metrics.mean_wait;
  out.metrics.mean_in_system = w.request_rate_per_s * out.metrics.mean_sojourn;
  out.mean_latency_s = weighted_latency / total;
  return out;
}

memory_prediction predict_memory(const scenario& s) {
  const analytic::memory_bound_params p = memory_bound_inputs(s);
  const analytic::memory_bound b = memory_bounds_of(s);
  memory_prediction out;
  out.quiet_live_bytes = b.live_bytes;
  out.worker_heap_bound_bytes = b.worker_heap_bytes;
  out.quiet_heap_bound_bytes = analytic::worker_heap_bound(p, analytic::rebuild_kind::in_place_per_worker);
  out.pod_bound_bytes = b.pod_bytes;
  out.pod_limit_bytes = s.cluster.pod_memory_limit_bytes;
  // A quiet worker's heap saws between its live set L and the collector's
  // threshold (gc_pause% of it): on average about L (1 + pause/100) / 2, and
  // never above the quiet bound. A rebuilding worker may add the difference
  // between its design's bound and the quiet bound.
  const int workers = s.cluster.workers_per_node;
  out.typical_quiet_heap_bytes =
      std::min(out.quiet_heap_bound_bytes, out.quiet_live_bytes * (1.0 + s.memory.gc_pause / 100.0) / 2.0);
  out.rebuild_extra_bytes = std::max(0.0, out.worker_heap_bound_bytes - out.quiet_heap_bound_bytes);
  out.typical_quiet_pod_bytes =
      p.pod_fixed_bytes + b.shared_bytes + workers * (p.non_heap_bytes + out.typical_quiet_heap_bytes);
  // Past ngx.re's cache even a quiet pod's native code has no bound.
  if (regex_native_unbounded(s)) out.typical_quiet_pod_bytes = std::numeric_limits<double>::infinity();
  out.safe_concurrent_rebuilds = workers;
  for (int k = 0; k <= workers; ++k) {
    if (out.typical_quiet_pod_bytes + k * out.rebuild_extra_bytes > out.pod_limit_bytes) {
      out.safe_concurrent_rebuilds = k - 1;  // -1: even a quiet pod is over its limit
      break;
    }
  }
  return out;
}

availability_prediction predict_availability(const scenario& s) {
  const worker_workload w = workload_of(s);
  availability_prediction out;
  const std::unique_ptr<rebuild_strategy> strategy = make_strategy(s.strategy);
  if (strategy->traits().site != build_site::worker) {
    out.applicable = false;
    return out;
  }
  const memory_prediction mem = predict_memory(s);
  const auto workers = static_cast<std::size_t>(s.cluster.workers_per_node);
  if (workers > analytic::availability_max_workers) {
    out.applicable = false;
    return out;
  }
  analytic::availability_params a;
  a.workers = workers;
  a.mean_rebuild = std::max(1e-6, w.rebuild_wall_s);
  a.respawn_delay = std::max(1e-6, s.cluster.respawn_delay_s);
  // A respawned worker builds its whole router (the incremental designs too).
  const std::unique_ptr<cost_model> cost = make_cost_model(s, *strategy);
  const double paths = s.routes.routes * s.routes.paths_per_route;
  const double pages = std::ceil(std::max(1, s.routes.routes) / static_cast<double>(s.database.page_size));
  const double read = strategy->traits().reads_database ? s.cost.read_ns_per_route * s.routes.routes * 1e-9 : 0.0;
  a.restart_build = std::max(1e-6, pages * s.database.page_latency_s + read +
                                       pages * cost->page_cpu_s(s.routes.routes / pages, s.routes.paths_per_route) +
                                       cost->finish_cpu_s(paths));
  a.p_oom.assign(workers, 0.0);
  for (std::size_t k = 1; k <= workers; ++k) {
    a.p_oom[k - 1] = static_cast<int>(k) > mem.safe_concurrent_rebuilds ? 1.0 : 0.0;
  }
  double serving = 0;
  double kills = 0;
  double total = 0;
  for (const write_phase& ph : w.phases) {
    a.rebuild_rate = ph.rebuild_rate_per_s;
    const analytic::availability_metrics m = analytic::availability_chain(a).steady_metrics();
    serving += m.serving_fraction * ph.duration_s;
    kills += m.oom_kills_per_hour * ph.duration_s;
    total += ph.duration_s;
  }
  out.serving_fraction = serving / total;
  out.oom_kills_per_hour = kills / total;
  return out;
}

}  // namespace gwsim::gateway
