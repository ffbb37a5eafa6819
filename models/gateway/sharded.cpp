// Scoped tables (Envoy's SRDS, Istio's Sidecar scoping): each worker's routes
// are split by host into design.shards tables. A stale worker reads the
// change log since its version; the shards holding the routes that changed
// (config_entities: all routes of a service share its host, so its shard)
// are rebuilt: their routes are read, sorted and indexed, the old shards
// become garbage and the match cache is flushed. A write that changed no
// route (a no-op, a new service) rebuilds nothing. A worker without a
// router builds every shard.

#include <cmath>
#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class sharded final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "sharded"; }
  strategy_traits traits() const noexcept override {
    strategy_traits t;
    t.router_design = "sharded";
    return t;
  }

  build_plan plan(const worker_router_state& worker, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    if (!worker.built) return full_build_plan(store, s, cost);
    const config_store::shard_delta delta = store.shards_changed_between(worker.version, store.version());
    build_plan p;
    p.db_pages = std::max(1, static_cast<int>(std::ceil(static_cast<double>(delta.routes) / store.page_size())));
    p.page_routes = static_cast<double>(delta.routes) / p.db_pages;
    // Each touched shard is a full build of its routes.
    p.finish_cpu_s = 0;
    if (delta.shards > 0) {
      const double per_shard_paths = static_cast<double>(delta.routes) / delta.shards * s.routes.paths_per_route;
      p.finish_cpu_s = delta.shards * cost.finish_cpu_s(per_shard_paths);
    }
    p.replace_router = false;
    p.router_bytes = store.routes() * s.memory.router_bytes_per_route;
    // The touched shards are rebuilt beside the old ones, which then die.
    p.garbage_bytes = delta.routes * (s.memory.router_bytes_per_route + s.memory.build_garbage_per_route_bytes);
    p.held_bytes = delta.routes * s.memory.build_held_per_route_bytes;  // the touched shards' routes, read
    p.cache = delta.shards > 0 ? cache_policy::flush : cache_policy::reuse;
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_sharded() { return std::make_unique<sharded>(); }

}  // namespace gwsim::gateway
