#include "models/gateway/scenario.hpp"

#include <string>

#include "models/gateway/scenario_io.hpp"
#include "models/gateway/units.hpp"

namespace gwsim::gateway {
namespace {

/// A run samples its time series into memory; more samples than this is a
/// unit mistake (sample_interval_s in milliseconds), not an experiment.
constexpr double max_samples = 10'000'000.0;

[[noreturn]] void invalid(const std::string& path, double value, const std::string& rule) {
  throw scenario_error(path, path + " = " + format_number(value) + " is invalid: " + rule);
}

template <class Owner>
void check_all(const std::vector<field<Owner>>& fields, const Owner& owner, const std::string& prefix) {
  for (const auto& f : fields) {
    if (f.kind == field_kind::table_array) continue;
    const std::string path = prefix.empty() ? f.dotted() : prefix + std::string(f.key);
    if (std::string msg = check_field(f, f.get(owner), path); !msg.empty()) throw scenario_error(path, msg);
  }
}

}  // namespace

/// Each field's own rule (finite, range, allowed names) comes from the field
/// table, so the documentation states the same ranges that are enforced
/// here; this function adds the rules that relate fields to each other.
void validate(const scenario& s) {
  check_all(scenario_fields(), s, {});

  const double duration = s.run.duration_s;
  const std::string within_run = "must be <= run.duration_s = " + format_number(duration) + " (seconds)";

  for (std::size_t i = 0; i < s.admin.script.size(); ++i) {
    const admin_op& op = s.admin.script[i];
    const std::string prefix = "admin.script[" + std::to_string(i) + "].";
    check_all(admin_op_fields(), op, prefix);
    if (op.at_s > duration) invalid(prefix + "at_s", op.at_s, within_run);
    // Consumers walk the script in order; loaders sort it, so only scripts
    // built or edited in code can trip this.
    if (i > 0 && op.at_s < s.admin.script[i - 1].at_s) {
      invalid(prefix + "at_s", op.at_s,
              "must be >= admin.script[" + std::to_string(i - 1) +
                  "].at_s = " + format_number(s.admin.script[i - 1].at_s) +
                  " (the script is kept in time order; files may list it in any order)");
    }
  }

  for (std::size_t i = 0; i < s.admin.loops.size(); ++i) {
    const admin_loop& loop = s.admin.loops[i];
    const std::string prefix = "admin.loops[" + std::to_string(i) + "].";
    check_all(admin_loop_fields(), loop, prefix);
    if (loop.start_s > duration) invalid(prefix + "start_s", loop.start_s, within_run);
    if (loop.stop_s != 0.0 && (loop.stop_s <= loop.start_s || loop.stop_s > duration)) {
      invalid(prefix + "stop_s", loop.stop_s,
              "must be 0 (until the end) or in (start_s = " + format_number(loop.start_s) +
                  ", run.duration_s = " + format_number(duration) + "] (seconds)");
    }
  }

  if (s.run.sample_interval_s > duration) invalid("run.sample_interval_s", s.run.sample_interval_s, within_run);
  if (duration / s.run.sample_interval_s > max_samples) {
    invalid("run.sample_interval_s", s.run.sample_interval_s,
            "must give at most 10000000 samples over run.duration_s = " + format_number(duration) +
                ", i.e. be >= " + format_number(duration / max_samples) + " (seconds)");
  }

  if (s.memory.build_held_per_route_bytes > s.memory.build_garbage_per_route_bytes) {
    invalid("memory.build_held_per_route_bytes", s.memory.build_held_per_route_bytes,
            "must be <= memory.build_garbage_per_route_bytes = " +
                format_number(s.memory.build_garbage_per_route_bytes) +
                " (bytes per route: it is the part of the build's garbage held until the build ends)");
  }

  const double paths = static_cast<double>(s.routes.routes) * s.routes.paths_per_route;
  if (s.routes.regex_paths > paths) {
    invalid("routes.regex_paths", s.routes.regex_paths,
            "must be <= routes.routes * routes.paths_per_route = " + format_number(paths) +
                " (paths: the regex paths are some of the route paths)");
  }

  // What a pod holds before any worker exists: a limit below it cannot start.
  const cluster_config& c = s.cluster;
  const double fixed = c.master_memory_bytes + c.mem_cache_dicts * c.mem_cache_size_bytes + c.fixed_zones_bytes;
  if (c.pod_memory_limit_bytes <= fixed) {
    invalid("cluster.pod_memory_limit_bytes", c.pod_memory_limit_bytes,
            "must exceed the pod's fixed memory, master_memory_bytes + mem_cache_dicts * mem_cache_size_bytes + "
            "fixed_zones_bytes = " +
                format_number(fixed) + " bytes (" + format_size(fixed) + ")");
  }
}

}  // namespace gwsim::gateway
