// HAProxy's `prepare map` / `commit map`: the pod's next table version is
// built beside the active one (which keeps serving) and made active by an
// atomic commit, which frees the old version at once whatever requests were
// using it. At most two versions exist: memory is bounded by twice the
// table, with no dependence on request lifetimes.

#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class double_buffer final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "double_buffer"; }
  strategy_traits traits() const noexcept override {
    return {build_site::node, build_trigger::consistency, release_rule::at_commit, true};
  }

  build_plan plan(const worker_router_state& /*table*/, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    build_plan p = full_build_plan(store, s, cost);
    p.garbage_bytes = 0;
    p.cache = cache_policy::flush;
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_double_buffer() { return std::make_unique<double_buffer>(); }

}  // namespace gwsim::gateway
