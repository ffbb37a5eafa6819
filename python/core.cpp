/// gwsim._core: the thin binding under the Python package.
///
/// Scenarios cross the boundary as JSON text, so the C++ scenario_io is the
/// one place that parses and validates them; results come back as plain dicts
/// of scalars and columns (numpy arrays for the time series). Everything
/// Pythonic (CLI, files, plots) lives in python/gwsim/*.py.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/gateway/result.hpp"
#include "models/gateway/scenario.hpp"
#include "models/gateway/scenario_io.hpp"
#include "models/gateway/simulation.hpp"
#include "models/gateway/strategy_names.hpp"

namespace py = pybind11;
namespace gw = gwsim::gateway;

void bind_routes(py::module_& m);    // core_routes.cpp
void bind_analysis(py::module_& m);  // core_analysis.cpp
void bind_fit(py::module_& m);       // core_fit.cpp
void bind_memory(py::module_& m);    // core_memory.cpp

namespace {

/// JSON text -> validated scenario; syntax errors become std::invalid_argument
/// (ValueError) like every other bad input.
gw::scenario parse(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("scenario JSON: ") + e.what());
  }
  gw::scenario s = gw::scenario_from_json(j);
  gw::validate(s);
  return s;
}

std::string dump(const gw::scenario& s) { return gw::scenario_to_json(s).dump(); }

/// Copies a column into a numpy array (the result is about to be destroyed).
template <class T>
py::array_t<T> column(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict to_python(const gw::result& r) {
  const gw::summary& t = r.totals;
  py::dict summary;
#define GWSIM_FIELD(name) summary[#name] = t.name
  GWSIM_FIELD(requests);
  GWSIM_FIELD(completed);
  GWSIM_FIELD(errors);
  GWSIM_FIELD(in_flight);
  GWSIM_FIELD(error_rate);
  GWSIM_FIELD(latency_p50_s);
  GWSIM_FIELD(latency_p99_s);
  GWSIM_FIELD(latency_p999_s);
  GWSIM_FIELD(latency_max_s);
  GWSIM_FIELD(latency_mean_s);
  GWSIM_FIELD(oom_kills);
  GWSIM_FIELD(worker_restarts);
  GWSIM_FIELD(rebuilds);
  GWSIM_FIELD(rebuild_cpu_s);
  GWSIM_FIELD(gc_cpu_s);
  GWSIM_FIELD(gc_cycles);
  GWSIM_FIELD(admin_writes);
  GWSIM_FIELD(peak_pod_memory_bytes);
  GWSIM_FIELD(mean_pod_memory_bytes);
  GWSIM_FIELD(final_pod_memory_bytes);
  GWSIM_FIELD(peak_worker_heap_bytes);
  GWSIM_FIELD(max_staleness_s);
  GWSIM_FIELD(stale_matches);
  GWSIM_FIELD(cache_hits);
  GWSIM_FIELD(cache_misses);
  GWSIM_FIELD(not_found);
  GWSIM_FIELD(db_queries);
  GWSIM_FIELD(db_utilization);
  GWSIM_FIELD(sim_time_s);
  GWSIM_FIELD(wall_time_s);
  GWSIM_FIELD(events);
#undef GWSIM_FIELD

  const gw::timeseries& s = r.series;
  py::dict series;
  series["time_s"] = column(s.time_s);
  series["node"] = column(s.node);
  series["worker"] = column(s.worker);
  series["heap_bytes"] = column(s.heap_bytes);
  series["resident_bytes"] = column(s.resident_bytes);
  series["gc_phase"] = column(s.gc_phase);
  series["rebuilding"] = column(s.rebuilding);
  series["queue_length"] = column(s.queue_length);
  series["latency_p50_s"] = column(s.latency_p50_s);
  series["latency_p99_s"] = column(s.latency_p99_s);
  series["errors"] = column(s.errors);

  const gw::event_log& e = r.events;
  py::dict events;
  events["time_s"] = py::cast(e.time_s);
  events["kind"] = py::cast(e.kind);
  events["node"] = py::cast(e.node);
  events["worker"] = py::cast(e.worker);
  events["value"] = py::cast(e.value);

  py::dict out;
  out["summary"] = std::move(summary);
  out["timeseries"] = std::move(series);
  out["events"] = std::move(events);
  return out;
}

py::dict run(const std::string& scenario_json, const std::optional<py::function>& progress) {
  const gw::scenario s = parse(scenario_json);
  gw::result r;
  {
    py::gil_scoped_release released;
    // Called about every 1% of simulated time: take the GIL back only here,
    // to report progress and to let Ctrl-C stop the run (KeyboardInterrupt
    // propagates out of run() as a C++ exception and back into Python).
    const std::function<void(double)> report = [&progress](double fraction) {
      py::gil_scoped_acquire held;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (progress) (*progress)(fraction);
    };
    r = gw::run(s, report);
  }
  return to_python(r);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "gwsim's C++ core: run a gateway scenario given as JSON text.";
  m.attr("__version__") = GWSIM_VERSION;

  m.def("run", &run, py::arg("scenario_json"), py::arg("progress") = py::none(),
        R"(Run a scenario (JSON text) and return {"summary", "timeseries", "events"}.

The GIL is released for the whole run; ``progress(fraction)`` is called with
the GIL held about every 1% of simulated time. Raises ValueError for an
invalid scenario.)");

  m.def(
      "load_scenario", [](const std::string& path) { return dump(gw::load_scenario(path)); }, py::arg("path"),
      "Read a TOML or JSON scenario file and return the validated scenario as JSON text.");

  m.def(
      "apply_overrides",
      [](const std::string& scenario_json, const std::vector<std::string>& assignments) {
        gw::scenario s = parse(scenario_json);
        for (const std::string& a : assignments) gw::apply_override(s, a);
        gw::validate(s);
        return dump(s);
      },
      py::arg("scenario_json"), py::arg("assignments"),
      "Apply 'section.key=value' assignments in order; return the validated scenario as JSON text.");

  m.def(
      "default_scenario", [] { return dump(gw::scenario{}); }, "The default scenario as JSON text.");
  m.def("strategy_names", &gw::strategy_names, "The registered router rebuild strategies, in documented order.");
  bind_routes(m);
  bind_analysis(m);
  bind_fit(m);
  bind_memory(m);
}
