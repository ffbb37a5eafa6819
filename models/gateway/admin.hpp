#pragma once
/// The Admin API workload: scripted operations at given times (batches of
/// back-to-back writes), Poisson single writes, and continuous loops (create
/// service, create route, list services, delete route, delete service,
/// repeat). Writes go through node 0, whose workers hear of them by worker
/// events; the other nodes find them by polling the database.

#include <cstddef>
#include <memory>
#include <vector>

#include "models/gateway/context.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {

class node;

class admin {
 public:
  admin(context& ctx, std::vector<std::unique_ptr<node>>& nodes);
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;
  void start();

 private:
  struct loop_state {
    admin* owner;
    admin_loop loop;
    std::size_t step = 0;
    void next();
  };
  struct script_state {
    admin* owner;
    admin_op op;
    void run() { owner->write(op.kind, op.count); }
  };

  void write(admin_kind kind, int count);
  void poisson_write();

  context& ctx_;
  std::vector<std::unique_ptr<node>>& nodes_;
  sim::rng rng_;
  sim::rng entities_rng_;  ///< which route or service a write touches
  std::vector<std::unique_ptr<script_state>> script_;
  std::vector<std::unique_ptr<loop_state>> loops_;
  sim::timer poisson_;
};

}  // namespace gwsim::gateway
