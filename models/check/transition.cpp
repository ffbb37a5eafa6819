#include "models/check/transition.hpp"

#include <algorithm>

namespace gwsim::check {
namespace {

std::uint8_t u8(int v) {
  return static_cast<std::uint8_t>(v);
}

worker_state& at(state& s, int i) {
  return s.workers[static_cast<std::size_t>(i)];
}
const worker_state& at(const state& s, int i) {
  return s.workers[static_cast<std::size_t>(i)];
}

bool event_fault(const model& m) {
  return m.fault == fault::drop_event_while_rebuilding;
}

/// A swap drops the old structures: they are garbage for this worker's
/// collector, collectable by the next cycle unless one is already running.
void add_garbage(worker_state& w, int units) {
  if (w.gc == gc_phase::idle) {
    w.garbage = u8(w.garbage + units);
  } else {
    w.floating = u8(w.floating + units);
  }
}

void oom_kills(const model& m, const state& s, std::vector<successor>& out) {
  int largest = -1;
  for (int i = 0; i < m.workers; ++i) {
    if (at(s, i).alive != 0) largest = std::max(largest, worker_memory(m, at(s, i)));
  }
  for (int i = 0; i < m.workers; ++i) {
    const worker_state& w = at(s, i);
    if (w.alive == 0 || worker_memory(m, w) != largest) continue;
    state t = s;
    worker_state& k = at(t, i);
    const std::uint8_t last = k.version;
    k = worker_state{};
    k.alive = 0;
    k.version = last;
    out.push_back({{step_kind::oom_kill, i, last}, t});
  }
}

void worker_steps(const model& m, const state& s, int i, std::vector<successor>& out) {
  const worker_state& w = at(s, i);
  if (w.alive == 0) {
    state t = s;
    worker_state& r = at(t, i);
    r = worker_state{};
    if (m.fault == fault::respawn_at_version_zero) {
      r.version = 0;
    } else {
      r.version = m.shared() ? s.published : s.store;
    }
    if (!m.shared()) r.estimate = u8(m.quiet_worker());
    out.push_back({{step_kind::respawn, i, r.version}, t});
    return;
  }
  if (m.shared()) {
    if (w.version < s.published) {
      state t = s;
      at(t, i).version = s.published;
      out.push_back({{step_kind::adopt, i, s.published}, t});
    }
    return;
  }
  const bool due = gc_due(m, w);
  if (w.building == 0 && w.version < s.store && !due && (!event_fault(m) || w.pending != 0)) {
    state t = s;
    worker_state& r = at(t, i);
    r.building = 1;
    r.target = s.store;
    r.pending = 0;
    out.push_back({{step_kind::start_rebuild, i, s.store}, t});
  }
  if (w.building != 0) {
    state t = s;
    worker_state& r = at(t, i);
    r.building = 0;
    r.version = r.target;
    r.target = 0;
    add_garbage(r, m.swap_garbage());
    out.push_back({{step_kind::swap, i, w.target}, t});
  }
  switch (w.gc) {
    case gc_phase::idle:
      if (due) {
        state t = s;
        at(t, i).gc = gc_phase::marking;
        out.push_back({{step_kind::gc_start, i, -1}, t});
      }
      break;
    case gc_phase::marking: {
      state t = s;
      at(t, i).gc = gc_phase::sweeping;
      out.push_back({{step_kind::gc_atomic, i, -1}, t});
      break;
    }
    case gc_phase::sweeping: {
      state t = s;
      worker_state& r = at(t, i);
      r.gc = gc_phase::idle;
      r.garbage = r.floating;
      r.floating = 0;
      r.estimate = u8(worker_memory(m, r));
      out.push_back({{step_kind::gc_finish, i, -1}, t});
      break;
    }
  }
}

void pod_steps(const model& m, const state& s, std::vector<successor>& out) {
  if (!m.shared()) return;
  if (s.building == 0 && s.published < s.store && (!event_fault(m) || s.pending != 0)) {
    bool standby_free = true;
    if (m.strategy == strategy::double_buffer) {
      for (int i = 0; i < m.workers; ++i) {
        if (at(s, i).alive != 0 && at(s, i).version != s.published) standby_free = false;
      }
    }
    if (standby_free) {
      state t = s;
      t.building = 1;
      t.target = s.store;
      t.pending = 0;
      out.push_back({{step_kind::pod_build, -1, s.store}, t});
    }
  }
  if (s.building != 0) {
    state t = s;
    t.building = 0;
    t.published = s.target;
    t.target = 0;
    out.push_back({{step_kind::pod_publish, -1, s.target}, t});
  }
}

}  // namespace

std::vector<successor> successors(const model& m, const state& s) {
  std::vector<successor> out;
  if (pod_memory(m, s) > m.limit) {
    oom_kills(m, s, out);
    return out;
  }
  if (s.store + 1 < m.versions) {
    state t = s;
    t.store = u8(s.store + 1);
    if (event_fault(m)) {
      if (m.shared()) {
        if (t.building == 0) t.pending = 1;
      } else {
        for (int i = 0; i < m.workers; ++i) {
          worker_state& w = at(t, i);
          if (w.alive != 0 && w.building == 0) w.pending = 1;
        }
      }
    }
    out.push_back({{step_kind::admin_write, -1, t.store}, t});
  }
  pod_steps(m, s, out);
  for (int i = 0; i < m.workers; ++i) worker_steps(m, s, i, out);
  return out;
}

std::string describe(const step& how) {
  const std::string who = "worker " + std::to_string(how.worker);
  const std::string v = "v" + std::to_string(how.version);
  switch (how.kind) {
    case step_kind::admin_write:
      return "admin write: store at " + v;
    case step_kind::start_rebuild:
      return who + " starts rebuild to " + v;
    case step_kind::swap:
      return who + " swaps in its " + v + " router (old one is garbage)";
    case step_kind::gc_start:
      return who + " GC cycle starts (marking)";
    case step_kind::gc_atomic:
      return who + " GC marking done (sweeping)";
    case step_kind::gc_finish:
      return who + " GC cycle ends (garbage from before it freed)";
    case step_kind::oom_kill:
      return "OOM killer kills " + who + " (was serving " + v + ")";
    case step_kind::respawn:
      return who + " respawns serving " + v;
    case step_kind::pod_build:
      return "pod starts building shared copy " + v;
    case step_kind::pod_publish:
      return "pod publishes shared copy " + v;
    case step_kind::adopt:
      return who + " switches to shared copy " + v;
  }
  return "?";
}

}  // namespace gwsim::check
