// One router table per pod (Envoy's RDS, Traefik): a builder off the workers'
// event loops reads the routes once for the whole pod, builds an immutable
// table and swaps a pointer; workers never build. Each request holds the
// table it started on until it is answered, so a version is freed when its
// last such request is done (reference counting, RCU): long requests keep
// old tables alive, and so do long-lived streams (design.long_connection_s,
// node.cpp), which snapshot the table they started on as Envoy's do. The
// table is native memory, not Lua garbage.

#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class shared_rcu final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "shared_rcu"; }
  strategy_traits traits() const noexcept override {
    return {build_site::node, build_trigger::consistency, release_rule::readers_done, true};
  }

  build_plan plan(const worker_router_state& /*table*/, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    build_plan p = full_build_plan(store, s, cost);
    p.garbage_bytes = 0;  // freed explicitly, not collected
    p.cache = cache_policy::flush;
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_shared_rcu() { return std::make_unique<shared_rcu>(); }

}  // namespace gwsim::gateway
