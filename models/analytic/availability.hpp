#pragma once
/// Availability of one gateway pod whose workers rebuild their routers and are
/// OOM-killed: a continuous-time Markov chain (CTMC) over worker states.
///
/// Each of the W workers is in one of four states:
///   serving     - has a current router and serves requests;
///   rebuilding  - is building a new router after a config change (not serving);
///   killed      - was OOM-killed and waits for the master to respawn it;
///   restarting  - was respawned and builds its first router (not serving).
///
/// Modelling assumptions (all holding times exponential, workers exchangeable):
///  * A serving worker receives rebuild triggers (writes reaching it) as a
///    Poisson stream of rate `rebuild_rate`; each trigger starts a rebuild
///    (serving -> rebuilding).
///  * A write reaching a worker that is already rebuilding is absorbed by the
///    rebuild in progress: no extra rebuild is queued. (With exponential
///    durations, restarting the rebuild from scratch instead would give the
///    same chain, by memorylessness.) Writes reaching killed or restarting
///    workers are ignored too: a restart builds from the current config.
///  * A rebuild lasts Exp(mean `mean_rebuild`). Its memory peak is taken to be
///    its completion: when a rebuild completes while r workers are rebuilding
///    (itself included), the pod exceeds its memory limit with probability
///    p_oom[r-1], and then exactly this worker is OOM-killed
///    (rebuilding -> killed) instead of returning to serving
///    (rebuilding -> serving). That transition is the "kill"; the other
///    workers are not affected. The caller supplies p_oom (the link to the
///    memory model), p_oom[k-1] for k = 1..W concurrent rebuilds.
///  * A killed worker is respawned after Exp(mean `respawn_delay`)
///    (killed -> restarting), independently of the others.
///  * A restarting worker builds its router in Exp(mean `restart_build`) and
///    then serves (restarting -> serving). Restart builds are assumed not to
///    push the pod over its limit and do not count as concurrent rebuilds.
///
/// By exchangeability the state is the vector of counts
/// (n_serving, n_rebuilding, n_killed, n_restarting) summing to W:
/// C(W+3, 3) states (969 at W = 16). With m = 1/mean_rebuild,
/// d = 1/respawn_delay, b = 1/restart_build, lambda = rebuild_rate, the
/// generator Q has off-diagonal rates
///   (s, r, k, q) -> (s-1, r+1, k, q)   s * lambda
///   (s, r, k, q) -> (s+1, r-1, k, q)   r * m * (1 - p_oom[r-1])
///   (s, r, k, q) -> (s, r-1, k+1, q)   r * m * p_oom[r-1]           (kill)
///   (s, r, k, q) -> (s, r, k-1, q+1)   k * d
///   (s, r, k, q) -> (s+1, r, k, q-1)   q * b
/// and diagonal minus the row sum. All-serving is reachable from every state,
/// so there is a single closed class and a unique stationary distribution.
///
/// Closed form for W = 1 (used by the tests): with p = p_oom[0],
///   pi_serving = 1 / (1 + lambda (mean_rebuild + p (respawn_delay + restart_build))),
///   pi_rebuilding = lambda mean_rebuild pi_serving,
///   pi_killed = p lambda respawn_delay pi_serving,
///   pi_restarting = p lambda restart_build pi_serving,
///   kills per second = p lambda pi_serving.
/// With p_oom = 0 the workers are independent two-state chains and the
/// serving fraction is 1 / (1 + lambda mean_rebuild) for any W.
///
/// Invalid parameters throw std::invalid_argument naming the parameter.

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <cstddef>
#include <vector>

