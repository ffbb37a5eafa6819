// An incremental router: a stale worker reads only the routes changed since
// its version (config_entities: a route write changes one route, a service
// update or delete all of the service's routes, a no-op none) and applies
// them to its live router; the match cache is flushed rather than
// reallocated, and kept when no route changed. A worker without any router (a respawned
// one) still needs a full build.

#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class incremental final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "incremental"; }
  strategy_traits traits() const noexcept override {
    strategy_traits t;
    t.router_design = "incremental";
    return t;
  }

  build_plan plan(const worker_router_state& worker, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    if (!worker.built) return full_build_plan(store, s, cost);
    const int changes = store.changes_between(worker.version, store.version());
    build_plan p;
    p.db_pages = 1;  // the changed entities, one query
    p.page_routes = 0;
    p.finish_cpu_s = cost.incremental_cpu_s(changes, store.paths());
    p.replace_router = false;
    // The live router is resized to the new route count in place; each
    // change also rewrites its route's matcher objects (the old ones die)
    // and leaves the transient garbage of compiling it.
    p.router_bytes = store.routes() * s.memory.router_bytes_per_route;
    p.garbage_bytes =
        changes * (s.memory.router_bytes_per_route + s.memory.build_garbage_per_route_bytes);
    p.cache = changes > 0 ? cache_policy::flush : cache_policy::reuse;
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_incremental() { return std::make_unique<incremental>(); }

}  // namespace gwsim::gateway
