// gwsim._core.analyze: a scenario's closed-form predictions (analysis.hpp)
// as a plain dict; the Python layer (gwsim/analyze.py) puts a simulation of
// the same scenario next to them.

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

#include "models/gateway/analysis.hpp"
#include "models/gateway/scenario_io.hpp"

namespace py = pybind11;
namespace gw = gwsim::gateway;

namespace {

py::dict analyze(const std::string& scenario_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(scenario_json);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("scenario JSON: ") + e.what());
  }
  const gw::scenario s = gw::scenario_from_json(j);
  gw::worker_workload w;
  gw::latency_prediction p;
  gw::memory_prediction mem;
  gw::availability_prediction av;
  {
    py::gil_scoped_release release;
    w = gw::workload_of(s);
    p = gw::predict_latency(s);
    mem = gw::predict_memory(s);
    av = gw::predict_availability(s);
  }
  py::dict workload;
  workload["request_rate_per_s"] = w.request_rate_per_s;
  workload["cache_hit_ratio"] = w.cache_hit_ratio;
  workload["no_route_fraction"] = w.no_route_fraction;
  workload["gc_cpu_s_per_byte"] = w.gc_cpu_s_per_byte;
  workload["mean_service_s"] = w.mean_service_s;
  workload["service_scv"] = w.service_scv;
  workload["write_rate_per_s"] = w.write_rate_per_s;
  workload["periodic_writes"] = w.periodic_writes;
  workload["rebuild_rate_per_s"] = w.rebuild_rate_per_s;
  workload["rebuild_cpu_s"] = w.rebuild_cpu_s;
  workload["rebuild_wall_s"] = w.rebuild_wall_s;
  workload["rebuild_pause_s"] = w.rebuild_pause_s;
  workload["request_load"] = w.request_load;
  workload["rebuild_load"] = w.rebuild_load;
  workload["critical_request_rate_per_s"] = w.critical_request_rate_per_s;
  workload["critical_traffic_rate_per_s"] = w.critical_traffic_rate_per_s;
  py::dict latency;
  latency["formula"] = p.formula;
  latency["exact"] = p.exact;
  latency["stable"] = p.metrics.stable;
  latency["utilisation"] = p.metrics.utilisation;
  latency["mean_wait_s"] = p.metrics.mean_wait;
  latency["mean_sojourn_s"] = p.metrics.mean_sojourn;
  latency["mean_latency_s"] = p.mean_latency_s;
  py::dict memory;
  memory["quiet_live_bytes"] = mem.quiet_live_bytes;
  memory["worker_heap_bound_bytes"] = mem.worker_heap_bound_bytes;
  memory["quiet_heap_bound_bytes"] = mem.quiet_heap_bound_bytes;
  memory["pod_bound_bytes"] = mem.pod_bound_bytes;
  memory["pod_limit_bytes"] = mem.pod_limit_bytes;
  memory["safe_concurrent_rebuilds"] = mem.safe_concurrent_rebuilds;
  memory["typical_quiet_heap_bytes"] = mem.typical_quiet_heap_bytes;
  memory["typical_quiet_pod_bytes"] = mem.typical_quiet_pod_bytes;
  memory["rebuild_extra_bytes"] = mem.rebuild_extra_bytes;
  py::dict availability;
  availability["applicable"] = av.applicable;
  availability["serving_fraction"] = av.serving_fraction;
  availability["oom_kills_per_hour"] = av.oom_kills_per_hour;
  py::dict out;
  out["workload"] = workload;
  out["latency"] = latency;
  out["memory"] = memory;
  out["availability"] = availability;
  return out;
}

}  // namespace

void bind_analysis(py::module_& m) {
  m.def("analyze", &analyze, py::arg("scenario_json"),
        R"(Closed-form predictions for a scenario (JSON text): {"workload": per-worker
queueing inputs, "latency": the formula used, whether it is exact here, mean
wait, sojourn and latency in seconds (infinite when the worker is unstable),
"memory": bounds in bytes, "availability": the pod's Markov chain}.
Raises ValueError for an invalid scenario.)");
}
