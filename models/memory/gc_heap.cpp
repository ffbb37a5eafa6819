#include "models/memory/gc_heap.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/stats_checks.hpp"

namespace gwsim::memory {

namespace {

/// LuaJIT's GCSWEEPCOST: work units charged per object swept.
constexpr double sweep_units_per_object = 10.0;
/// Larger sizes are a bug in the caller (a petabyte per call), and keeping
/// them out keeps every product of bytes and rates finite.
constexpr double max_bytes = 1e15;

void require_in_range(double value, double lo, double hi, const char* what, const char* allowed) {
  if (!(value >= lo && value <= hi)) sim::detail::throw_invalid_argument(what, value, allowed);
}

void require_bytes(double bytes, const char* what) {
  require_in_range(bytes, 0.0, max_bytes, what, "finite and in [0, 1e15] (bytes)");
}

}  // namespace

void validate(const gc_params& p) {
  require_in_range(p.pause, 100.0, 1000.0, "gc_pause", "in [100, 1000] (percent)");
  require_in_range(p.stepmul, 100.0, 10000.0, "gc_stepmul", "in [100, 10000] (percent)");
  if (!(std::isfinite(p.mark_ns_per_byte) && p.mark_ns_per_byte >= 0.0)) {
    sim::detail::throw_invalid_argument("gc_mark_ns_per_byte", p.mark_ns_per_byte, "finite and >= 0 (ns)");
  }
  if (!(std::isfinite(p.sweep_ns_per_byte) && p.sweep_ns_per_byte >= 0.0)) {
    sim::detail::throw_invalid_argument("gc_sweep_ns_per_byte", p.sweep_ns_per_byte, "finite and >= 0 (ns)");
  }
  if (!(std::isfinite(p.free_ns_per_byte) && p.free_ns_per_byte >= 0.0)) {
    sim::detail::throw_invalid_argument("gc_free_ns_per_byte", p.free_ns_per_byte, "finite and >= 0 (ns)");
  }
  require_in_range(p.step_size_bytes, 1.0, 1073741824.0, "gc_step_size_bytes", "in [1, 1073741824] (bytes)");
  require_in_range(p.mean_object_bytes, 8.0, 1073741824.0, "gc_mean_object_bytes", "in [8, 1073741824] (bytes)");
}

const char* to_string(gc_phase phase) noexcept {
  switch (phase) {
    case gc_phase::pause:
      return "pause";
    case gc_phase::propagate:
      return "propagate";
    case gc_phase::sweep:
      return "sweep";
  }
  return "unknown";
}

gc_heap::gc_heap(gc_params params, double baseline_bytes) : params_(params) {
  validate(params_);
  step_units_ = params_.step_size_bytes * params_.stepmul / 100.0;
  sweep_units_per_byte_ = sweep_units_per_object / params_.mean_object_bytes;
  reset(baseline_bytes);
}

void gc_heap::reset(double baseline_bytes) {
  require_bytes(baseline_bytes, "gc_heap baseline_bytes");
  free_slots_.clear();
  for (std::size_t i = slots_.size(); i-- > 0;) {
    slot& s = slots_[i];
    if (s.live) {
      s.live = false;
      ++s.generation;
    }
    free_slots_.push_back(static_cast<std::uint32_t>(i));
  }
  baseline_ = baseline_bytes;
  object_bytes_ = 0;
  live_objects_ = 0;
  collectable_ = 0;
  floating_ = 0;
  phase_ = gc_phase::pause;
  estimate_ = baseline_;
  set_threshold_from_estimate();
  debt_ = 0;
  until_step_ = 0;
  pending_steps_ = 0;
  mark_target_ = marked_ = atomic_bytes_ = 0;
  sweep_target_ = swept_ = sweep_collectable_ = sweep_freed_ = 0;
  cycles_ = 0;
  pending_cpu_ns_ = cumulative_cpu_ns_ = 0;
  cumulative_marked_ = cumulative_swept_ = 0;
  pending_freed_ = cumulative_freed_ = 0;
}

object_id gc_heap::allocate(double bytes) {
  require_bytes(bytes, "gc_heap allocation bytes");
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() >= UINT32_MAX) throw std::length_error("gc_heap: too many live objects");
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    /// Releasing never allocates: the free list can always hold every slot.
    free_slots_.reserve(slots_.capacity());
  }
  slot& s = slots_[index];
  s.bytes = bytes;
  s.live = true;
  ++live_objects_;
  allocate_stream(bytes, true);
  return object_id{index, s.generation};
}

