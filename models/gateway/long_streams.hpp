#pragma once
/// Long-lived streams (streaming gRPC, websockets, server-sent events) and
/// how long they keep old router state alive.
///
/// A worker has `long_streams_per_worker` such streams open on average
/// (design.long_streams_per_worker, m), each lasting Exp(long_connection_s,
/// L); by Little's law they start at rate m / L. Two designs wait for them:
///  - reload: an old worker generation exits when the last stream open on it
///    at the reload has closed: n ~ Poisson(m) streams;
///  - shared_rcu: a stream keeps the table version it started on (Envoy
///    snapshots the route table per stream). When a version that was current
///    for D seconds retires, the streams started on it that are still open
///    number n ~ Poisson(m (1 - exp(-D / L))).
/// By memorylessness each open stream's remaining life is Exp(L), so the last
/// one closes after T = max of n Exp(L) draws, whose distribution has a
/// closed form: P(T <= x) = E[(1 - exp(-x/L))^n] = exp(-mu exp(-x/L)) for
/// n ~ Poisson(mu) (a Gumbel law with an atom P(T = 0) = exp(-mu): no stream).
/// One uniform draw u gives T = 0 if u <= exp(-mu), else -L ln(-ln(u) / mu).

#include <cmath>

#include "sim/random.hpp"

namespace gwsim::gateway {

/// Seconds until the last of Poisson(`mean_streams`) streams, each with
/// Exp(`mean_life_s`) remaining life, has closed (0 when there is none).
inline double last_stream_closes_s(sim::rng& g, double mean_streams, double mean_life_s) {
  if (mean_streams <= 0 || mean_life_s <= 0) return 0.0;
  const double u = sim::uniform_open01(g);
  if (u <= std::exp(-mean_streams)) return 0.0;
  return -mean_life_s * std::log(-std::log(u) / mean_streams);
}

}  // namespace gwsim::gateway
