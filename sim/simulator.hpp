#pragma once
/// The discrete-event simulator: a clock, a pending-event set and dispatch.
///
/// Components schedule events on it and are called back when they fire:
///
///     sim.schedule_in(service_time, [this] { depart(); });
///     sim.schedule_at<&server::depart>(t, this);
///
/// Events are dispatched in (time, sequence number) order, so a run is a
/// deterministic function of its inputs. Cancellable, reschedulable events
/// are `sim::timer`s (sim/timer.hpp). The pending-event set is a template
/// parameter so that alternatives can be benchmarked against each other
/// (bench/sim/); `simulator` uses the ladder queue, the fastest we measured.

#include <cstdint>
#include <sstream>
#include <stdexcept>

#include "sim/callback.hpp"
#include "sim/event.hpp"
#include "sim/ladder_queue.hpp"
#include "sim/seq_set.hpp"
#include "sim/time.hpp"

namespace gwsim::sim {

template <class Queue>
class basic_timer;

/// Called for every dispatched event, before the handler runs (tracing,
/// determinism checks). Kept as a plain function pointer: one predictable
/// branch per event when unset.
using trace_fn = void (*)(void* context, const event& e);

template <class Queue>
class basic_simulator {
 public:
  using queue_type = Queue;

  basic_simulator() = default;
  basic_simulator(const basic_simulator&) = delete;
  basic_simulator& operator=(const basic_simulator&) = delete;

  time_ns now() const noexcept { return now_; }
  double now_seconds() const noexcept { return to_seconds(now_); }

  /// Schedules `fn(payload)` at absolute time `t` (>= now()); returns the
  /// event's sequence number. Throws std::invalid_argument for a time in the
  /// past or beyond time_max.
  std::uint64_t schedule_at(time_ns t, event_fn fn, void* payload) {
    if (t < now_ || t > time_max) [[unlikely]]
      throw_bad_time(t);
    const std::uint64_t seq = next_seq_++;
    queue_.push(event{t, seq, fn, payload});
    return seq;
  }

  std::uint64_t schedule_in(time_ns delay, event_fn fn, void* payload) {
    if (delay < 0 || delay > time_max - now_) [[unlikely]]
      throw_bad_delay(delay);
    const std::uint64_t seq = next_seq_++;
    queue_.push(event{now_ + delay, seq, fn, payload});
    return seq;
  }

  template <inline_callable F>
  std::uint64_t schedule_at(time_ns t, F f) {
    return schedule_at(t, &call_packed<F>, pack_callable(f));
  }
  template <inline_callable F>
  std::uint64_t schedule_in(time_ns delay, F f) {
    return schedule_in(delay, &call_packed<F>, pack_callable(f));
  }

  template <auto Method, class T>
  std::uint64_t schedule_at(time_ns t, T* object) {
    return schedule_at(t, &call_member<Method, T>, object);
  }
  template <auto Method, class T>
  std::uint64_t schedule_in(time_ns delay, T* object) {
    return schedule_in(delay, &call_member<Method, T>, object);
  }

  /// Dispatches events until none is pending or stop() is called.
  void run() {
    stopped_ = false;
    while (!stopped_ && !queue_.empty()) {
      dispatch(queue_.pop());
    }
  }

  /// Dispatches every event with time <= `end`, then advances the clock to
  /// `end` (unless stop() was called first).
  void run_until(time_ns end) {
    if (end < now_) [[unlikely]]
      throw_bad_time(end);
    stopped_ = false;
    while (!stopped_ && !queue_.empty() && queue_.top().time <= end) {
      dispatch(queue_.pop());
    }
    if (!stopped_) now_ = end;
  }

  /// Dispatches the next live event; returns false if none is pending.
  bool step() {
    while (!queue_.empty()) {
      const event e = queue_.pop();
      if (!cancelled_.empty() && cancelled_.erase(e.seq)) continue;
      fire(e);
      return true;
    }
    return false;
  }

  /// Makes run()/run_until() return after the event being dispatched.
  void stop() noexcept { stopped_ = true; }

  /// Live (not cancelled) pending events.
  std::size_t pending() const noexcept { return queue_.size() - cancelled_.size(); }
  std::uint64_t events_dispatched() const noexcept { return dispatched_; }
  /// Entries in the pending-event set, cancelled ones not yet purged
  /// included (a diagnostic of the cancellation overhead).
  std::size_t queued() const noexcept { return queue_.size(); }

  void set_trace(trace_fn fn, void* context) noexcept {
    trace_ = fn;
    trace_context_ = context;
  }

  /// Drops every pending event and resets the clock to zero.
  void reset() {
    queue_.clear();
    cancelled_.clear();
    now_ = 0;
    next_seq_ = 1;
    dispatched_ = 0;
    stopped_ = false;
  }

 private:
  friend class basic_timer<Queue>;

  void dispatch(const event& e) {
    // Cancelled events stay in the queue until they surface (O(1) cancel);
    // the common case of nothing cancelled costs one branch.
    if (!cancelled_.empty() && cancelled_.erase(e.seq)) [[unlikely]]
      return;
    fire(e);
  }

  void fire(const event& e) {
    now_ = e.time;
    ++dispatched_;
    if (trace_ != nullptr) [[unlikely]]
      trace_(trace_context_, e);
    e.fn(e.payload);
  }

  /// Precondition: event `seq` is pending (timers know whether theirs is).
  void cancel_pending(std::uint64_t seq) {
    cancelled_.insert(seq);
    // Bound the memory of cancelled-but-queued events: purge them once they
    // outnumber the live ones (amortised O(1) per cancel).
    if (cancelled_.size() > 4096 && cancelled_.size() * 2 > queue_.size()) {
      queue_.erase_if([this](const event& e) { return cancelled_.contains(e.seq); });
      cancelled_.clear();
    }
  }

  [[noreturn]] void throw_bad_time(time_ns t) const {
    std::ostringstream msg;
    msg << "schedule time = " << t << " ns is invalid: must be in [now = " << now_ << " ns, " << time_max << " ns]";
    throw std::invalid_argument(msg.str());
  }
  [[noreturn]] void throw_bad_delay(time_ns d) const {
    std::ostringstream msg;
    msg << "schedule delay = " << d << " ns is invalid: must be in [0, " << (time_max - now_) << "] ns at now = " << now_
        << " ns";
    throw std::invalid_argument(msg.str());
  }

  Queue queue_;
  seq_set cancelled_;
  time_ns now_ = 0;
  std::uint64_t next_seq_ = 1;  // 0 is never a valid sequence number
  std::uint64_t dispatched_ = 0;
  bool stopped_ = false;
  trace_fn trace_ = nullptr;
  void* trace_context_ = nullptr;
};

using simulator = basic_simulator<ladder_queue>;

}  // namespace gwsim::sim
