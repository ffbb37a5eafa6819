#include "models/check/state.hpp"

#include <algorithm>
#include <bitset>
#include <utility>

namespace gwsim::check {

std::size_t state_hash::operator()(const state& s) const noexcept {
  /// FNV-1a over the fields: the struct has no padding bytes by
  /// construction, but hashing fields keeps that an implementation detail.
  std::size_t h = 1469598103934665603ULL;
  const auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 1099511628211ULL;
  };
  mix(s.store);
  mix(s.published);
  mix(s.building);
  mix(s.target);
  mix(s.pending);
  for (const worker_state& w : s.workers) {
    mix(w.alive);
    mix(w.version);
    mix(w.building);
    mix(w.target);
    mix(static_cast<std::uint8_t>(w.gc));
    mix(w.garbage);
    mix(w.floating);
    mix(w.estimate);
    mix(w.pending);
  }
  return h;
}

state initial_state(const model& m) {
  state s;
  for (int i = 0; i < max_workers; ++i) {
    worker_state& w = s.workers[static_cast<std::size_t>(i)];
    w = worker_state{};
    if (i >= m.workers) {
      w.alive = 0;
      continue;
    }
    if (!m.shared()) w.estimate = static_cast<std::uint8_t>(m.quiet_worker());
  }
  return s;
}

int worker_live(const model& m, const worker_state& w) {
  if (w.alive == 0) return 0;
  if (m.shared()) return m.base;
  return m.quiet_worker() + (w.building != 0 ? m.build_allocation() : 0);
}

int worker_memory(const model& m, const worker_state& w) {
  if (w.alive == 0) return 0;
  return worker_live(m, w) + w.garbage + w.floating;
}

int shared_copies(const model& m, const state& s) {
  if (!m.shared()) return 0;
  std::bitset<max_versions> held;
  held.set(s.published);
  for (int i = 0; i < m.workers; ++i) {
    const worker_state& w = s.workers[static_cast<std::size_t>(i)];
    if (w.alive != 0) held.set(w.version);
  }
  return static_cast<int>(held.count()) + (s.building != 0 ? 1 : 0);
}

int pod_memory(const model& m, const state& s) {
  int total = shared_copies(m, s) * m.shared_copy();
  for (int i = 0; i < m.workers; ++i) total += worker_memory(m, s.workers[static_cast<std::size_t>(i)]);
  return total;
}

bool gc_due(const model& m, const worker_state& w) {
  if (m.shared() || w.alive == 0 || w.gc != gc_phase::idle) return false;
  return worker_memory(m, w) * 100 >= w.estimate * m.gc_pause;
}

bool converged(const model& m, const state& s) {
  if (pod_memory(m, s) > m.limit) return false;  // the OOM killer is about to act
  if (m.shared() && (s.building != 0 || s.published != s.store)) return false;
  for (int i = 0; i < m.workers; ++i) {
    const worker_state& w = s.workers[static_cast<std::size_t>(i)];
    if (w.alive == 0 || w.building != 0 || w.version != s.store) return false;
  }
  return true;
}

state canonical(const model& m, state s) {
  /// Insertion sort over at most three workers (std::sort on so small a
  /// range trips GCC 12's -Warray-bounds false positive).
  const auto n = static_cast<std::size_t>(m.workers);
  for (std::size_t i = 1; i < n; ++i) {
    for (std::size_t j = i; j > 0 && s.workers[j] < s.workers[j - 1]; --j) std::swap(s.workers[j], s.workers[j - 1]);
  }
  return s;
}

std::string describe(const model& m, const state& s) {
  static constexpr std::array<const char*, 3> phase{"idle", "marking", "sweeping"};
  std::string out = "store v" + std::to_string(s.store);
  if (m.shared()) {
    out += ", published v" + std::to_string(s.published);
    if (s.building != 0) out += ", pod building v" + std::to_string(s.target);
    out += ", " + std::to_string(shared_copies(m, s)) + " cop" + (shared_copies(m, s) == 1 ? "y" : "ies");
  }
  for (int i = 0; i < m.workers; ++i) {
    const worker_state& w = s.workers[static_cast<std::size_t>(i)];
    out += " | w" + std::to_string(i) + ' ';
    if (w.alive == 0) {
      out += "dead (last v" + std::to_string(w.version) + ")";
      continue;
    }
    out += "v" + std::to_string(w.version);
    if (w.building != 0) out += " building v" + std::to_string(w.target);
    if (!m.shared()) {
      out += ", " + std::to_string(worker_memory(m, w)) + " units";
      if (w.garbage + w.floating > 0) {
        out += " (" + std::to_string(w.garbage + w.floating) + " garbage";
        if (w.floating > 0) out += ", " + std::to_string(w.floating) + " floating";
        out += ")";
      }
      if (w.gc != gc_phase::idle) out += std::string(", gc ") + phase[static_cast<std::size_t>(w.gc)];
    }
    if (w.pending != 0) out += ", event pending";
  }
  return out;
}

}  // namespace gwsim::check
