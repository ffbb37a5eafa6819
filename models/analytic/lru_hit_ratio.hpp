#pragma once
/// Hit ratio of an LRU cache under the independent reference model (each
/// request picks item i with fixed probability p_i), by Che's approximation
/// (Che, Tung and Wang 2002; Fricker, Robert and Roberts 2012 show it is
/// asymptotically exact for Zipf popularities as the catalogue grows).
///
/// An item stays in an LRU cache of C slots for a "characteristic time" T_C
/// after its last request, the same for every item; T_C solves
///     sum_i (1 - exp(-p_i T_C)) = C,
/// and the hit ratio is sum_i p_i (1 - exp(-p_i T_C)). Time is counted in
/// requests, so only the popularities matter. A cache with at least as many
/// slots as items eventually holds them all: hit ratio 1 (steady state; a
/// cache flushed by every rebuild starts cold again, which this ignores).

#include <cstddef>
#include <span>
#include <vector>

namespace gwsim::analytic {

/// Zipf popularities over n items with exponent s >= 0 (s = 0: uniform):
/// p_i proportional to 1 / i^s, i = 1..n, summing to 1.
std::vector<double> zipf_popularity(std::size_t n, double s);

/// Che's LRU hit ratio for `popularity` (non-negative, summing to 1 within
/// 1e-9) and `slots` slots. Throws std::invalid_argument naming the argument.
///
/// `one_time_share` in [0, 1]: that share of requests carries a key never
/// requested before (an id in the URI) and the rest follow `popularity`.
/// One-time keys never hit but take slots: with request probabilities
/// q_i = (1 - u) p_i, T_C solves sum_i (1 - exp(-q_i T_C)) + u T_C = C (a
/// one-time key also stays T_C requests), and the hit ratio is
/// sum_i q_i (1 - exp(-q_i T_C)).
double che_lru_hit_ratio(std::span<const double> popularity, double slots, double one_time_share = 0.0);

}  // namespace gwsim::analytic