bool gc_heap::is_live(object_id id) const noexcept {
  return id.index < slots_.size() && slots_[id.index].live && slots_[id.index].generation == id.generation;
}

void gc_heap::release(object_id id) {
  if (!is_live(id)) {
    throw std::invalid_argument("gc_heap::release: object id (index " + std::to_string(id.index) + ", generation " +
                                std::to_string(id.generation) + ") is not a live object of this heap");
  }
  slot& s = slots_[id.index];
  s.live = false;
  ++s.generation;
  free_slots_.push_back(id.index);
  --live_objects_;
  /// Exact zero when nothing is live, so rounding never accumulates across
  /// build/release generations.
  object_bytes_ = live_objects_ == 0 ? 0.0 : std::max(0.0, object_bytes_ - s.bytes);
  if (phase_ == gc_phase::pause) {
    collectable_ += s.bytes;
  } else {
    floating_ += s.bytes;
  }
}

void gc_heap::resize(object_id id, double new_bytes) {
  require_bytes(new_bytes, "gc_heap resize bytes");
  if (!is_live(id)) {
    throw std::invalid_argument("gc_heap::resize: object id (index " + std::to_string(id.index) + ", generation " +
                                std::to_string(id.generation) + ") is not a live object of this heap");
  }
  slot& s = slots_[id.index];
  const double old_bytes = s.bytes;
  s.bytes = new_bytes;
  if (new_bytes > old_bytes) {
    allocate_stream(new_bytes - old_bytes, true);
    return;
  }
  const double dead = old_bytes - new_bytes;
  object_bytes_ = std::max(0.0, object_bytes_ - dead);
  if (phase_ == gc_phase::pause) {
    collectable_ += dead;
  } else {
    floating_ += dead;
  }
}

double gc_heap::object_bytes(object_id id) const {
  if (!is_live(id)) {
    throw std::invalid_argument("gc_heap::object_bytes: object id (index " + std::to_string(id.index) +
                                ") is not a live object of this heap");
  }
  return slots_[id.index].bytes;
}

void gc_heap::allocate_garbage(double bytes) {
  require_bytes(bytes, "gc_heap garbage bytes");
  allocate_stream(bytes, false);
}

double gc_heap::take_gc_cpu_s() noexcept {
  const double s = pending_cpu_ns_ * 1e-9;
  pending_cpu_ns_ = 0;
  return s;
}

double gc_heap::take_freed_bytes() noexcept {
  const double b = pending_freed_;
  pending_freed_ = 0;
  return b;
}

/// The allocation is a continuous stream of small allocations. Between two
/// steps nothing but allocation happens, and within one phase the order of
/// allocation and work does not change the outcome, so all the steps a run
/// of allocation takes inside one phase are done as one block of work.
void gc_heap::allocate_stream(double bytes, bool live) {
  const double step = params_.step_size_bytes;
  double left = bytes;
  for (;;) {
    if (phase_ == gc_phase::pause) {
      const double gap = threshold_ - total_bytes();
      if (gap > 0.0) {
        if (left < gap) {
          add_allocated(left, live);
          return;
        }
        add_allocated(gap, live);
        left = std::max(0.0, left - gap);
      } else if (!(left > 0.0)) {
        return;  // the next allocation starts the cycle
      }
      start_cycle();
      if (!work(step_units_)) after_first_step();
      continue;
    }
    if (pending_steps_ > 0.0) {
      if (!(left > 0.0)) return;  // debt steps come with the next allocation
      const double n = pending_steps_;
      pending_steps_ = 0;
      until_step_ = step;
      work(n * step_units_);
      continue;
    }
    if (left < until_step_) {
      add_allocated(left, live);
      until_step_ -= left;
      return;
    }
    const double fit = 1.0 + std::floor((left - until_step_) / step);
    const double to_phase_end = std::max(1.0, std::ceil(phase_units_left() / step_units_));
    const double steps = std::min(fit, to_phase_end);
    const double used = until_step_ + (steps - 1.0) * step;
    add_allocated(used, live);
    left = std::max(0.0, left - used);
    until_step_ = step;
    work(steps * step_units_);
  }
}

void gc_heap::add_allocated(double bytes, bool live) noexcept {
  if (live) {
    object_bytes_ += bytes;
    if (phase_ == gc_phase::propagate) atomic_bytes_ += bytes;
  } else if (phase_ == gc_phase::sweep) {
    floating_ += bytes;
  } else {
    collectable_ += bytes;
  }
}

