// Kong 2.x's router update: every worker that finds its router stale reads
// every route from the database in pages, builds a whole new router and a new
// match cache, and drops the old ones for the garbage collector.

#include <cmath>
#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class full_rebuild final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "full_rebuild"; }

  build_plan plan(const worker_router_state& /*worker*/, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    return full_build_plan(store, s, cost);
  }
};

}  // namespace

build_plan full_build_plan(const config_store& store, const scenario& s, const cost_model& cost) {
  build_plan p;
  p.db_pages = store.pages();
  p.page_routes = static_cast<double>(store.routes()) / p.db_pages;
  p.finish_cpu_s = cost.finish_cpu_s(store.paths());
  const double paths = store.paths();
  p.last_slice_cpu_s = paths < 2 ? 0.0 : s.cost.prefix_sort_ns_per_path_log * paths * std::log2(paths) * 1e-9;
  p.replace_router = true;
  p.router_bytes = store.routes() * s.memory.router_bytes_per_route;
  p.garbage_bytes = store.routes() * s.memory.build_garbage_per_route_bytes;
  p.held_bytes = store.routes() * s.memory.build_held_per_route_bytes;
  p.cache = cache_policy::new_per_build;
  return p;
}

std::unique_ptr<rebuild_strategy> make_full_rebuild() { return std::make_unique<full_rebuild>(); }

}  // namespace gwsim::gateway
