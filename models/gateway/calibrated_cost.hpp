#pragma once
/// A cost_model whose constants were measured on a real router design
/// (models/calibration, gwsim_calibrate) instead of guessed.
///
/// The calibration fits a full build of N routes as
///   build(N) = a + b N + c N log2 N   (ns, times the build's `scale`)
/// measured on route sets with p0 = paths_per_route paths per route. The
/// simulator charges a full build in two parts, and the fit is split as:
///   - page_cpu_s(routes, ppr) = b * routes * ppr / p0: the linear part, per
///     route, scaled by how many paths the modelled routes have relative to
///     the measured ones (b is per measured route, i.e. per p0 paths);
///   - finish_cpu_s(paths) = a + c n log2 n with n = paths / p0, the
///     route-equivalents of the paths: the constant and the N log N part
///     (sorting, categorising, building indexes) happen once, after the
///     last page.
/// For routes with p0 paths each, the pages plus the finish of a build of N
/// routes add up to exactly build(N).
///
/// incremental_cpu_s(changes, paths) = changes * change(n), n = paths / p0,
/// where change(n) is the design's fitted `update` cost, or the mean of
/// `add` and `remove` when `update` was not measured (one of them alone when
/// only one was), each with its own scale. A design with no per-change
/// costs (a router that can only be rebuilt) is charged a full build,
/// build(n), per incremental update, however many changes it carries.

#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "models/calibration/calibration_file.hpp"
#include "models/gateway/cost_model.hpp"
#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {

class calibrated_cost_model final : public cost_model {
 public:
  /// Takes one design's costs. Throws std::invalid_argument when the design
  /// has no build cost or its paths_per_route is not finite and > 0 (a
  /// missing paths_per_route is taken as 1: costs per route = per path).
  explicit calibrated_cost_model(const calibration::design_calibration& design);

  /// b * page_routes * paths_per_route / p0, in seconds.
  double page_cpu_s(double page_routes, double paths_per_route) const override;
  /// a + c n log2 n with n = paths / p0 (n log2 n = 0 for n <= 1), in seconds.
  double finish_cpu_s(double paths) const override;
  /// changes * change(paths / p0), or build(paths / p0) for a design
  /// without per-change costs; 0 for changes <= 0. In seconds.
  double incremental_cpu_s(int changes, double paths) const override;

  /// The full build of `routes` routes with p0 paths each, in seconds:
  /// what the pages and the finish add up to.
  [[nodiscard]] double build_cpu_s(double routes) const;
  /// The per-change cost at `routes` routes in seconds, if measured.
  [[nodiscard]] std::optional<double> change_cpu_s(double routes) const;
  /// p0, the paths per route of the measured route sets.
  [[nodiscard]] double calibrated_paths_per_route() const noexcept { return p0_; }

 private:
  calibration::cost_entry build_;
  std::optional<calibration::cost_entry> update_;
  std::optional<calibration::cost_entry> add_;
  std::optional<calibration::cost_entry> remove_;
  double p0_ = 1.0;
};

/// The cost model of design `design` in the calibration file `file` (e.g.
/// scenarios/calibration/default.toml, design "traditional"). Throws
/// std::invalid_argument for an unreadable or invalid file, or a design the
/// file does not hold (the message lists the designs it holds).
[[nodiscard]] calibrated_cost_model load_calibrated_cost(const std::filesystem::path& file, std::string_view design);

/// The cost model a run of `s` under `strategy` charges: the estimate
/// constants of cost_config, or the measured costs of the strategy's router
/// design when the scenario names a calibration file (scenario_error naming
/// cost.calibration when that file cannot be used).
std::unique_ptr<cost_model> make_cost_model(const scenario& s, const rebuild_strategy& strategy);

}  // namespace gwsim::gateway
