#pragma once
/// Calibration files: measured router costs per design, in TOML.
///
///   [meta]                      date, machine, gwsim_version, source
///   [designs.<name>]            bytes_per_route, paths_per_route (optional)
///   [designs.<name>.<cost>]     one fitted cost; <cost> is one of build,
///                               add, remove, update, match_hit, match_miss
///
/// A cost table holds the fitted cost(N) = a_ns + b_ns N + c_ns N log2 N in
/// nanoseconds (N = routes in the router), the form asked of the fit
/// (constant, linear, nlogn; dropped terms are 0), the median of the
/// measured points, the fit quality (r2, max_rel_residual), the measured
/// range (n_min, n_max, points) and `scale`: the factor that turns the
/// measured C++ cost into the cost of the gateway being modelled (a LuaJIT
/// router is some factor slower than this C++ one; the factor is measured
/// elsewhere, 1.0 keeps the C++ cost).
///
/// Reading validates everything: an unknown key, a missing field, a value
/// of the wrong type or out of range throws std::invalid_argument naming
/// the file, the dotted key, the value and the allowed range.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "models/calibration/fit.hpp"

namespace gwsim::calibration {

/// One calibrated cost as a function of the route count N.
struct cost_entry {
  fit_form form = fit_form::nlogn;  ///< the form the fit was asked for
  double a_ns = 0.0;                ///< constant term, ns (>= 0)
  double b_ns = 0.0;                ///< ns per route (>= 0)
  double c_ns = 0.0;                ///< ns per route log2 route (>= 0)
  double median_ns = 0.0;           ///< median of the measured costs, ns (>= 0)
  double r2 = 1.0;                  ///< coefficient of determination (finite, <= 1)
  double max_rel_residual = 0.0;    ///< largest |relative residual| of the fit (>= 0)
  double n_min = 1.0;               ///< smallest N measured (>= 1)
  double n_max = 1.0;               ///< largest N measured (>= n_min)
  int points = 1;                   ///< measurements fitted (>= 1)
  double scale = 1.0;               ///< modelled gateway cost / measured C++ cost (> 0)

  /// The fitted cost at n routes, in ns, before scaling.
  [[nodiscard]] double fitted_ns(double n) const noexcept;
  /// scale * fitted_ns(n): the cost charged in the model, in ns.
  [[nodiscard]] double scaled_ns(double n) const noexcept { return scale * fitted_ns(n); }
};

/// Builds a cost_entry from a fit of `points` (n = routes, y = ns).
[[nodiscard]] cost_entry make_cost_entry(const cost_fit& f, std::span<const point> points);

/// The measured costs of one router design. Absent costs were not measured.
struct design_calibration {
  std::optional<cost_entry> build;        ///< a full build of N routes
  std::optional<cost_entry> add;          ///< adding one route to a router of N
  std::optional<cost_entry> remove;       ///< removing one route
  std::optional<cost_entry> update;       ///< updating one route in place
  std::optional<cost_entry> match_hit;    ///< a match answered by the match cache
  std::optional<cost_entry> match_miss;   ///< a match that searches the router
  std::optional<double> bytes_per_route;  ///< memory held per route (> 0), median over N
  std::optional<double> paths_per_route;  ///< mean paths per route of the benchmark route set (> 0)
};

/// Where and when the costs were measured.
struct calibration_meta {
  std::string date;           ///< ISO 8601 UTC
  std::string machine;        ///< `uname -m` and the CPU model
  std::string gwsim_version;  ///< the project version that measured
  std::string source;         ///< what produced the numbers (e.g. the benchmark binary)
};

/// A whole calibration file.
struct calibration {
  calibration_meta meta;
  std::map<std::string, design_calibration> designs;  ///< by design name ([a-z0-9_]+)
};

/// The cost names of a design table, in file order.
inline constexpr std::string_view cost_names[] = {"build", "add", "remove", "update", "match_hit", "match_miss"};

/// The cost called `name` (one of cost_names); nullptr for any other name.
[[nodiscard]] std::optional<cost_entry>* cost_slot(design_calibration& d, std::string_view name) noexcept;
[[nodiscard]] const std::optional<cost_entry>* cost_slot(const design_calibration& d, std::string_view name) noexcept;

/// Throws std::invalid_argument, prefixed with `source`, for any value out
/// of the ranges documented on the fields, a design name outside [a-z0-9_]+
/// or a design with no cost at all.
void validate(const calibration& c, std::string_view source);

/// The calibration as TOML text; `header` lines are written first as `# `
/// comments. Validates first.
[[nodiscard]] std::string to_toml(const calibration& c, std::string_view header = {});
/// Writes to_toml(c, header) to `file` (parent directories are created).
void write_calibration(const calibration& c, const std::filesystem::path& file, std::string_view header = {});

/// Parses and validates TOML text; `source` names it in errors.
[[nodiscard]] calibration parse_calibration(std::string_view text, std::string_view source);
/// Reads and validates a calibration file. Throws std::invalid_argument
/// when the file cannot be read or is invalid.
[[nodiscard]] calibration read_calibration(const std::filesystem::path& file);

}  // namespace gwsim::calibration
