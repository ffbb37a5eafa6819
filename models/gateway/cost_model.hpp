#pragma once
/// What rebuilding a router costs in worker CPU. Kept behind one interface
/// so that costs measured on real router implementations can replace the
/// default estimate without touching the model.

#include <cmath>

#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

class cost_model {
 public:
  virtual ~cost_model() = default;
  /// CPU to process one page of `page_routes` routes during a full build
  /// (copy, service lookup, split into paths): linear in the routes.
  virtual double page_cpu_s(double page_routes, double paths_per_route) const = 0;
  /// CPU after the last page: sort and categorise `paths` paths, build the
  /// indexes. The O(P log P) part.
  virtual double finish_cpu_s(double paths) const = 0;
  /// CPU of an incremental update applying `changes` route changes to a
  /// router of `paths` paths.
  virtual double incremental_cpu_s(int changes, double paths) const = 0;
};

/// Default: cpu(P) = a P + b P log2 P with the constants of cost_config,
/// an estimate until per-design measurements calibrate it.
class nlogn_cost_model final : public cost_model {
 public:
  explicit nlogn_cost_model(const cost_config& c) : c_(c) {}
  double page_cpu_s(double page_routes, double paths_per_route) const override {
    return c_.build_ns_per_path * page_routes * paths_per_route * 1e-9;
  }
  double finish_cpu_s(double paths) const override {
    return paths < 2 ? 0.0 : c_.build_ns_per_path_log * paths * std::log2(paths) * 1e-9;
  }
  /// O(delta log N): the log factor is folded into the per-change constant.
  double incremental_cpu_s(int changes, double /*paths*/) const override {
    return c_.incremental_ns_per_change * changes * 1e-9;
  }

 private:
  cost_config c_;
};

}  // namespace gwsim::gateway
