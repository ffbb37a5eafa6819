#include "models/gateway/memory_bound_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/gateway/regex_scan.hpp"
#include "models/gateway/strategy.hpp"
#include "models/memory/gc_heap.hpp"

namespace gwsim::gateway {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// Operations a loop performs between its start and its end (or the end of
/// the run); four of every five are writes, one is a create_route.
double loop_steps(const admin_loop& l, double duration_s) {
  const double end = l.stop_s > 0 ? std::min(l.stop_s, duration_s) : duration_s;
  if (end < l.start_s) return 0.0;
  return std::floor((end - l.start_s) / l.interval_s) + 1.0;
}

}  // namespace

bool regex_native_unbounded(const scenario& s) {
  return regex_scan_thrashes(make_strategy(s.strategy)->traits(), s) && s.memory.regex_native_bytes > 0;
}

analytic::rebuild_kind rebuild_kind_of(std::string_view strategy) {
  using analytic::rebuild_kind;
  if (strategy == "full_rebuild" || strategy == "lazy") return rebuild_kind::replace_per_worker;
  if (strategy == "incremental" || strategy == "sharded") return rebuild_kind::in_place_per_worker;
  if (strategy == "shared_rcu") return rebuild_kind::shared_table;
  if (strategy == "double_buffer") return rebuild_kind::double_buffer;
  if (strategy == "reload") return rebuild_kind::process_generation;
  throw std::invalid_argument("strategy = \"" + std::string(strategy) +
                              "\" is invalid: must be a strategy with a memory bound (full_rebuild, lazy, "
                              "incremental, sharded, shared_rcu, double_buffer, reload)");
}

analytic::memory_bound_params memory_bound_inputs(const scenario& s) {
  validate(s);
  const memory_config& m = s.memory;
  analytic::memory_bound_params p;
  /// ngx.re's compiled patterns (regex_scan.hpp), for the designs that match
  /// with Kong 2.x's traditional router: while the cache holds every regex
  /// path, live data of a fixed size (past it, see regex_native_unbounded).
  const strategy_traits design = make_strategy(s.strategy)->traits();
  const bool scans_regexes = scans_regex_paths(design, s);
  const double cached_patterns =
      scans_regexes ? std::min<double>(s.routes.regex_paths, s.kong.regex_cache_entries) : 0.0;

  double creates = 0;  // routes the workload may add, all of them at once at worst
  double writes = 0;
  double removed = 0;  // routes the workload may delete, at worst
  bool count_changes = false;
  /// A service delete takes its routes; created services hold none.
  const double routes_per_service =
      s.routes.services > 0 ? std::ceil(static_cast<double>(s.routes.routes) / s.routes.services) : 0.0;
  for (const admin_op& op : s.admin.script) {
    writes += op.count;
    if (op.kind == admin_kind::create_route) creates += op.count;
    if (op.kind == admin_kind::delete_route) removed += op.count;
    if (op.kind == admin_kind::delete_service) removed += op.count * std::max(1.0, routes_per_service);
    if (op.kind == admin_kind::create_route || op.kind == admin_kind::delete_route ||
        op.kind == admin_kind::delete_service) {
      count_changes = true;
    }
  }
  for (const admin_loop& l : s.admin.loops) {
    const double steps = loop_steps(l, s.run.duration_s);
    if (steps <= 0) continue;
    /// A loop deletes the route it created before creating the next: one
    /// extra route at a time per loop.
    creates += 1;
    writes += steps;
    removed += steps * std::max(1.0, routes_per_service);
    count_changes = true;
  }
  if (s.admin.poisson_rate_per_s > 0) writes = inf;  // update_route: no count change

  p.routes = s.routes.routes + creates;
  p.router_bytes_per_route = m.router_bytes_per_route;
  p.build_garbage_per_route_bytes = m.build_garbage_per_route_bytes;
  /// The incremental design reads only the changed routes; sharded holds those of the shards it rebuilds.
  p.build_held_per_route_bytes = m.build_held_per_route_bytes;
  p.entity_cache_bytes_per_route = m.entity_cache_bytes_per_route;
  p.baseline_heap_bytes = m.baseline_heap_bytes + cached_patterns * m.regex_object_bytes;
  p.cache_slots = m.lru_slots;
  p.cache_slot_bytes = m.lru_slot_bytes;
  p.cache_value_bytes = m.lru_value_bytes;
  /// Past the cache, a miss also drops every pattern's Lua objects (counted
  /// against every request: a bound).
  p.request_garbage_bytes = s.traffic.request_garbage_bytes +
                            (regex_scan_thrashes(design, s) ? s.routes.regex_paths * m.regex_object_bytes : 0.0);
  /// A lazy build allocates the whole router in one step (no pages).
  p.routes_per_build_step = s.strategy == "lazy" ? std::max(1.0, p.routes) : s.database.page_size;
  /// A build that reads the database builds its router after the last page
  /// (the worker model's run_build_finish); one from memory as it goes.
  p.router_after_reads = design.reads_database;
  p.route_count_changes = count_changes;
  p.max_routes_added_per_update = creates;
  p.gc_pause = m.gc_pause;
  p.gc_stepmul = m.gc_stepmul;
  /// The worker model keeps LuaJIT's step size (gc_heap.hpp's default): the
  /// scenario does not set it.
  const memory::gc_params defaults;
  p.gc_step_bytes = defaults.step_size_bytes;
  p.gc_mean_object_bytes = m.gc_mean_object_bytes;
  p.workers = s.cluster.workers_per_node;
  p.non_heap_bytes = m.non_heap_bytes + cached_patterns * m.regex_native_bytes;
  p.pod_fixed_bytes = s.cluster.master_memory_bytes + s.cluster.mem_cache_dicts * s.cluster.mem_cache_size_bytes +
                      s.cluster.fixed_zones_bytes;
  p.table_versions = 1.0 + writes;
  p.generations = 1.0 + writes;
  if (s.strategy == "reload" && s.design.worker_shutdown_timeout_s > 0 && s.database.page_latency_s > 0) {
    /// The master builds one version at a time, each reading every page in
    /// sequence: generations start at least pages x page latency apart, and
    /// an old one is gone worker_shutdown_timeout after the next starts.
    const double fewest = std::max(0.0, s.routes.routes - removed);
    const double pages = std::max(1.0, std::ceil(fewest / s.database.page_size));
    const double apart = pages * s.database.page_latency_s;
    p.generations = std::min(p.generations, 2.0 + std::floor(s.design.worker_shutdown_timeout_s / apart));
  }
  return p;
}

analytic::memory_bound memory_bounds_of(const scenario& s) {
  analytic::memory_bound b = analytic::memory_bounds(memory_bound_inputs(s), rebuild_kind_of(s.strategy));
  if (regex_native_unbounded(s)) b.pod_bytes = inf;
  return b;
}

}  // namespace gwsim::gateway
