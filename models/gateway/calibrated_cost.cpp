#include "models/gateway/calibrated_cost.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "models/gateway/scenario_io.hpp"

namespace gwsim::gateway {
namespace {

constexpr double ns = 1e-9;

double nlogn(double n) {
  return n > 1.0 ? n * std::log2(n) : 0.0;
}

}  // namespace

calibrated_cost_model::calibrated_cost_model(const calibration::design_calibration& design) {
  if (!design.build) {
    throw std::invalid_argument(
        "calibrated cost: build = (missing) is invalid: the design needs a measured build cost");
  }
  build_ = *design.build;
  update_ = design.update;
  add_ = design.add;
  remove_ = design.remove;
  if (design.paths_per_route) {
    p0_ = *design.paths_per_route;
    if (!std::isfinite(p0_) || p0_ <= 0.0) {
      throw std::invalid_argument("calibrated cost: paths_per_route = " + std::to_string(p0_) +
                                  " is invalid: must be finite and > 0 (paths)");
    }
  }
}

double calibrated_cost_model::page_cpu_s(double page_routes, double paths_per_route) const {
  return build_.scale * build_.b_ns * page_routes * paths_per_route / p0_ * ns;
}

double calibrated_cost_model::finish_cpu_s(double paths) const {
  const double n = paths / p0_;
  return build_.scale * (build_.a_ns + build_.c_ns * nlogn(n)) * ns;
}

double calibrated_cost_model::build_cpu_s(double routes) const {
  return build_.scaled_ns(routes) * ns;
}

std::optional<double> calibrated_cost_model::change_cpu_s(double routes) const {
  if (update_) return update_->scaled_ns(routes) * ns;
  if (add_ && remove_) return 0.5 * (add_->scaled_ns(routes) + remove_->scaled_ns(routes)) * ns;
  if (add_) return add_->scaled_ns(routes) * ns;
  if (remove_) return remove_->scaled_ns(routes) * ns;
  return std::nullopt;
}

double calibrated_cost_model::incremental_cpu_s(int changes, double paths) const {
  if (changes <= 0) return 0.0;
  const double n = paths / p0_;
  const std::optional<double> per_change = change_cpu_s(n);
  return per_change ? changes * *per_change : build_cpu_s(n);
}

calibrated_cost_model load_calibrated_cost(const std::filesystem::path& file, std::string_view design) {
  const calibration::calibration c = calibration::read_calibration(file);
  const auto it = c.designs.find(std::string(design));
  if (it == c.designs.end()) {
    std::string held;
    for (const auto& [name, d] : c.designs) held += (held.empty() ? "" : ", ") + name;
    throw std::invalid_argument(file.string() + ": design = \"" + std::string(design) +
                                "\" is invalid: the file holds " + (held.empty() ? "no designs" : held));
  }
  try {
    return calibrated_cost_model(it->second);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(file.string() + ": designs." + std::string(design) + ": " + e.what());
  }
}

std::unique_ptr<cost_model> make_cost_model(const scenario& s, const rebuild_strategy& strategy) {
  if (s.cost.calibration.empty()) return std::make_unique<nlogn_cost_model>(s.cost);
  try {
    return std::make_unique<calibrated_cost_model>(
        load_calibrated_cost(s.cost.calibration, strategy.traits().router_design));
  } catch (const std::invalid_argument& e) {
    throw scenario_error("cost.calibration", "cost.calibration = \"" + s.cost.calibration + "\" is invalid: " + e.what());
  }
}

}  // namespace gwsim::gateway
