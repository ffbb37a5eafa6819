#pragma once
/// A scenario seen through the closed forms of models/analytic: the one
/// place that turns a Scenario into queueing inputs (per-worker request and
/// rebuild load) and picks the formula that describes the worker, so that
/// `gwsim analyze` can print predictions next to a simulation of the same
/// scenario.
///
/// The worker, as the simulator models it (worker.cpp), is one FIFO CPU
/// queue: requests and the CPU pieces of a rebuild (one per database page,
/// then the sort-and-index "finish") join it at the back; waiting for the
/// upstream or the database is off the CPU. The derivation of each input:
///  - requests per worker: traffic.rate_per_s (on_off: its time average)
///    over nodes x workers_per_node. With balance = random the per-worker
///    stream is Poisson (a random split of a Poisson stream); round_robin
///    makes it smoother, so the formulas are pessimistic there.
///  - request CPU S: plugin_cpu_s + a match that hits the LRU cache with
///    probability h (Che's approximation for lru_slots slots under Zipf
///    traffic.zipf_s popularity over the routes; it ignores that every
///    rebuild empties the cache) + the collector's CPU for the request's
///    garbage. A share traffic.no_route_fraction of the requests is aimed
///    at no route: always a miss that searches the whole router
///    (match_no_route_cpu_s), leaving the cache and h to the others. S takes
///    three values (hit, miss, no route), which gives its variance.
///  - collector CPU per allocated byte: in steady state a cycle starts when
///    the heap reaches gc_pause% of the live bytes L left by the previous
///    one, so (gc_pause/100 - 1) L bytes are allocated per cycle, during which
///    the collector marks L and sweeps L plus that garbage:
///      c = (mark L + sweep (L + G)) / G,  G = (gc_pause/100 - 1) L.
///    (gc_stepmul sets how the work is spread, not its total.)
///  - rebuild CPU D: the pages' CPU + the finish CPU of the strategy's
///    build plan from the scenario's cost model, plus the collector's CPU for
///    the bytes the build allocates. Deterministic (scv 0).
///  - rebuild wall time B: the page queries' latency (pages x
///    database.page_latency_s, no contention) plus D, stretched to
///    D / (1 - r) under eventual consistency, where requests run between the
///    build's CPU pieces (under strict consistency they wait for it).
///  - rebuilds per worker v = 1 / (mean time between build starts), with
///    writes at w/s (admin.poisson_rate_per_s, the loops' four writes per
///    five steps, the script averaged over the run). A build targets the
///    version current at its start, so writes during a build are coalesced
///    into one next build. Strict: the requests parked during a build are
///    served first (a busy period: B_min = B / (1 - r) from start to the end
///    of the backlog), then the next build starts as soon as the worker is
///    stale: cycle = B_min + exp(-w B_min) / w for Poisson writes,
///    max(B_min, 1/w) for periodic ones. Eventual (timer period T, ticks during a build
///    skipped): with T_b = T ceil(B / T), cycle = T_b + exp(-w T_b) T /
///    (1 - exp(-w T)) for Poisson writes, max(T_b, T ceil(1/(w T))) for
///    periodic ones. Designs that build off the event loop (shared_rcu,
///    double_buffer, reload) put no rebuild load on the worker.
///  - phases: admin loops start and stop, so the run is cut into phases of
///    constant write rate; rates and latencies are computed per phase and
///    the run's values are their duration-weighted means. Scripted writes
///    count as one burst each (a batch is coalesced into one rebuild), spread
///    over the run as a Poisson rate.
///  - the pause a request waits behind: under strict consistency (and lazy
///    builds) requests wait on the build's mutex for all of B, database
///    waits included; under eventual consistency only for the CPU pieces D.
///  - formula (per phase): no rebuilds -> M/G/1 (Pollaczek-Khinchine);
///    strict or lazy builds -> (f) blocking_builds with pause B (light-load
///    approximation); eventual with Poisson writes -> (e) fifo_rebuilds (M/G/1
///    on the merged stream), exact when the rebuild work reaches the CPU as a
///    Poisson stream (writes only Poisson, rarely coalesced, T much shorter
///    than the time between writes); eventual with loop writes -> (d)
///    periodic_light_load, an approximation.
/// Mean latency adds the upstream's mean to the sojourn (requests aimed at
/// a route only: the others are answered 404 from the match).
///  - an upstream served by the workers themselves
///    (traffic.upstream_on_workers, the testbed's stub): the legs' CPU is
///    counted with the proxied requests (exact for the pod's total; which
///    worker serves a leg depends on who accepted its connection, which the
///    forms leave out), so each such request's service counts its leg's
///    upstream_cpu_s, and its latency the leg's wait. Every worker
///    builds at about the same moments (each hears every write), so a leg
///    held up by a build releases the response into a loop whose own build
///    is over: the leg adds the wait behind requests alone (M/G/1 without
///    the rebuild work), the wait behind builds being the response's
///    already. An approximation, never exact.

#include <string>
#include <vector>

#include "models/analytic/queueing_formulas.hpp"
#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

