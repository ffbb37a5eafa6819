// Scoped tables (Envoy's SRDS, Istio's Sidecar scoping): each worker's routes
// are split by host into design.shards tables of equal size. A change
// rebuilds only the shards holding the changed routes: their pages are read,
// sorted and indexed, the old shards become garbage and the match cache is
// flushed. A worker without a router builds every shard.

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
    const double shards = s.design.shards;
    const int changes = std::max(1, store.changes_between(worker.version, store.version()));
    // Changed routes fall on shards uniformly: the expected number of
    // distinct shards that k changes touch.
    const double touched = shards * (1.0 - std::pow(1.0 - 1.0 / shards, changes));
    const double shard_routes = store.routes() / shards;
    const double rebuilt_routes = touched * shard_routes;
    build_plan p;
    p.db_pages = std::max(1, static_cast<int>(std::ceil(rebuilt_routes / store.page_size())));
    p.page_routes = rebuilt_routes / p.db_pages;
    p.finish_cpu_s = touched * cost.finish_cpu_s(shard_routes * s.routes.paths_per_route);
    p.replace_router = false;
    p.router_bytes = store.routes() * s.memory.router_bytes_per_route;
    // The touched shards are rebuilt beside the old ones, which then die.
    p.garbage_bytes = rebuilt_routes * (s.memory.router_bytes_per_route + s.memory.build_garbage_per_route_bytes);
    p.cache = cache_policy::flush;
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_sharded() { return std::make_unique<sharded>(); }

}  // namespace gwsim::gateway
