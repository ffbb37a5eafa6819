#include "models/analytic/memory_bounds.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/analytic/checks.hpp"

namespace gwsim::analytic {
using detail::bad;
using detail::require_non_negative;
using detail::require_positive;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
/// LuaJIT's GCSWEEPCOST: sweep work units per object.
constexpr double sweep_units_per_object = 10.0;

void require_in(const char* name, double v, double lo, double hi, const char* range) {
  if (!(v >= lo && v <= hi)) bad(name, v, range);
}

void validate_gc(double pause, double stepmul, double step_bytes, double mean_object_bytes) {
  require_in("gc_pause", pause, 100.0, 1000.0, "in [100, 1000] (percent)");
  require_in("gc_stepmul", stepmul, 100.0, 10000.0, "in [100, 10000] (percent)");
  require_in("gc_step_bytes", step_bytes, 1.0, 1073741824.0, "in [1, 1073741824] (bytes)");
  require_in("gc_mean_object_bytes", mean_object_bytes, 8.0, 1073741824.0, "in [8, 1073741824] (bytes)");
}

/// a / (a + b), 0 when both are 0: the share of `a` in an allocation of a + b.
double share(double a, double b) {
  return a + b > 0.0 ? a / (a + b) : 0.0;
}

/// count x bytes, 0 for no bytes even when the count is unbounded.
double times(double count, double bytes) {
  return bytes > 0.0 ? count * bytes : 0.0;
}

}  // namespace

const char* to_string(rebuild_kind kind) noexcept {
  switch (kind) {
    case rebuild_kind::replace_per_worker:
      return "replace_per_worker";
    case rebuild_kind::in_place_per_worker:
      return "in_place_per_worker";
    case rebuild_kind::shared_table:
      return "shared_table";
    case rebuild_kind::double_buffer:
      return "double_buffer";
    case rebuild_kind::process_generation:
      return "process_generation";
  }
  return "unknown";
}

void validate(const memory_bound_params& p) {
  require_non_negative("routes", p.routes);
  require_non_negative("router_bytes_per_route", p.router_bytes_per_route);
  require_non_negative("build_garbage_per_route_bytes", p.build_garbage_per_route_bytes);
  require_non_negative("build_held_per_route_bytes", p.build_held_per_route_bytes);
  if (p.build_held_per_route_bytes > p.build_garbage_per_route_bytes) {
    bad("build_held_per_route_bytes", p.build_held_per_route_bytes, "<= build_garbage_per_route_bytes");
  }
  require_non_negative("entity_cache_bytes_per_route", p.entity_cache_bytes_per_route);
  require_non_negative("baseline_heap_bytes", p.baseline_heap_bytes);
  require_non_negative("cache_slots", p.cache_slots);
  require_non_negative("cache_slot_bytes", p.cache_slot_bytes);
  require_non_negative("cache_value_bytes", p.cache_value_bytes);
  require_non_negative("request_garbage_bytes", p.request_garbage_bytes);
  require_positive("routes_per_build_step", p.routes_per_build_step);
  require_non_negative("max_routes_added_per_update", p.max_routes_added_per_update);
  validate_gc(p.gc_pause, p.gc_stepmul, p.gc_step_bytes, p.gc_mean_object_bytes);
  require_in("workers", p.workers, 1.0, 1e6, "in [1, 1e6]");
  require_non_negative("non_heap_bytes", p.non_heap_bytes);
  require_non_negative("pod_fixed_bytes", p.pod_fixed_bytes);
  if (!(p.table_versions >= 1.0)) bad("table_versions", p.table_versions, ">= 1 (+inf allowed)");
  if (!(p.generations >= 1.0)) bad("generations", p.generations, ">= 1 (+inf allowed)");
}

double worker_live_bytes(const memory_bound_params& p) {
  return p.baseline_heap_bytes + p.routes * (p.router_bytes_per_route + p.entity_cache_bytes_per_route) +
         p.cache_slots * (p.cache_slot_bytes + p.cache_value_bytes);
}

double gc_peak_heap_bytes(double peak_live, double estimate, double gc_pause, double gc_stepmul, double gc_step_bytes,
                          double gc_mean_object_bytes) {
  require_non_negative("peak_live", peak_live);
  require_non_negative("estimate", estimate);
  validate_gc(gc_pause, gc_stepmul, gc_step_bytes, gc_mean_object_bytes);
  const double s = gc_stepmul / 100.0;
  const double c = sweep_units_per_object / gc_mean_object_bytes;
  /// A sweep paced no faster than allocation can let the total run ahead of
  /// every cycle by more than it frees: no finite bound from pacing alone.
  if (c / s >= 1.0) return inf;
  const double p = gc_pause / 100.0;
  const double mark_run = peak_live / s;  // bytes allocated while marking at most
  const double cycle_start = std::max(
      {p * estimate, estimate + gc_step_bytes, (estimate + (c / s) * mark_run + gc_step_bytes) / (1.0 - c / s)});
  return cycle_start + mark_run + gc_step_bytes;
}

double gc_estimate_bytes(double peak_live, double live_share, double slack, double gc_stepmul) {
  require_non_negative("peak_live", peak_live);
  require_in("live_share", live_share, 0.0, 1.0, "in [0, 1]");
  require_non_negative("slack", slack);
  require_in("gc_stepmul", gc_stepmul, 100.0, 10000.0, "in [100, 10000] (percent)");
  const double mark_run = peak_live / (gc_stepmul / 100.0);
  return peak_live + std::min(mark_run, live_share * mark_run + slack);
}