/// A stretch of the run with a constant write rate (admin loops start and
/// stop; scripted and Poisson writes are spread over the whole run).
struct write_phase {
  double duration_s = 0;
  double write_rate_per_s = 0;
  bool periodic = false;          ///< loop writes (and perhaps rare scripted bursts), no Poisson writes
  bool poisson = false;           ///< only Poisson writes (admin.poisson_rate_per_s)
  double rebuild_rate_per_s = 0;  ///< v in this phase
};

/// The queueing inputs of one worker. Every worker is taken to have a core
/// of its own (cluster.cpu_cores = 0 or >= workers_per_node) and builds not
/// to slow each other (cluster.build_contention = 0); otherwise the
/// simulation shares the cores and these forms are optimistic.
struct worker_workload {
  double request_rate_per_s = 0;  ///< lambda
  double cache_hit_ratio = 0;     ///< h (Che), of the requests aimed at a route
  double no_route_fraction = 0;   ///< f, requests aimed at no route (always a miss, no upstream)
  double gc_cpu_s_per_byte = 0;   ///< c
  double mean_service_s = 0;      ///< E[S]
  double service_scv = 0;         ///< Var[S] / E[S]^2
  double write_rate_per_s = 0;    ///< w, admin writes per second, run average (all reach every worker)
  bool periodic_writes = false;   ///< writes come from admin loops only
  double rebuild_rate_per_s = 0;  ///< v, run average
  std::vector<write_phase> phases;
  double rebuild_cpu_s = 0;       ///< E[D]
  double rebuild_finish_share = 1;  ///< share of D in the pieces that do not yield (the rest: smaller pieces)
  double rebuild_wall_s = 0;      ///< B: first page query to swap (database waits included)
  double rebuild_pause_s = 0;     ///< what a request waits behind: B (strict, lazy) or D (eventual)
  bool pause_shares_cpu = true;   ///< builds queue FIFO with requests (eventual) or block them (strict, lazy)
  double request_load = 0;        ///< r = lambda E[S]
  double rebuild_load = 0;        ///< r_d = v x rebuild_pause_s
  /// Per-worker request rate at which r + r_d reaches 1, and the same for
  /// the whole cluster (traffic.rate_per_s): above it the worker is unstable.
  double critical_request_rate_per_s = 0;
  double critical_traffic_rate_per_s = 0;
};

/// The inputs of `s`'s workers (validated first: scenario_error on bad input).
worker_workload workload_of(const scenario& s);

/// The predicted request latency of one worker.
struct latency_prediction {
  std::string formula;  ///< "fifo_rebuilds", "periodic_light_load" or "mg1"
  bool exact = false;   ///< whether the formula is exact for this input (see the file comment)
  analytic::queue_metrics metrics;  ///< mean wait and sojourn on the CPU; unstable -> infinite
  double mean_latency_s = 0;        ///< sojourn + upstream mean + the response's wait for the loop (infinite when unstable)
};

latency_prediction predict_latency(const scenario& s);

/// Memory: the closed-form bounds of the scenario's strategy
/// (memory_bound_inputs.hpp, papers/memory-bounds.md).
struct memory_prediction {
  double quiet_live_bytes = 0;       ///< L: a worker's live heap when quiet
  double worker_heap_bound_bytes = 0;  ///< H: no worker's heap exceeds it (while nobody is OOM-killed)
  double quiet_heap_bound_bytes = 0;   ///< the same for a worker that is not rebuilding
  double pod_bound_bytes = 0;          ///< no pod's resident memory exceeds it
  double pod_limit_bytes = 0;
  /// A quiet worker's typical heap: its live set L times (1 + gc_pause/100)/2
  /// (the heap saws between L and the collector's threshold), at most the
  /// quiet bound; and the pod made of such workers.
  double typical_quiet_heap_bytes = 0;
  double typical_quiet_pod_bytes = 0;
  /// What a rebuilding worker may add: its design's bound minus the quiet bound.
  double rebuild_extra_bytes = 0;
  /// Workers of a typical quiet pod that may rebuild at once before the pod
  /// can exceed its limit: workers per node when no number of them can, -1
  /// when even the quiet pod is over the limit.
  int safe_concurrent_rebuilds = 0;
};

memory_prediction predict_memory(const scenario& s);

/// Availability: the pod as a continuous-time Markov chain of its workers
/// (models/analytic/availability.hpp): rebuild triggers at the workload's
/// rebuild rate, rebuilds lasting the build's wall time, an OOM kill when a
/// rebuild ends while more workers rebuild than safe_concurrent_rebuilds
/// allows (typical quiet workers plus the bound's rebuild increment per
/// rebuilding worker: pessimistic where the bound is loose, e.g. 739 kills
/// an hour against about 310 simulated for the Kong 2.x incident), respawn after
/// cluster.respawn_delay_s, a full build before serving again. Solved per
/// write phase and averaged over the run.
struct availability_prediction {
  double serving_fraction = 1;    ///< mean share of a pod's workers serving
  double oom_kills_per_hour = 0;  ///< per pod
  bool applicable = true;         ///< false for designs whose workers do not rebuild (shared tables, reload)
};

availability_prediction predict_availability(const scenario& s);

}  // namespace gwsim::gateway
