#pragma once
/// Rebuild strategies: how a worker brings a stale router up to date, and
/// what that costs in database pages, CPU and memory. A new router design is
/// one new file implementing `rebuild_strategy` plus one line in the
/// registry (strategy.cpp); the worker model does not change.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/gateway/config_store.hpp"
#include "models/gateway/cost_model.hpp"
#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

/// What happens to the router's match cache when a build completes.
enum class cache_policy {
  new_per_build,  ///< a fresh cache (slot array and values) per build; the old one is garbage (Kong < 2.8)
  flush,          ///< the same cache emptied: its values become garbage, the slot array stays
  reuse,          ///< kept as it is
};

/// The work of one build.
struct build_plan {
  int db_pages = 0;             ///< page queries to read the routes
  double page_routes = 0;       ///< routes per page, for the per-page CPU and memory
  double finish_cpu_s = 0;      ///< CPU after the last page (sort, categorise, index)
  double last_slice_cpu_s = 0;  ///< unyieldable CPU at the very end, with the swap (Kong 2.x's prefix sort)
  bool replace_router = true;   ///< a new router replaces the old (released when done)
  double router_bytes = 0;      ///< live router bytes after the build
  double garbage_bytes = 0;     ///< transient garbage allocated over the build
  double held_bytes = 0;        ///< the part of garbage_bytes that stays live until the build ends
  cache_policy cache = cache_policy::new_per_build;
};

/// Where a new router version is built and who holds it.
enum class build_site {
  worker,      ///< every worker builds and holds its own router, in its Lua heap
  node,        ///< one table per pod, built off the workers' event loops and shared by them
  generation,  ///< the master builds, then forks a new generation of workers; the old ones drain
};

/// What starts a build at a worker (build_site::worker only).
enum class build_trigger {
  consistency,    ///< kong.worker_consistency: strict = the first request, under a mutex; eventual = a timer
  first_request,  ///< lazy: the first request that finds the version changed builds it in its own path
};

/// When the memory of the previous router version is given back.
enum class release_rule {
  garbage,       ///< it becomes garbage in the worker's Lua heap; the collector frees it later
  readers_done,  ///< reference counted: freed when the last request that started on it has finished (RCU)
  at_commit,     ///< freed when the next version is committed (double buffer)
  process_exit,  ///< held by the old workers until they have drained and exited (reload)
};

/// How a design updates routers; the worker and node models act on it.
struct strategy_traits {
  build_site site = build_site::worker;
  build_trigger trigger = build_trigger::consistency;
  release_rule release = release_rule::garbage;
  /// Whether a build pages the routes out of the database (Kong) or has
  /// them already (a watch of etcd or a control plane pushing them).
  bool reads_database = true;
  /// The router design whose measured costs (calibration file) this
  /// strategy is charged: traditional, radix, incremental or sharded.
  const char* router_design = "traditional";
};

/// A worker's view when it plans a build.
struct worker_router_state {
  bool built = false;             ///< has any router at all
  std::uint64_t version = 0;      ///< the version its router was built from
};

class rebuild_strategy {
 public:
  virtual ~rebuild_strategy() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual strategy_traits traits() const noexcept { return {}; }
  virtual build_plan plan(const worker_router_state& worker, const config_store& store, const scenario& s,
                          const cost_model& cost) const = 0;
};

/// Registered strategy names, in the order they are documented.
std::vector<std::string> strategy_names();
/// Throws std::invalid_argument naming the unknown strategy and the known ones.
std::unique_ptr<rebuild_strategy> make_strategy(std::string_view name);

/// Kong 2.x: every stale worker rebuilds the whole router from every route.
std::unique_ptr<rebuild_strategy> make_full_rebuild();
/// APISIX: the whole table, rebuilt by the first request that finds the
/// configuration version changed, from data the worker already holds.
std::unique_ptr<rebuild_strategy> make_lazy();
/// Only the changed routes are applied to the live router; the cache is
/// flushed, not reallocated (Kong 3.x-style).
std::unique_ptr<rebuild_strategy> make_incremental();
/// Envoy RDS / Traefik: one immutable table per pod swapped to the workers;
/// a version is freed when its last request is done.
std::unique_ptr<rebuild_strategy> make_shared_rcu();
/// HAProxy prepare/commit: the next version is built beside the active one
/// and the old one is freed at commit.
std::unique_ptr<rebuild_strategy> make_double_buffer();
/// nginx reload: the master builds, a new generation of workers takes over
/// and the old one drains its connections.
std::unique_ptr<rebuild_strategy> make_reload();
/// Envoy SRDS / Istio Sidecar: routes split into design.shards tables by
/// host; a change rebuilds only the shards it touches.
std::unique_ptr<rebuild_strategy> make_sharded();

/// The plan of a full build of every route: all pages, the whole sort and
/// index, a new router and a new match cache (shared by the designs that
/// rebuild everything).
build_plan full_build_plan(const config_store& store, const scenario& s, const cost_model& cost);

}  // namespace gwsim::gateway
