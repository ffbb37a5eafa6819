#pragma once
/// Small callables stored inside an event's 8-byte payload.
///
/// Model code reads best as `sim.schedule_in(dt, [this] { depart(); })`. A
/// lambda that captures one pointer is trivially copyable and pointer-sized,
/// so it can travel inside the event itself: no std::function, no allocation,
/// one indirect call to dispatch.

#include <cstring>
#include <new>
#include <type_traits>

#include "sim/event.hpp"

namespace gwsim::sim {

/// A callable that fits in an event payload: trivially copyable, at most
/// pointer-sized, callable with no arguments. Capture `this` (or one pointer)
/// and keep the state in the component.
template <class F>
concept inline_callable = std::is_trivially_copyable_v<F> && std::is_trivially_destructible_v<F> &&
                          sizeof(F) <= sizeof(void*) && alignof(F) <= alignof(void*) &&
                          std::is_invocable_v<F&>;

template <inline_callable F>
void* pack_callable(const F& f) noexcept {
  void* payload = nullptr;
  std::memcpy(&payload, &f, sizeof(F));
  return payload;
}

template <inline_callable F>
void call_packed(void* payload) {
  alignas(F) unsigned char storage[sizeof(F)];
  std::memcpy(storage, &payload, sizeof(F));
  (*std::launder(reinterpret_cast<F*>(storage)))();
}

/// Dispatches to a member function: `member_fn<&queue::depart, queue>`.
template <auto Method, class T>
void call_member(void* payload) {
  (static_cast<T*>(payload)->*Method)();
}

}  // namespace gwsim::sim
