#pragma once
/// Closed forms of classic queues: the yardsticks the kernel is validated
/// against (tests/models/queueing) and the building blocks of the gateway's
/// latency formulas. Times are in seconds, rates per second.

#include <cstddef>
#include <span>
#include <vector>

namespace gwsim::analytic {

/// Steady-state measures of a queue. An unstable queue (offered load >= 1 on
/// an unbounded buffer) has `stable == false` and infinite means, never NaN.
struct queue_metrics {
  bool stable = true;
  double utilisation = 0;         ///< per-server busy fraction
  double throughput = 0;          ///< accepted arrivals per second
  double wait_probability = 0;    ///< P(an accepted arrival waits)
  double blocking_probability = 0;
  double mean_wait = 0;           ///< time in queue, s
  double mean_sojourn = 0;        ///< wait + service, s
  double mean_queue_length = 0;   ///< Lq
  double mean_in_system = 0;      ///< L
};

/// M/M/1 with arrival rate `lambda` and service rate `mu`.
queue_metrics mm1(double lambda, double mu);
/// p-quantile of the M/M/1 sojourn time (exponential with rate mu - lambda).
double mm1_sojourn_quantile(double lambda, double mu, double p);

/// M/M/c: Erlang C.
queue_metrics mmc(double lambda, double mu, std::size_t servers);

/// Erlang B blocking probability of c servers offered `erlangs` of traffic,
/// by the numerically stable recursion B(k) = a B(k-1) / (k + a B(k-1)).
double erlang_b(std::size_t servers, double erlangs);
/// Erlang C: probability that an arrival waits in M/M/c (needs a < c).
double erlang_c(std::size_t servers, double erlangs);

/// M/M/c/c loss system (no waiting room).
queue_metrics mmcc(double lambda, double mu, std::size_t servers);

/// M/M/1/K: one server, at most `capacity` customers in the system.
queue_metrics mm1k(double lambda, double mu, std::size_t capacity);

/// M/G/1 by Pollaczek-Khinchine: service with mean `mean_service` (s) and
/// squared coefficient of variation `scv` (0 = deterministic, 1 = exponential).
queue_metrics mg1(double lambda, double mean_service, double scv);

/// Open tandem of M/M/1 stations (a Jackson network): arrivals at rate
/// `lambda` visit every station once, in order. Per-station and end-to-end
/// measures; by Jackson's theorem the stations behave as independent M/M/1s.
struct tandem_metrics {
  bool stable = true;
  double mean_sojourn = 0;    ///< end to end, s
  double mean_in_system = 0;  ///< all stations
  std::vector<queue_metrics> stations;
};
tandem_metrics mm1_tandem(double lambda, std::span<const double> service_rates);

}  // namespace gwsim::analytic