void gc_heap::start_cycle() noexcept {
  phase_ = gc_phase::propagate;
  mark_target_ = live_bytes();
  marked_ = 0;
  atomic_bytes_ = 0;
  debt_ = std::max(0.0, total_bytes() - threshold_);
  until_step_ = params_.step_size_bytes;
  pending_steps_ = 0;
}

void gc_heap::after_first_step() noexcept {
  const double step = params_.step_size_bytes;
  if (debt_ >= step) {
    const double n = std::floor(debt_ / step);
    debt_ -= n * step;
    pending_steps_ = n;
  }
}

double gc_heap::phase_units_left() const noexcept {
  if (phase_ == gc_phase::propagate) return std::max(0.0, mark_target_ - marked_);
  return std::max(0.0, sweep_target_ - swept_) * sweep_units_per_byte_;
}

bool gc_heap::work(double units) noexcept {
  if (phase_ == gc_phase::propagate) {
    const double left = mark_target_ - marked_;
    if (units < left) {
      marked_ += units;
      charge_mark(units);
      return false;
    }
    charge_mark(std::max(0.0, left));
    marked_ = mark_target_;
    units -= std::max(0.0, left);
    finish_marking();
  }
  if (phase_ != gc_phase::sweep) return false;
  const double units_left = std::max(0.0, sweep_target_ - swept_) * sweep_units_per_byte_;
  if (units < units_left) {
    sweep_to(std::min(sweep_target_, swept_ + units / sweep_units_per_byte_));
    return false;
  }
  sweep_to(sweep_target_);
  end_cycle();
  return true;
}

void gc_heap::finish_marking() noexcept {
  charge_mark(atomic_bytes_);
  phase_ = gc_phase::sweep;
  sweep_target_ = total_bytes();
  swept_ = 0;
  sweep_collectable_ = collectable_;
  sweep_freed_ = 0;
}

/// Garbage is freed in proportion to the bytes swept: objects of every age
/// are interleaved along LuaJIT's object list.
void gc_heap::sweep_to(double swept) noexcept {
  charge_sweep(std::max(0.0, swept - swept_));
  swept_ = swept;
  const double freed = swept >= sweep_target_ ? sweep_collectable_ : sweep_collectable_ * (swept / sweep_target_);
  if (freed > sweep_freed_) {
    free_bytes(freed - sweep_freed_);
    sweep_freed_ = freed;
  }
  collectable_ = swept >= sweep_target_ ? 0.0 : std::max(0.0, sweep_collectable_ - sweep_freed_);
}

void gc_heap::end_cycle() noexcept {
  estimate_ = std::max(0.0, sweep_target_ - sweep_collectable_);
  set_threshold_from_estimate();
  collectable_ = floating_;
  floating_ = 0;
  debt_ = 0;
  pending_steps_ = 0;
  phase_ = gc_phase::pause;
  ++cycles_;
}

void gc_heap::full_collect() {
  if (phase_ == gc_phase::propagate) {
    /// LuaJIT abandons the mark by sweeping every object back to white;
    /// nothing is freed but every byte is visited.
    charge_sweep(total_bytes());
    collectable_ += floating_;
    floating_ = 0;
    phase_ = gc_phase::pause;
  } else if (phase_ == gc_phase::sweep) {
    sweep_to(sweep_target_);
    end_cycle();
  }
  charge_mark(live_bytes());
  charge_sweep(total_bytes());
  free_bytes(collectable_ + floating_);
  collectable_ = 0;
  floating_ = 0;
  estimate_ = live_bytes();
  set_threshold_from_estimate();
  debt_ = 0;
  pending_steps_ = 0;
  ++cycles_;
}

void gc_heap::charge_mark(double bytes) noexcept {
  cumulative_marked_ += bytes;
  const double ns = bytes * params_.mark_ns_per_byte;
  pending_cpu_ns_ += ns;
  cumulative_cpu_ns_ += ns;
}

void gc_heap::charge_sweep(double bytes) noexcept {
  cumulative_swept_ += bytes;
  const double ns = bytes * params_.sweep_ns_per_byte;
  pending_cpu_ns_ += ns;
  cumulative_cpu_ns_ += ns;
}

void gc_heap::free_bytes(double bytes) noexcept {
  pending_freed_ += bytes;
  cumulative_freed_ += bytes;
  const double ns = bytes * params_.free_ns_per_byte;
  pending_cpu_ns_ += ns;
  cumulative_cpu_ns_ += ns;
}

void gc_heap::set_threshold_from_estimate() noexcept {
  threshold_ = std::max(estimate_ * params_.pause / 100.0, estimate_ + params_.step_size_bytes);
}

}  // namespace gwsim::memory