namespace gwsim::analytic {

struct availability_params {
  std::size_t workers = 1;     ///< W, 1..availability_max_workers
  double rebuild_rate = 0.0;   ///< rebuild triggers per second reaching each serving worker, >= 0
  double mean_rebuild = 1.0;   ///< mean rebuild duration, s, > 0
  std::vector<double> p_oom;   ///< size W; p_oom[k-1] in [0, 1]: kill probability with k concurrent rebuilds
  double respawn_delay = 1.0;  ///< mean time from kill to respawn, s, > 0
  double restart_build = 1.0;  ///< mean router build time of a respawned worker, s, > 0
};

/// Largest W accepted (C(67, 3) = 47,905 states; the generator is sparse).
inline constexpr std::size_t availability_max_workers = 64;

struct worker_counts {
  std::size_t serving = 0;
  std::size_t rebuilding = 0;
  std::size_t killed = 0;
  std::size_t restarting = 0;
  friend bool operator==(const worker_counts&, const worker_counts&) = default;
};

struct availability_metrics {
  double serving_fraction = 0.0;    ///< E[n_serving] / W
  double prob_any_serving = 0.0;    ///< P(n_serving >= 1): fraction of time the pod can serve
  double prob_none_serving = 0.0;   ///< P(n_serving = 0) = 1 - prob_any_serving
  double prob_all_down = 0.0;       ///< P(n_killed + n_restarting = W): no live worker with a router
  double oom_kills_per_hour = 0.0;  ///< 3600 * sum_states pi * r m p_oom[r-1]
  double mean_rebuilding = 0.0;     ///< E[n_rebuilding]
  double mean_killed = 0.0;         ///< E[n_killed]
  double mean_restarting = 0.0;     ///< E[n_restarting]
};

class availability_chain {
 public:
  /// Validates the parameters (std::invalid_argument naming the offender)
  /// and builds the state space and the generator.
  explicit availability_chain(availability_params params);

  const availability_params& params() const noexcept { return params_; }
  std::size_t size() const noexcept { return states_.size(); }
  const std::vector<worker_counts>& states() const noexcept { return states_; }
  /// Index of a state; throws std::invalid_argument if the counts do not sum to W.
  std::size_t index_of(const worker_counts& c) const;
  /// Row-major convention: Q(i, j) is the rate from state i to state j.
  const Eigen::SparseMatrix<double>& generator() const noexcept { return q_; }
  /// Q as a dense matrix (for inspection; n^2 memory).
  Eigen::MatrixXd dense_generator() const { return Eigen::MatrixXd(q_); }

  /// Distribution concentrated on one state.
  Eigen::VectorXd point_mass(const worker_counts& c) const;

  /// Stationary distribution: solves pi Q = 0, sum pi = 1 with one balance
  /// equation replaced by the normalisation (sparse LU). Round-off negatives
  /// are clamped to 0 and the result renormalised.
  Eigen::VectorXd steady_state() const;

  /// Distribution at time t >= 0 from `initial` (non-negative, sums to 1
  /// within 1e-9), by uniformisation: with L = max_i |Q(i,i)| and
  /// P = I + Q / L, pi(t) = sum_n Poisson(n; L t) initial P^n. The horizon is
  /// split into steps with L h <= 32 (so e^{-L h} does not underflow) and each
  /// step's series is truncated once the Poisson tail bound
  ///   sum_{j > n} w_j <= w_{n+1} / (1 - L h / (n + 2))   (n + 2 > L h)
  /// is below tolerance / steps. Since P is stochastic, the L1 error of the
  /// result is at most `tolerance` (plus round-off). Cost O(L t * nnz(Q));
  /// L t above 1e7 is rejected (use steady_state for long horizons).
  Eigen::VectorXd transient(const Eigen::VectorXd& initial, double t, double tolerance = 1e-10) const;

  /// Metrics of any distribution over states() (e.g. steady_state() or transient()).
  availability_metrics metrics(const Eigen::VectorXd& distribution) const;
  availability_metrics steady_metrics() const { return metrics(steady_state()); }

  /// Total kill rate (per second) out of state i: r m p_oom[r-1].
  double kill_rate(std::size_t state) const;

 private:
  availability_params params_;
  std::vector<worker_counts> states_;
  std::vector<std::size_t> lookup_;  // (r, k, q) -> index, (W+1)^3 entries
  Eigen::SparseMatrix<double> q_;
  double uniform_rate_ = 0.0;
};

}  // namespace gwsim::analytic
