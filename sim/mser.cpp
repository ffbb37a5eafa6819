#include "sim/mser.hpp"

#include <cstdint>
#include <vector>

#include "sim/online_stats.hpp"
#include "sim/stats_checks.hpp"

namespace gwsim::sim {

mser_result mser(std::span<const double> series, std::size_t batch_size) {
  if (batch_size == 0) {
    detail::throw_invalid_argument("MSER batch_size", std::uint64_t{0}, ">= 1");
  }
  if (series.size() < 2 * batch_size) {
    detail::throw_invalid_argument("MSER series length", std::uint64_t{series.size()},
                                   ">= 2 * batch_size (at least two batches)");
  }
  for (const double x : series) {
    detail::require_finite(x, "MSER series value");
  }

  const std::size_t b = series.size() / batch_size;
  std::vector<double> z(b);
  for (std::size_t j = 0; j < b; ++j) {
    double s = 0.0;
    for (std::size_t i = 0; i < batch_size; ++i) {
      s += series[j * batch_size + i];
    }
    z[j] = s / static_cast<double>(batch_size);
  }

  // Suffix statistics by a backward Welford pass: O(b) overall and free of
  // the cancellation that sum-of-squares suffix sums suffer when the level
  // is large relative to the noise.
  std::vector<double> statistic(b);
  online_stats suffix;
  for (std::size_t j = b; j-- > 0;) {
    suffix.add(z[j]);
    // sum of squared deviations / kept^2 == population variance / kept.
    statistic[j] = suffix.population_variance() / static_cast<double>(b - j);
  }

  const std::size_t candidates = (b + 1) / 2;  // d = 0 .. ceil(b/2) - 1
  std::size_t best = 0;
  for (std::size_t d = 1; d < candidates; ++d) {
    if (statistic[d] < statistic[best]) {
      best = d;
    }
  }

  mser_result result;
  result.batch_size = batch_size;
  result.truncation = best * batch_size;
  result.statistic = statistic[best];
  result.at_search_limit = candidates > 1 && best == candidates - 1;
  online_stats tail;
  for (std::size_t i = result.truncation; i < series.size(); ++i) {
    tail.add(series[i]);
  }
  result.truncated_mean = tail.mean();
  return result;
}

}  // namespace gwsim::sim
