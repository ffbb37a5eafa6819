#include "models/check/checker.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/visitors.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/check/state.hpp"
#include "models/check/transition.hpp"

namespace gwsim::check {
namespace {

using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using vertex = graph::vertex_descriptor;
constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

/// A violation found on an edge: the source state and, for the trace, which
/// property's edge check failed.
struct edge_violation {
  std::size_t from = none;
  std::string detail;
};

std::optional<std::string> monotone_violation(const model& m, const state& s, const successor& next) {
  for (int i = 0; i < m.workers; ++i) {
    const auto& before = s.workers[static_cast<std::size_t>(i)];
    const auto& after = next.to.workers[static_cast<std::size_t>(i)];
    if (after.version < before.version) {
      return "worker " + std::to_string(i) + " goes from v" + std::to_string(before.version) + " back to v" +
             std::to_string(after.version) + " (" + describe(next.how) + ")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> store_regression(const state& s, const successor& next) {
  if (next.to.store < s.store) {
    return "the store goes from v" + std::to_string(s.store) + " back to v" + std::to_string(next.to.store);
  }
  return std::nullopt;
}

std::optional<std::string> version_ahead_of_store(const model& m, const state& s) {
  if (m.shared() && (s.published > s.store || (s.building != 0 && s.target > s.store))) {
    return "the pod's shared copy is ahead of the store";
  }
  for (int i = 0; i < m.workers; ++i) {
    const auto& w = s.workers[static_cast<std::size_t>(i)];
    if (w.alive == 0) continue;
    if (w.version > s.store || (w.building != 0 && w.target > s.store)) {
      return "worker " + std::to_string(i) + " serves or builds a version the store never had";
    }
  }
  return std::nullopt;
}

/// The explored state graph, in breadth-first discovery order (index 0 is the
/// initial state).
struct exploration {
  std::vector<state> states;
  std::vector<std::pair<std::size_t, std::size_t>> edges;  ///< deduplicated
  std::size_t transitions = 0;
  std::size_t first_over_limit = none;
  std::size_t first_ahead = none;
  std::string ahead_detail;
  edge_violation monotone;
  edge_violation store_back;
};

exploration explore(const model& m) {
  exploration x;
  std::unordered_map<state, std::size_t, state_hash> index;
  const auto intern = [&](const state& s) {
    const state key = m.symmetry ? canonical(m, s) : s;
    const auto [it, inserted] = index.try_emplace(key, x.states.size());
    if (inserted) {
      if (x.states.size() >= static_cast<std::size_t>(m.max_states)) {
        throw model_error("model.max_states",
                          "the state space exceeds model.max_states = " + std::to_string(m.max_states) +
                              ": use fewer workers or versions, or raise model.max_states");
      }
      x.states.push_back(key);
      const std::size_t id = it->second;
      if (x.first_over_limit == none && pod_memory(m, key) > m.limit) x.first_over_limit = id;
      if (x.first_ahead == none) {
        if (const auto why = version_ahead_of_store(m, key)) {
          x.first_ahead = id;
          x.ahead_detail = *why;
        }
      }
    }
    return it->second;
  };
  intern(initial_state(m));
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < x.states.size(); ++i) {
    const state s = x.states[i];  // copy: intern() may reallocate
    const std::vector<successor> next = successors(m, s);
    x.transitions += next.size();
    targets.clear();
    for (const successor& n : next) {
      if (x.monotone.from == none) {
        if (const auto why = monotone_violation(m, s, n)) x.monotone = {i, *why};
      }
      if (x.store_back.from == none) {
        if (const auto why = store_regression(s, n)) x.store_back = {i, *why};
      }
      targets.push_back(intern(n.to));
    }
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    for (const std::size_t t : targets) x.edges.emplace_back(i, t);
  }
  return x;
}

/// States that can reach one for which `goal` holds (reverse breadth-first
/// search over in-edges).
std::vector<char> can_reach(const graph& g, const std::vector<char>& goal) {
  std::vector<char> seen(goal);
  std::deque<vertex> queue;
  for (vertex v = 0; v < goal.size(); ++v) {
    if (goal[v] != 0) queue.push_back(v);
  }
  while (!queue.empty()) {
    const vertex v = queue.front();
    queue.pop_front();
    for (auto [e, end] = boost::in_edges(v, g); e != end; ++e) {
      const vertex u = boost::source(*e, g);
      if (seen[u] == 0) {
        seen[u] = 1;
        queue.push_back(u);
      }
    }
  }
  return seen;
}

/// The shortest forward path from `from` into a bottom strongly connected
/// component (one no edge leaves): where a stuck run ends up.
std::vector<std::size_t> path_to_bottom(const graph& g, std::size_t from, const std::vector<std::size_t>& component,
                                        const std::vector<char>& leaves_component) {
  std::vector<std::size_t> parent(boost::num_vertices(g), none);
  std::deque<std::size_t> queue{from};
  parent[from] = from;
  std::size_t end = from;
  while (!queue.empty()) {
    const std::size_t v = queue.front();
    queue.pop_front();
    if (leaves_component[component[v]] == 0) {
      end = v;
      break;
    }
    for (auto [e, last] = boost::out_edges(v, g); e != last; ++e) {
      const std::size_t u = boost::target(*e, g);
      if (parent[u] == none) {
        parent[u] = v;
        queue.push_back(u);
      }
    }
  }
  std::vector<std::size_t> path{end};
  while (path.back() != from) path.push_back(parent[path.back()]);
  std::reverse(path.begin(), path.end());
  return path;
}

property_result make_property(std::string name, std::string claim) {
  property_result p;
  p.name = std::move(name);
  p.claim = std::move(claim);
  return p;
}

class tracer {
 public:
  tracer(const model& m, const exploration& x, const std::vector<vertex>& parent) : m_(m), x_(x), parent_(parent) {}

  /// The shortest trace to state `target`, replayed concretely.
  std::vector<trace_step> to(std::size_t target, state* last = nullptr) const {
    std::vector<std::size_t> path;
    for (std::size_t v = target;; v = parent_[v]) {
      path.push_back(v);
      if (v == 0 || parent_[v] == v) break;
    }
    std::reverse(path.begin(), path.end());
    state c = initial_state(m_);
    std::vector<trace_step> out;
    out.push_back({0, "initial state", pod_memory(m_, c), describe(m_, c)});
    replay(path, c, out);
    if (last != nullptr) *last = c;
    return out;
  }

  /// Extends `out`, which ends in concrete state `c` (an instance of
  /// path.front()), along the canonical path; worker numbers follow `c`.
  void replay(const std::vector<std::size_t>& path, state& c, std::vector<trace_step>& out) const {
    for (std::size_t k = 1; k < path.size(); ++k) {
      const state& want = x_.states[path[k]];
      bool found = false;
      for (const successor& n : successors(m_, c)) {
        if ((m_.symmetry ? canonical(m_, n.to) : n.to) == want) {
          c = n.to;
          out.push_back({static_cast<int>(out.size()), describe(n.how), pod_memory(m_, c), describe(m_, c)});
          found = true;
          break;
        }
      }
      if (!found) return;  // cannot happen: every edge came from successors()
    }
  }

  /// The trace to `from` followed by the first step out of it that `why`
  /// flags; `detail` gets why's explanation in the trace's worker numbers.
  template <class Why>
  std::vector<trace_step> through(std::size_t from, Why why, std::string& detail) const {
    state c;
    std::vector<trace_step> out = to(from, &c);
    for (const successor& n : successors(m_, c)) {
      if (const std::optional<std::string> bad = why(c, n)) {
        out.push_back({static_cast<int>(out.size()), describe(n.how), pod_memory(m_, n.to), describe(m_, n.to)});
        detail = *bad;
        break;
      }
    }
    return out;
  }

 private:
  const model& m_;
  const exploration& x_;
  const std::vector<vertex>& parent_;
};

}  // namespace

report run_check(const model& m) {
  validate(m);
  const auto started = std::chrono::steady_clock::now();
  const exploration x = explore(m);
  const std::size_t n = x.states.size();

  graph g(n);
  for (const auto& [from, to] : x.edges) boost::add_edge(from, to, g);

  /// Shortest paths from the initial state: Boost's BFS recording the tree
  /// edges' sources, and the distances for the depth.
  std::vector<vertex> parent(n);
  std::vector<std::size_t> dist(n, 0);
  for (vertex v = 0; v < n; ++v) parent[v] = v;
  boost::breadth_first_search(g, vertex{0},
                              boost::visitor(boost::make_bfs_visitor(
                                  std::make_pair(boost::record_predecessors(parent.data(), boost::on_tree_edge()),
                                                 boost::record_distances(dist.data(), boost::on_tree_edge())))));

  std::vector<std::size_t> component(n);
  const std::size_t sccs = n == 0 ? 0 : static_cast<std::size_t>(boost::strong_components(g, component.data()));
  std::vector<char> leaves_component(sccs, 0);
  for (const auto& [from, to] : x.edges) {
    if (component[from] != component[to]) leaves_component[component[from]] = 1;
  }

  std::vector<char> converged_goal(n, 0);
  std::vector<char> delivered_goal(n, 0);
  report r;
  r.model = m;
  for (std::size_t v = 0; v < n; ++v) {
    const state& s = x.states[v];
    const bool c = converged(m, s);
    converged_goal[v] = c ? 1 : 0;
    delivered_goal[v] = c && s.store + 1 == m.versions ? 1 : 0;
    r.converged_states += c ? 1 : 0;
    r.max_pod_memory = std::max(r.max_pod_memory, pod_memory(m, s));
    r.depth = std::max(r.depth, dist[v]);
  }
  const std::vector<char> converges = can_reach(g, converged_goal);
  const std::vector<char> delivers = can_reach(g, delivered_goal);

  r.states = n;
  r.edges = x.edges.size();
  r.transitions = x.transitions;
  r.sccs = sccs;
  r.bottom_sccs = static_cast<std::size_t>(std::count(leaves_component.begin(), leaves_component.end(), 0));
  r.quiet_pod_memory = pod_memory(m, initial_state(m));

  /// The first stuck state in discovery order is one of the nearest (the
  /// exploration is breadth-first too).
  std::size_t first_stuck = none;
  std::size_t first_undelivered = none;
  for (std::size_t v = 0; v < n; ++v) {
    if (converges[v] == 0) {
      ++r.stuck_states;
      if (first_stuck == none) first_stuck = v;
    }
    if (delivers[v] == 0 && first_undelivered == none) first_undelivered = v;
  }

  const tracer trace(m, x, parent);

  property_result memory =
      make_property("memory", "pod total <= limit " + std::to_string(m.limit) + " units in every reachable state");
  if (x.first_over_limit != none) {
    memory.holds = false;
    memory.trace = trace.to(x.first_over_limit);
    memory.detail = "the pod reaches " + std::to_string(memory.trace.back().pod_memory) + " units > limit " +
                    std::to_string(m.limit) + " (quiet level " + std::to_string(r.quiet_pod_memory) +
                    "); the OOM killer must act";
  }
  r.properties.push_back(memory);

  property_result lost =
      make_property("no_write_lost",
                    "no version beyond the store, the store never goes back, and the last write can always "
                    "still reach every worker");
  if (x.first_ahead != none) {
    lost.holds = false;
    lost.detail = x.ahead_detail;
    lost.trace = trace.to(x.first_ahead);
  } else if (x.store_back.from != none) {
    lost.holds = false;
    lost.detail = x.store_back.detail;
    lost.trace = trace.through(
        x.store_back.from, [](const state& s, const successor& nx) { return store_regression(s, nx); }, lost.detail);
  } else if (first_undelivered != none) {
    lost.holds = false;
    state c;
    lost.trace = trace.to(first_undelivered, &c);
    const std::size_t stuck_at = lost.trace.size() - 1;
    trace.replay(path_to_bottom(g, first_undelivered, component, leaves_component), c, lost.trace);
    lost.detail = "from t" + std::to_string(stuck_at) + " on no run delivers v" + std::to_string(m.versions - 1) +
                  " to every worker";
    if (lost.trace.size() - 1 > stuck_at) lost.detail += "; the steps after it lead to where such a run ends up";
  }
  r.properties.push_back(lost);

  property_result mono = make_property("monotone", "no step lowers a worker's served version (respawns included)");
  if (x.monotone.from != none) {
    mono.holds = false;
    mono.detail = x.monotone.detail;
    mono.trace = trace.through(
        x.monotone.from, [&m](const state& s, const successor& nx) { return monotone_violation(m, s, nx); },
        mono.detail);
  }
  r.properties.push_back(mono);

  property_result live =
      make_property("convergence",
                    "from every reachable state a converged state (all workers alive on the store's version, no "
                    "rebuild running, pod within its limit) is reachable");
  if (first_stuck != none) {
    live.holds = false;
    state c;
    live.trace = trace.to(first_stuck, &c);
    const std::size_t stuck_at = live.trace.size() - 1;
    trace.replay(path_to_bottom(g, first_stuck, component, leaves_component), c, live.trace);
    live.detail = std::to_string(r.stuck_states) + " reachable state(s) can never converge; t" +
                  std::to_string(stuck_at) + " is the nearest";
    if (live.trace.size() - 1 > stuck_at) {
      live.detail += "; the steps after it lead to where such a run ends up for good";
    }
  }
  r.properties.push_back(live);

  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace gwsim::check
