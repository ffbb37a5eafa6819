#pragma once
/// What a check run found, as plain data: counts, and per property a verdict
/// with the shortest trace that shows a violation.

#include <cstddef>
#include <string>
#include <vector>

#include "models/check/model.hpp"

namespace gwsim::check {

/// One line of a trace: the step taken (or "initial state") and where it
/// leads.
struct trace_step {
  int time = 0;            ///< t0 is the initial state
  std::string action;      ///< "worker 1 starts rebuild to v2"
  int pod_memory = 0;      ///< units after the step
  std::string state_text;  ///< describe(state) after the step
};

struct property_result {
  std::string name;   ///< memory, no_write_lost, monotone, convergence
  std::string claim;  ///< what the property says, one line
  bool holds = true;
  std::string detail;             ///< why it fails (empty when it holds)
  std::vector<trace_step> trace;  ///< shortest path from the initial state to the violation
};

struct report {
  check::model model;
  std::size_t states = 0;
  std::size_t edges = 0;        ///< distinct (from, to) pairs
  std::size_t transitions = 0;  ///< steps explored, counting parallel ones
  std::size_t sccs = 0;         ///< strongly connected components
  std::size_t bottom_sccs = 0;  ///< components with no edge leaving them
  std::size_t converged_states = 0;
  std::size_t stuck_states = 0;  ///< states from which no converged state is reachable
  std::size_t depth = 0;         ///< longest shortest path from the initial state
  int quiet_pod_memory = 0;
  int max_pod_memory = 0;
  double seconds = 0.0;
  std::vector<property_result> properties;

  bool all_hold() const {
    for (const property_result& p : properties) {
      if (!p.holds) return false;
    }
    return true;
  }
  const property_result* find(const std::string& name) const {
    for (const property_result& p : properties) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

}  // namespace gwsim::check
