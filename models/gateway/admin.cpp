#include "models/gateway/admin.hpp"

#include <cmath>

#include "models/gateway/node.hpp"

namespace gwsim::gateway {

admin::admin(context& ctx, std::vector<std::unique_ptr<node>>& nodes)
    : ctx_(ctx), nodes_(nodes), rng_(ctx.streams.stream("admin")),
      entities_rng_(ctx.streams.stream("admin.entities")),
      poisson_(ctx.sim, [this] { poisson_write(); }) {}

void admin::start() {
  for (const admin_op& op : ctx_.s.admin.script) {
    script_.push_back(std::make_unique<script_state>(script_state{this, op}));
    script_state* st = script_.back().get();
    ctx_.sim.schedule_at(sim::from_seconds(op.at_s, "admin.script.at_s"), [st] { st->run(); });
  }
  for (const admin_loop& l : ctx_.s.admin.loops) {
    loops_.push_back(std::make_unique<loop_state>(loop_state{this, l, 0}));
    loop_state* st = loops_.back().get();
    ctx_.sim.schedule_at(sim::from_seconds(l.start_s, "admin.loops.start_s"), [st] { st->next(); });
  }
  if (ctx_.s.admin.poisson_rate_per_s > 0) {
    poisson_.arm_in(sim::from_seconds(-std::log(sim::uniform_open01(rng_)) / ctx_.s.admin.poisson_rate_per_s,
                                      "admin.poisson_rate_per_s"));
  }
}

void admin::write(admin_kind kind, int count) {
  for (int i = 0; i < count; ++i) {
    ctx_.store.apply(kind, entities_rng_);
    ctx_.stats.admin_write();
    ctx_.stats.log(ctx_.sim.now(), "admin_write", 0, -1, static_cast<double>(ctx_.store.version()));
  }
  nodes_.front()->local_write();
}

void admin::poisson_write() {
  write(admin_kind::update_route, 1);
  poisson_.arm_in(sim::from_seconds(-std::log(sim::uniform_open01(rng_)) / ctx_.s.admin.poisson_rate_per_s,
                                    "admin.poisson_rate_per_s"));
}

void admin::loop_state::next() {
  context& ctx = owner->ctx_;
  if (loop.stop_s > 0 && ctx.sim.now_seconds() >= loop.stop_s) return;
  // The loop of the incident: four writes and one read per round.
  switch (step % 5) {
    case 0:
      owner->write(admin_kind::create_service, 1);
      break;
    case 1:
      owner->write(admin_kind::create_route, 1);
      break;
    case 2:
      ctx.store.query(ctx.store.page_latency_s(), ctx.store.page_cpu_s(), [] {});  // list services
      break;
    case 3:
      owner->write(admin_kind::delete_route, 1);
      break;
    case 4:
      owner->write(admin_kind::delete_service, 1);
      break;
  }
  ++step;
  loop_state* self = this;
  ctx.sim.schedule_in(sim::from_seconds(loop.interval_s, "admin.loops.interval_s"), [self] { self->next(); });
}

}  // namespace gwsim::gateway
