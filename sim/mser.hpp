#pragma once
/// MSER-5 warm-up (initial transient) deletion, White (1997); White, Cobb &
/// Spratt (2000).
///
/// The rule: average the series x_1..x_n into b = floor(n / m) consecutive
/// batch means Z_1..Z_b (m = 5 for MSER-5; a trailing partial batch is
/// ignored for the choice), and for each candidate number of deleted
/// batches d compute
///
///     MSER(d) = sum_{j = d+1..b} (Z_j - mean(Z_{d+1..b}))^2 / (b - d)^2,
///
/// i.e. the squared standard error of the truncated mean (up to a constant).
/// Deleting biased early batches lowers the spread faster than the shrinking
/// sample raises it; deleting steady-state data does not. The truncation is
/// d* = argmin MSER(d) over d = 0 .. ceil(b / 2) - 1, so more than half of
/// the batches always remain (the smallest d wins ties). Batching by 5
/// smooths the noise that makes plain MSER truncate too eagerly.
///
/// When d* lands on the last allowed value, the statistic is still falling
/// when the search stops: the run is probably too short to reach steady
/// state, and `at_search_limit` says so.

#include <cstddef>
#include <span>

namespace gwsim::sim {

struct mser_result {
  /// Number of original observations to delete (d* * batch_size).
  std::size_t truncation = 0;
  /// Mean of the original observations from `truncation` to the end,
  /// including any trailing partial batch.
  double truncated_mean = 0.0;
  /// MSER(d*), in squared units of the series.
  double statistic = 0.0;
  std::size_t batch_size = 5;
  /// True if d* is the largest candidate (see the header comment).
  bool at_search_limit = false;
};

/// MSER-m with batch size `batch_size`. Throws std::invalid_argument if
/// batch_size == 0, if the series has fewer than 2 * batch_size values, or
/// if a value is not finite.
[[nodiscard]] mser_result mser(std::span<const double> series, std::size_t batch_size);

/// MSER-5, the usual choice.
[[nodiscard]] inline mser_result mser5(std::span<const double> series) {
  return mser(series, 5);
}

}  // namespace gwsim::sim
