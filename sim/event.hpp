#pragma once
/// The unit of work in the pending-event set.
///
/// An event is 32 bytes and carries everything needed to dispatch it, so the
/// pending-event set never points into a separate event pool: popping an event
/// touches only the queue's own (mostly sequential) memory, which is what keeps
/// large pending sets fast.

#include <cstdint>

#include "sim/time.hpp"

namespace gwsim::sim {

/// A dispatch function: receives the event's 8-byte payload (usually the
/// component `this`, or a small trivially copyable lambda stored inline).
using event_fn = void (*)(void* payload);

struct event {
  time_ns time;        ///< when it fires
  std::uint64_t seq;   ///< tie-breaker: unique, increasing in scheduling order
  event_fn fn;         ///< what it does
  void* payload;       ///< with what
};
static_assert(sizeof(event) == 32);

/// Strict order of the pending-event set: by time, then by scheduling order.
/// Sequence numbers are unique, so no two events compare equal and every run
/// dispatches in exactly one order.
inline constexpr bool event_before(const event& a, const event& b) noexcept {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

/// The same order as a function object, for algorithms (std::sort inlines
/// a function object; through a function pointer it calls every compare).
struct event_order {
  constexpr bool operator()(const event& a, const event& b) const noexcept { return event_before(a, b); }
};

}  // namespace gwsim::sim
