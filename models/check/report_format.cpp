#include "models/check/report_format.hpp"

#include <cstdio>
#include <sstream>

namespace gwsim::check {
namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

std::string report_text(const report& r) {
  const model& m = r.model;
  std::ostringstream out;
  out << "model: " << to_string(m.strategy) << ", " << m.workers << " worker(s), " << m.versions
      << " version(s), limit " << m.limit << " units (base " << m.base << ", router " << m.router << ", cache "
      << m.cache;
  if (m.strategy == strategy::incremental) out << ", delta " << m.delta;
  out << ", gc_pause " << m.gc_pause << "%)";
  if (m.fault != fault::none) out << ", fault " << to_string(m.fault);
  out << "\n";
  out << "states: " << r.states << (m.symmetry ? " (workers merged by symmetry)" : "") << ", edges: " << r.edges
      << ", transitions: " << r.transitions << ", SCCs: " << r.sccs << " (" << r.bottom_sccs
      << " bottom), depth: " << r.depth << "\n";
  out << "memory: quiet " << r.quiet_pod_memory << " units, max reached " << r.max_pod_memory << " units, limit "
      << m.limit << "\n";
  out << "converged states: " << r.converged_states << ", stuck states: " << r.stuck_states << "\n";
  out << "time: " << seconds_text(r.seconds) << " s\n";
  for (const property_result& p : r.properties) {
    out << "\n" << (p.holds ? "HOLDS     " : "VIOLATED  ") << p.name << ": " << p.claim << "\n";
    if (p.holds) continue;
    out << "  " << p.detail << "\n";
    out << "  shortest trace (" << (p.trace.empty() ? 0 : p.trace.size() - 1) << " steps):\n";
    for (const trace_step& t : p.trace) {
      out << "    t" << t.time << ": " << t.action << " (pod " << t.pod_memory << "/" << m.limit << " units)\n";
      out << "        " << t.state_text << "\n";
    }
  }
  out << "\n" << (r.all_hold() ? "all properties hold" : "a property is violated") << "\n";
  return out.str();
}

nlohmann::json report_json(const report& r) {
  const model& m = r.model;
  nlohmann::json j;
  j["model"] = {{"strategy", to_string(m.strategy)},
                {"workers", m.workers},
                {"versions", m.versions},
                {"limit", m.limit},
                {"base", m.base},
                {"router", m.router},
                {"cache", m.cache},
                {"delta", m.delta},
                {"gc_pause", m.gc_pause},
                {"fault", to_string(m.fault)},
                {"symmetry", m.symmetry},
                {"max_states", m.max_states}};
  j["states"] = r.states;
  j["edges"] = r.edges;
  j["transitions"] = r.transitions;
  j["sccs"] = r.sccs;
  j["bottom_sccs"] = r.bottom_sccs;
  j["converged_states"] = r.converged_states;
  j["stuck_states"] = r.stuck_states;
  j["depth"] = r.depth;
  j["quiet_pod_memory"] = r.quiet_pod_memory;
  j["max_pod_memory"] = r.max_pod_memory;
  j["seconds"] = r.seconds;
  j["all_hold"] = r.all_hold();
  nlohmann::json props = nlohmann::json::array();
  for (const property_result& p : r.properties) {
    nlohmann::json trace = nlohmann::json::array();
    for (const trace_step& t : p.trace) {
      trace.push_back({{"t", t.time}, {"action", t.action}, {"pod_memory", t.pod_memory}, {"state", t.state_text}});
    }
    props.push_back({{"name", p.name}, {"claim", p.claim}, {"holds", p.holds}, {"detail", p.detail}, {"trace", trace}});
  }
  j["properties"] = props;
  return j;
}

}  // namespace gwsim::check
