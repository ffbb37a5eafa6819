/// gwsim._core.fit_cost: the calibration's least-squares cost fit
/// (models/calibration/fit.hpp, Eigen) for Python callers such as the
/// testbed calibration, so simulator and testbed costs are fitted alike.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "models/calibration/fit.hpp"

namespace py = pybind11;
namespace gc = gwsim::calibration;

namespace {

py::dict fit_cost(const std::vector<double>& n, const std::vector<double>& y, const std::string& form) {
  if (n.size() != y.size()) {
    throw std::invalid_argument("n and y must have the same length, got " + std::to_string(n.size()) + " and " +
                                std::to_string(y.size()));
  }
  std::vector<gc::point> points;
  points.reserve(n.size());
  for (std::size_t i = 0; i < n.size(); ++i) {
    points.push_back({n[i], y[i]});
  }
  const gc::cost_fit f = gc::fit(points, gc::parse_fit_form(form));
  py::dict d;
  d["form"] = std::string(gc::to_string(f.form));
  d["a"] = f.a;
  d["b"] = f.b;
  d["c"] = f.c;
  d["terms"] = f.terms;
  d["r2"] = f.r2;
  d["relative_residuals"] = f.relative_residuals;
  d["max_relative_residual"] = f.max_relative_residual;
  return d;
}

}  // namespace

void bind_fit(py::module_& m) {
  m.def("fit_cost", &fit_cost, py::arg("n"), py::arg("y"), py::arg("form") = "nlogn",
        R"(Fit y(N) = a + b N + c N log2 N by least squares weighted by 1/y (relative residuals), dropping
terms that fit negative; form is "constant", "linear" or "nlogn". Returns {form, a, b, c, terms, r2,
relative_residuals, max_relative_residual}. ValueError for fewer points than terms, n < 1 or y <= 0.)");
}
