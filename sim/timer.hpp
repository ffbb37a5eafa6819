#pragma once
/// A cancellable, reschedulable timer owned by a model component.
///
/// Gateway models arm and cancel timers constantly (request timeouts that
/// are cancelled when the response arrives, rebuild timers that are pushed
/// back). A timer knows whether its event is still pending, so cancelling is
/// exact and O(1): the simulator remembers the cancelled sequence number and
/// drops the event when it surfaces, without ever touching the timer again.
/// That also makes it safe to destroy a timer while it is armed.

#include <cstdint>

#include "sim/callback.hpp"
#include "sim/simulator.hpp"

namespace gwsim::sim {

template <class Queue>
class basic_timer {
 public:
  using simulator_type = basic_simulator<Queue>;

  /// `on_fire` is a small lambda, e.g. `[this] { on_timeout(); }`.
  template <inline_callable F>
  basic_timer(simulator_type& sim, F on_fire) noexcept
      : sim_(&sim), fn_(&call_packed<F>), payload_(pack_callable(on_fire)) {}

  basic_timer(simulator_type& sim, event_fn fn, void* payload) noexcept : sim_(&sim), fn_(fn), payload_(payload) {}

  /// The queue holds this timer's address: it cannot be copied or moved.
  basic_timer(const basic_timer&) = delete;
  basic_timer& operator=(const basic_timer&) = delete;

  ~basic_timer() { cancel(); }

  /// Arms the timer for absolute time `t`, replacing any pending expiry.
  /// Throws std::invalid_argument (leaving the timer as it was) for a time
  /// in the past.
  void arm_at(time_ns t) {
    const std::uint64_t seq = sim_->schedule_at(t, &basic_timer::fire, this);
    cancel();
    seq_ = seq;
    expiry_ = t;
    armed_ = true;
  }

  void arm_in(time_ns delay) {
    const std::uint64_t seq = sim_->schedule_in(delay, &basic_timer::fire, this);
    cancel();
    seq_ = seq;
    expiry_ = sim_->now() + delay;
    armed_ = true;
  }

  /// Disarms the timer; returns whether it was armed.
  bool cancel() {
    if (!armed_) return false;
    armed_ = false;
    sim_->cancel_pending(seq_);
    return true;
  }

  bool armed() const noexcept { return armed_; }
  /// Time of the pending expiry. Precondition: armed().
  time_ns expiry() const noexcept { return expiry_; }

 private:
  static void fire(void* self) {
    auto* t = static_cast<basic_timer*>(self);
    t->armed_ = false;
    t->fn_(t->payload_);
  }

  simulator_type* sim_;
  event_fn fn_;
  void* payload_;
  std::uint64_t seq_ = 0;
  time_ns expiry_ = 0;
  bool armed_ = false;
};

using timer = basic_timer<ladder_queue>;

}  // namespace gwsim::sim