memory_bound memory_bounds(const memory_bound_params& p, rebuild_kind kind) {
  validate(p);
  memory_bound out;
  const double router = p.routes * p.router_bytes_per_route;
  const double slots = p.cache_slots * p.cache_slot_bytes;
  const double values = p.cache_slots * p.cache_value_bytes;
  const double v = p.cache_value_bytes;
  /// What a build holds until it ends, in all and per build step.
  const double held = p.routes * p.build_held_per_route_bytes;
  const double held_step = p.build_held_per_route_bytes * std::min(p.routes_per_build_step, p.routes);
  /// A request allocates at most one live cache value beside its garbage.
  const double request_share = share(v, p.request_garbage_bytes);
  const double worker_live = worker_live_bytes(p);
  /// A worker that does not hold a router: baseline and its match cache.
  const double bare_live = p.baseline_heap_bytes + slots + values;
  double generations = 1;
  switch (kind) {
    case rebuild_kind::replace_per_worker:
      out.live_bytes = worker_live;
      /// Old and new routers are both live until the build ends, with what
      /// the build holds.
      out.peak_live_bytes = worker_live + router + held;
      /// A build allocates its router, what it holds and a fresh slot array
      /// beside N (b - h) of garbage that dies at once.
      out.live_share = std::max(request_share, share(router + held + slots,
                                                     p.routes * p.build_garbage_per_route_bytes - held));
      if (p.router_after_reads) {
        /// A build is its pages (held chunk, then garbage: a live share
        /// h/b, below the build's) and then its router and slot array, all
        /// live. A window that starts inside a build takes at most
        /// (1 - f)(R + S) more live bytes than the share f allows (its end
        /// is the build's most live part, which f averages with the pages);
        /// one that ends inside a build, at most a page's held chunk; one
        /// cache value.
        out.slack_bytes = (1.0 - out.live_share) * (router + slots) + held_step + v;
      } else {
        /// Each step allocates its share of the router, its held chunk and
        /// its garbage: a step's router and held chunks at either edge of
        /// the window, the slot array allocated at the end of a build whose
        /// garbage came before the window, one cache value.
        out.slack_bytes =
            2.0 * (p.router_bytes_per_route * std::min(p.routes_per_build_step, p.routes) + held_step) + slots + v;
      }
      break;
    case rebuild_kind::in_place_per_worker:
      out.live_bytes = worker_live;
      /// A sharded build holds the routes of the shards it rebuilds.
      out.peak_live_bytes = worker_live + held;
      out.live_share = std::max(request_share, share(p.build_held_per_route_bytes,
                                                     p.router_bytes_per_route + p.build_garbage_per_route_bytes -
                                                         p.build_held_per_route_bytes));
      out.slack_bytes = v + 2.0 * held_step;
      if (p.route_count_changes) {
        /// An added route grows the router by r after r + b of change garbage
        /// (of which a sharded build holds h until it ends).
        out.live_share = std::max(out.live_share, share(p.router_bytes_per_route + p.build_held_per_route_bytes,
                                                        p.router_bytes_per_route + p.build_garbage_per_route_bytes -
                                                            p.build_held_per_route_bytes));
        out.slack_bytes += p.router_bytes_per_route * p.max_routes_added_per_update;
      }
      break;
    case rebuild_kind::shared_table:
    case rebuild_kind::double_buffer:
      out.live_bytes = out.peak_live_bytes = bare_live;
      out.live_share = request_share;
      out.slack_bytes = v;
      out.shared_bytes = times(kind == rebuild_kind::shared_table ? p.table_versions + 1.0 : 2.0, router);
      break;
    case rebuild_kind::process_generation:
      /// A forked worker holds its own copy of router and entity cache; it
      /// never rebuilds, so only requests allocate live bytes.
      out.live_bytes = out.peak_live_bytes = worker_live;
      out.live_share = request_share;
      out.slack_bytes = v;
      out.shared_bytes = 2.0 * router;  // the master's current and next configuration
      generations = p.generations;
      break;
  }
  out.estimate_bytes = gc_estimate_bytes(out.peak_live_bytes, out.live_share, out.slack_bytes, p.gc_stepmul);
  out.worker_heap_bytes = gc_peak_heap_bytes(out.peak_live_bytes, out.estimate_bytes, p.gc_pause, p.gc_stepmul,
                                             p.gc_step_bytes, p.gc_mean_object_bytes);
  const double s = p.gc_stepmul / 100.0;
  out.cycle_start_bytes = out.worker_heap_bytes - out.peak_live_bytes / s - p.gc_step_bytes;
  out.pod_bytes =
      p.pod_fixed_bytes + out.shared_bytes + times(p.workers * generations, p.non_heap_bytes + out.worker_heap_bytes);
  return out;
}

double worker_heap_bound(const memory_bound_params& p, rebuild_kind kind) {
  return memory_bounds(p, kind).worker_heap_bytes;
}

double pod_memory_bound(const memory_bound_params& p, rebuild_kind kind) {
  return memory_bounds(p, kind).pod_bytes;
}

}  // namespace gwsim::analytic
