// A new process generation (nginx / HAProxy reload): the master reads and
// builds the whole configuration, forks a fresh set of workers with the new
// router (cold match caches; copy-on-write pages become private as soon as
// the collector marks them, so each worker holds its own copy) and tells the
// old workers to stop accepting. Old workers exit when their last request is
// answered and their long-lived connections have closed, or at
// design.worker_shutdown_timeout_s: with long connections, generations stack
// up in the pod's memory.

#include <memory>

#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

class reload final : public rebuild_strategy {
 public:
  std::string_view name() const noexcept override { return "reload"; }
  strategy_traits traits() const noexcept override {
    return {build_site::generation, build_trigger::consistency, release_rule::process_exit, true};
  }

  build_plan plan(const worker_router_state& /*master*/, const config_store& store, const scenario& s,
                  const cost_model& cost) const override {
    build_plan p = full_build_plan(store, s, cost);
    p.garbage_bytes = 0;  // the master's old cycle is freed with its pool
    return p;
  }
};

}  // namespace

std::unique_ptr<rebuild_strategy> make_reload() { return std::make_unique<reload>(); }

}  // namespace gwsim::gateway
