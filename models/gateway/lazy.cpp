// APISIX's radixtree router: each worker keeps the whole configuration in
// memory (an etcd watch delivers every change to it) and rebuilds its whole
// router when the first request after a change finds the configuration
// version moved on. The build runs in that request's path on the worker's
// event loop: no database pages, but every request behind it waits, and the
// old router and cache are garbage for the collector.

#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class lazy final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "lazy"; }
  strategy_traits traits() const noexcept override {
    return {build_site::worker, build_trigger::first_request, release_rule::garbage, false, "radix"};
  }

  build_plan plan(const worker_router_state& /*worker*/, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    build_plan p = full_build_plan(store, s, cost);
    // The routes are already in the worker: one pass over all of them
    // instead of database pages.
    p.db_pages = 1;
    p.page_routes = store.routes();
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_lazy() { return std::make_unique<lazy>(); }

}  // namespace gwsim::gateway
