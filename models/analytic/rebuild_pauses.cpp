#include "models/analytic/rebuild_pauses.hpp"

#include "models/analytic/checks.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace gwsim::analytic {
using detail::bad;
using detail::require_non_negative;
using detail::require_positive;
using detail::unstable;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();




/// Validates the request side and returns E[S^2].
double request_second_moment(double lambda, double mean_service, double service_scv) {
  require_positive("lambda", lambda);
  require_positive("mean_service", mean_service);
  require_non_negative("service_scv", service_scv);
  return (1.0 + service_scv) * mean_service * mean_service;
}

/// Validates the rebuild durations and returns E[D^2].
double rebuild_second_moment(double mean_rebuild, double rebuild_scv) {
  require_non_negative("mean_rebuild", mean_rebuild);
  require_non_negative("rebuild_scv", rebuild_scv);
  return (1.0 + rebuild_scv) * mean_rebuild * mean_rebuild;
}


queue_metrics finish(double lambda, double load, double wait_probability, double wait, double sojourn) {
  queue_metrics m;
  m.utilisation = load;
  m.throughput = lambda;
  m.wait_probability = wait_probability;
  m.mean_wait = wait;
  m.mean_sojourn = sojourn;
  m.mean_queue_length = lambda * wait;  // Little's law on the requests
  m.mean_in_system = lambda * sojourn;
  return m;
}

enum class priority { preemptive, nonpreemptive };

queue_metrics rebuild_priority(double lambda, double mean_service, double service_scv, double rebuild_rate,
                               double mean_rebuild, double rebuild_scv, priority rule) {
  const double es2 = request_second_moment(lambda, mean_service, service_scv);
  require_non_negative("rebuild_rate", rebuild_rate);
  const double ed2 = rebuild_second_moment(mean_rebuild, rebuild_scv);
  const double r = lambda * mean_service;
  const double r_d = rebuild_rate * mean_rebuild;
  const double rho = r + r_d;
  if (rho >= 1.0) return unstable(lambda, rho);
  // Mean workload seen by a request, then the rebuild busy period it starts.
  const double workload = (lambda * es2 + rebuild_rate * ed2) / (2.0 * (1.0 - rho));
  const double wait = workload / (1.0 - r_d);
  const double in_service = rule == priority::preemptive ? mean_service / (1.0 - r_d) : mean_service;
  return finish(lambda, rho, rho, wait, wait + in_service);
}

}  // namespace

queue_metrics fifo_rebuilds(double lambda, double mean_service, double service_scv, double rebuild_rate,
                            double mean_rebuild, double rebuild_scv) {
  const double es2 = request_second_moment(lambda, mean_service, service_scv);
  require_non_negative("rebuild_rate", rebuild_rate);
  const double ed2 = rebuild_second_moment(mean_rebuild, rebuild_scv);
  const double rho = lambda * mean_service + rebuild_rate * mean_rebuild;
  if (rho >= 1.0) return unstable(lambda, rho);
  const double wait = (lambda * es2 + rebuild_rate * ed2) / (2.0 * (1.0 - rho));
  return finish(lambda, rho, rho, wait, wait + mean_service);
}

queue_metrics blocking_builds(double lambda, double mean_service, double service_scv, double build_rate,
                              double mean_build, double build_scv) {
  const double es2 = request_second_moment(lambda, mean_service, service_scv);
  require_non_negative("build_rate", build_rate);
  const double eb2 = rebuild_second_moment(mean_build, build_scv);
  const double r = lambda * mean_service;
  const double blocked = build_rate * mean_build;
  if (r >= 1.0 || blocked >= 1.0) return unstable(lambda, r + blocked);
  const double w_pk = lambda * es2 / (2.0 * (1.0 - r));
  const double wait = (1.0 - blocked) * w_pk + build_rate * eb2 * (1.0 + r) / 2.0;
  return finish(lambda, r + blocked, blocked + (1.0 - blocked) * r, wait, wait + mean_service);
}

double rebuild_worker_load(double lambda, double mean_service, double rebuild_rate, double mean_rebuild) {
  require_positive("lambda", lambda);
  require_positive("mean_service", mean_service);
  require_non_negative("rebuild_rate", rebuild_rate);
  require_non_negative("mean_rebuild", mean_rebuild);
  return lambda * mean_service + rebuild_rate * mean_rebuild;
}

queue_metrics rebuild_when_idle(double lambda, double mean_service, double service_scv, double mean_rebuild,
                                double rebuild_scv) {
  const double es2 = request_second_moment(lambda, mean_service, service_scv);
  const double ed2 = rebuild_second_moment(mean_rebuild, rebuild_scv);
  const double r = lambda * mean_service;
  if (r >= 1.0) return unstable(lambda, r);
  const double pk = lambda * es2 / (2.0 * (1.0 - r));
  // Equilibrium residual of a vacation, E[D^2] / (2 E[D]); its limit as
  // E[D] -> 0 is 0 (written so that E[D] = 0 gives no 0/0).
  const double residual = mean_rebuild > 0.0 ? ed2 / (2.0 * mean_rebuild) : 0.0;
  const double wait = pk + residual;
  return finish(lambda, r, mean_rebuild > 0.0 ? 1.0 : r, wait, wait + mean_service);
}

queue_metrics preemptive_priority(double lambda, double mean_service, double service_scv, double rebuild_rate,
                                  double mean_rebuild, double rebuild_scv) {
  return rebuild_priority(lambda, mean_service, service_scv, rebuild_rate, mean_rebuild, rebuild_scv,
                          priority::preemptive);
}

queue_metrics nonpreemptive_priority(double lambda, double mean_service, double service_scv, double rebuild_rate,
                                     double mean_rebuild, double rebuild_scv) {
  return rebuild_priority(lambda, mean_service, service_scv, rebuild_rate, mean_rebuild, rebuild_scv,
                          priority::nonpreemptive);
}

queue_metrics periodic_light_load(double lambda, double mean_service, double service_scv, double period,
                                  double mean_rebuild, double rebuild_scv, bool preemptive) {
  const double es2 = request_second_moment(lambda, mean_service, service_scv);
  require_positive("period", period);
  const double ed2 = rebuild_second_moment(mean_rebuild, rebuild_scv);
  const double r = lambda * mean_service;
  const double r_d = mean_rebuild / period;
  const double rho = r + r_d;
  if (rho >= 1.0) return unstable(lambda, rho);
  const double pk = lambda * es2 / (2.0 * (1.0 - r));
  const double wait = pk + ed2 / (2.0 * period);
  const double in_service = preemptive ? mean_service * (1.0 + mean_rebuild / period) : mean_service;
  return finish(lambda, rho, rho, wait, wait + in_service);
}

}  // namespace gwsim::analytic
