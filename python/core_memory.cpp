/// gwsim._core.GcHeap: the simulator's LuaJIT collector model
/// (models/memory/gc_heap.hpp) for Python callers, so that it can be driven
/// with the same allocations as a real LuaJIT heap and compared with it
/// (tests/python/test_collector_vs_luajit.py).

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "models/memory/gc_heap.hpp"

namespace py = pybind11;
namespace gm = gwsim::memory;

namespace {

/// An object handle as one integer: generation in the high 32 bits.
std::uint64_t pack(gm::object_id id) {
  return (static_cast<std::uint64_t>(id.generation) << 32U) | id.index;
}

gm::object_id unpack(std::uint64_t handle) {
  return gm::object_id{static_cast<std::uint32_t>(handle & 0xffffffffU), static_cast<std::uint32_t>(handle >> 32U)};
}

gm::gc_heap make_heap(double baseline_bytes, double pause, double stepmul, double mean_object_bytes) {
  gm::gc_params p;
  p.pause = pause;
  p.stepmul = stepmul;
  p.mean_object_bytes = mean_object_bytes;
  gm::validate(p);
  return gm::gc_heap(p, baseline_bytes);
}

}  // namespace

void bind_memory(py::module_& m) {
  py::class_<gm::gc_heap>(m, "GcHeap", R"(One LuaJIT worker heap under the collector model (gc_heap.hpp).

Objects are aggregates of bytes; allocate() returns a handle for release().
Every allocation runs the collector steps that much allocation triggers in
LuaJIT 2.1 (pause, stepmul, the step size of 1 KiB, the debt).)")
      .def(py::init(&make_heap), py::arg("baseline_bytes") = 0.0, py::arg("pause") = 200.0,
           py::arg("stepmul") = 200.0, py::arg("mean_object_bytes") = 64.0,
           "A heap holding `baseline_bytes` of permanent live data, as if just fully collected. ValueError names "
           "the first parameter out of range.")
      .def(
          "allocate", [](gm::gc_heap& h, double bytes) { return pack(h.allocate(bytes)); }, py::arg("bytes"),
          "Allocate a live object; returns its handle.")
      .def("allocate_garbage", &gm::gc_heap::allocate_garbage, py::arg("bytes"), "Allocate bytes dead at once.")
      .def(
          "release", [](gm::gc_heap& h, std::uint64_t handle) { h.release(unpack(handle)); }, py::arg("handle"),
          "The object dies (it stays in total_bytes until a sweep frees it). ValueError for a stale handle.")
      .def("full_collect", &gm::gc_heap::full_collect, "collectgarbage(\"collect\").")
      .def_property_readonly("total_bytes", &gm::gc_heap::total_bytes, "collectgarbage(\"count\") * 1024.")
      .def_property_readonly("live_bytes", &gm::gc_heap::live_bytes)
      .def_property_readonly("garbage_bytes", &gm::gc_heap::garbage_bytes)
      .def_property_readonly("threshold_bytes", &gm::gc_heap::threshold_bytes)
      .def_property_readonly("estimate_bytes", &gm::gc_heap::estimate_bytes)
      .def_property_readonly("cycles_completed", &gm::gc_heap::cycles_completed)
      .def_property_readonly("marked_bytes", &gm::gc_heap::cumulative_marked_bytes,
                             "Bytes marked so far, paced and atomic (the mark CPU is this times mark_ns_per_byte).")
      .def_property_readonly("swept_bytes", &gm::gc_heap::cumulative_swept_bytes,
                             "Bytes swept so far, live or dead (times sweep_ns_per_byte).")
      .def_property_readonly("freed_bytes", &gm::gc_heap::cumulative_freed_bytes,
                             "Bytes freed by sweeps so far (times free_ns_per_byte, on top of sweeping them).")
      .def_property_readonly(
          "phase", [](const gm::gc_heap& h) { return std::string(gm::to_string(h.phase())); },
          "\"pause\", \"propagate\" or \"sweep\".");
}
