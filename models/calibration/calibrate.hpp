#pragma once
/// From benchmark samples to a calibration: one fit per design and cost.
///
/// Costs and the samples they come from:
///   build       <Design>Build/<N>
///   add, remove, update  <Design>Add/<N>, <Design>Remove/<N>, <Design>Update/<N>
///   match_miss  <Design>Match/<N>/0 (or <Design>Match/<N>): every match searches
///   match_hit   <Design>Match/<N>/100: every match is a cache hit; without it,
///               derived from a hit mix <Design>Match/<N>/<h> (0 < h < 100) and
///               the miss cost at the same N, using the measured hit_ratio r:
///               hit = (mix - (1 - r) miss) / r, kept when positive
///
/// The fit form follows the number of distinct N measured: 3 or more give
/// a + b N + c N log2 N, 2 give a + b N, 1 gives a constant (see fit.hpp for
/// the 1/y weighting and the non-negativity refits). bytes_per_route is the
/// median of that counter over a design's build samples; paths_per_route
/// the median of that counter over the design's samples, else over the whole
/// run (every design benchmarks the same generated route sets).

#include <string>
#include <vector>

#include "models/calibration/bench_results.hpp"
#include "models/calibration/calibration_file.hpp"

namespace gwsim::calibration {

/// The designs gwsim_calibrate looks for by default.
inline const std::vector<std::string> default_designs = {"traditional", "radix", "incremental", "sharded"};

/// A calibration plus what could not be calibrated and why.
struct calibrate_outcome {
  calibration result;
  std::vector<std::string> notes;  ///< e.g. "sharded: skipped, no benchmarks BM_Sharded{Build,...}/N"
};

/// Fits every cost of every design in `designs` that has samples (all
/// designs found when `designs` is empty). A design without any sample is
/// skipped with a note; a cost whose fit is refused (e.g. a non-positive
/// time) is left out with a note.
[[nodiscard]] calibrate_outcome calibrate(const std::vector<bench_sample>& samples, const calibration_meta& meta,
                                          const std::vector<std::string>& designs = default_designs);

/// The fit form for `distinct_n` distinct sizes (nlogn from 3, linear at 2, constant at 1).
[[nodiscard]] fit_form form_for(std::size_t distinct_n) noexcept;

}  // namespace gwsim::calibration
