#pragma once
/// Request latency of a worker that also rebuilds its router: one server,
/// FIFO requests arriving Poisson at rate `lambda` with service S (mean
/// `mean_service`, squared coefficient of variation `service_scv`), and
/// rebuilds of duration D (mean `mean_rebuild`, scv `rebuild_scv`).
///
/// Notation: r = lambda E[S], r_d = v E[D] (v the rebuild rate), rho = r + r_d,
/// E[S^2] = (1 + scv_S) E[S]^2, E[D^2] = (1 + scv_D) E[D]^2, and
/// W_PK = lambda E[S^2] / (2 (1 - r)) the Pollaczek-Khinchine wait.
///
/// `mean_wait` is always the time from a request's arrival to the FIRST start
/// of its service; `mean_sojourn` is arrival to departure.
///
/// Derivation of the priority forms (b, c). Requests and rebuilds share one
/// work-conserving server, so the mean workload a Poisson request sees (PASTA)
/// is that of an M/G/1 fed by both streams:
///     E[U] = (lambda E[S^2] + v E[D^2]) / (2 (1 - rho)).
/// Everything present at a request's arrival is served before it (rebuilds
/// have priority, requests are FIFO), and so is every rebuild arriving before
/// it starts. Its wait is therefore a busy period of rebuild arrivals started
/// by U, with mean E[U] / (1 - r_d), under either priority rule:
///     Wq = (lambda E[S^2] + v E[D^2]) / (2 (1 - r_d)(1 - rho))     (Cobham).
/// Non-preemptive: T = Wq + E[S]. Preemptive-resume: rebuilds arriving during
/// its service extend it to a busy period started by S, so
///     T = Wq + E[S] / (1 - r_d).
///
/// Stability: the worker is unstable when rho = r + r_d >= 1 (for rebuilds
/// taken only when idle, when r >= 1). An unstable worker is reported as
/// `stable == false` with infinite means, never NaN. Invalid parameters throw
/// std::invalid_argument naming the parameter.

#include "models/analytic/queueing_formulas.hpp"

namespace gwsim::analytic {

/// Load offered to the worker, r + r_d = lambda E[S] + v E[D]: the worker is
/// stable iff it is < 1.
double rebuild_worker_load(double lambda, double mean_service, double rebuild_rate, double mean_rebuild);

/// (a) Rebuilds taken only when idle, as M/G/1 with MULTIPLE vacations: each
/// time the server finds the request queue empty it starts a rebuild D; when
/// the rebuild ends it serves the queue if non-empty, else rebuilds again.
/// (The rebuild rate is then set by the traffic, not chosen.)
/// Fuhrmann-Cooper decomposition: the wait is the M/G/1 wait plus the
/// equilibrium residual of a vacation, since a Poisson arrival that finds no
/// work in the system lands in a vacation and waits for its residual:
///     Wq = W_PK + E[D^2] / (2 E[D]) = W_PK + (1 + scv_D) E[D] / 2.
/// Stable iff r < 1; `utilisation` is r (the server is never idle: the rest
/// of the time it rebuilds), `wait_probability` is 1. E[D] = 0 gives P-K.
/// Note: this is the multiple-vacation model; with a SINGLE vacation per idle
/// period the residual term is different, so it is not what is computed here.
queue_metrics rebuild_when_idle(double lambda, double mean_service, double service_scv, double mean_rebuild,
                                double rebuild_scv);

/// (b) Rebuilds arrive Poisson at `rebuild_rate` v, have preemptive-resume
/// priority over requests (FIFO among themselves). Mean request wait and
/// sojourn as derived above: T = E[S]/(1 - r_d) + (lambda E[S^2] + v E[D^2]) /
/// (2 (1 - r_d)(1 - rho)). v = 0 or E[D] = 0 gives M/G/1.
queue_metrics preemptive_priority(double lambda, double mean_service, double service_scv, double rebuild_rate,
                                  double mean_rebuild, double rebuild_scv);

/// (c) As (b) but a rebuild waits for the request in service (non-preemptive
/// priority, Cobham): Wq = (lambda E[S^2] + v E[D^2]) / (2 (1 - r_d)(1 - rho)).
queue_metrics nonpreemptive_priority(double lambda, double mean_service, double service_scv, double rebuild_rate,
                                     double mean_rebuild, double rebuild_scv);

/// (e) Rebuilds arrive Poisson at `rebuild_rate` v and join the SAME FIFO
/// queue as requests (an event loop that queues a rebuild's CPU work behind
/// the requests already waiting, as gwsim's worker does; rebuilds have no
/// priority). The server is an M/G/1 fed by the merged Poisson stream of
/// rate lambda + v whose service is S with probability lambda/(lambda + v)
/// and D otherwise, so by Pollaczek-Khinchine every arrival waits
///     Wq = (lambda E[S^2] + v E[D^2]) / (2 (1 - rho)),
/// which is (c) without the factor 1/(1 - r_d): a request is not overtaken
/// by rebuilds that arrive while it waits. T = Wq + E[S]. v = 0 or E[D] = 0
/// gives M/G/1.
queue_metrics fifo_rebuilds(double lambda, double mean_service, double service_scv, double rebuild_rate,
                            double mean_rebuild, double rebuild_scv);

/// (f) Blocking builds on demand (Kong's strict worker consistency): builds
/// of duration B (mean `mean_build`, scv `build_scv`) at mean rate v during
/// which NO request is served (they wait on the build's mutex), the next
/// build starting only after the backlog built up meanwhile has been served
/// (the first request after a write triggers it). A Poisson request lands in
/// a build with probability v E[B] and then waits the build's length-biased
/// residual E[B^2] / (2 E[B]) plus the service of the requests that arrived
/// before it in that build, lambda E[S] times that residual on average;
/// otherwise it sees the M/G/1 queue:
///     Wq ~= (1 - v E[B]) W_PK + v E[B^2] (1 + r) / 2.
/// A first-order (light-load) form: exact as v -> 0; it neglects backlog
/// left from one build when the next starts. The worker serves all requests
/// iff r < 1 and v E[B] < 1 (`stable` false otherwise).
queue_metrics blocking_builds(double lambda, double mean_service, double service_scv, double build_rate,
                              double mean_build, double build_scv);

/// (d) A rebuild is due every `period` T (non-preemptive: a rebuild due while
/// a request is in service starts when it ends). Light-load approximation:
///     Wq ~= W_PK + E[D^2] / (2 T)        (= W_PK + D^2/(2T) for constant D),
/// because a Poisson request lands inside a rebuild with probability E[D]/T
/// and then waits its length-biased residual, mean E[D^2]/(2 E[D]).
/// With `preemptive` a rebuild also interrupts the request in service, adding
/// E[S] E[D] / T to the sojourn (but not to the wait).
/// Validity: exact as r -> 0 when D <= T. The neglected terms are of order
/// r * E[D^2]/(2T) (requests that arrive during a rebuild queue behind each
/// other: the first-order correction multiplies the rebuild term by 1/(1-r))
/// and r_d * W_PK (rebuilds falling due while requests wait), so the relative
/// error is about r + r_d W_PK T / E[D^2]: use it for r <~ 0.01 and
/// E[D] << T. Stability is rho = r + E[D]/T < 1.
queue_metrics periodic_light_load(double lambda, double mean_service, double service_scv, double period,
                                  double mean_rebuild, double rebuild_scv, bool preemptive = false);

}  // namespace gwsim::analytic
