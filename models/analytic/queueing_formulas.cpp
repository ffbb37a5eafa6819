#include "models/analytic/queueing_formulas.hpp"

#include "models/analytic/checks.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace gwsim::analytic {
using detail::unstable;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

void require_rate(const char* name, double v) { detail::require_positive(name, v, "finite and > 0 (per second)"); }

void require_servers(std::size_t c) {
  if (c == 0) throw std::invalid_argument("servers = 0 is invalid: must be >= 1");
}


}  // namespace

queue_metrics mm1(double lambda, double mu) { return mmc(lambda, mu, 1); }

double mm1_sojourn_quantile(double lambda, double mu, double p) {
  require_rate("lambda", lambda);
  require_rate("mu", mu);
  if (!(p > 0.0 && p < 1.0)) {
    std::ostringstream msg;
    msg << "p = " << p << " is invalid: a quantile level must be in (0, 1)";
    throw std::invalid_argument(msg.str());
  }
  if (lambda >= mu) return inf;
  return -std::log1p(-p) / (mu - lambda);
}

double erlang_b(std::size_t servers, double erlangs) {
  if (!std::isfinite(erlangs) || erlangs < 0.0) {
    std::ostringstream msg;
    msg << "erlangs = " << erlangs << " is invalid: offered load must be finite and >= 0";
    throw std::invalid_argument(msg.str());
  }
  double b = 1.0;
  for (std::size_t k = 1; k <= servers; ++k) b = erlangs * b / (static_cast<double>(k) + erlangs * b);
  return b;
}

double erlang_c(std::size_t servers, double erlangs) {
  require_servers(servers);
  const double c = static_cast<double>(servers);
  if (erlangs >= c) return 1.0;
  const double b = erlang_b(servers, erlangs);
  const double rho = erlangs / c;
  return b / (1.0 - rho * (1.0 - b));
}

queue_metrics mmc(double lambda, double mu, std::size_t servers) {
  require_rate("lambda", lambda);
  require_rate("mu", mu);
  require_servers(servers);
  const double c = static_cast<double>(servers);
  const double a = lambda / mu;
  const double rho = a / c;
  if (rho >= 1.0) return unstable(lambda, rho);
  queue_metrics m;
  m.utilisation = rho;
  m.throughput = lambda;
  m.wait_probability = erlang_c(servers, a);
  m.mean_wait = m.wait_probability / (c * mu - lambda);
  m.mean_sojourn = m.mean_wait + 1.0 / mu;
  m.mean_queue_length = lambda * m.mean_wait;
  m.mean_in_system = lambda * m.mean_sojourn;
  return m;
}

queue_metrics mmcc(double lambda, double mu, std::size_t servers) {
  require_rate("lambda", lambda);
  require_rate("mu", mu);
  require_servers(servers);
  const double a = lambda / mu;
  queue_metrics m;
  m.blocking_probability = erlang_b(servers, a);
  m.throughput = lambda * (1.0 - m.blocking_probability);
  m.utilisation = m.throughput / (mu * static_cast<double>(servers));
  m.mean_sojourn = 1.0 / mu;
  m.mean_in_system = m.throughput / mu;
  return m;
}

queue_metrics mm1k(double lambda, double mu, std::size_t capacity) {
  require_rate("lambda", lambda);
  require_rate("mu", mu);
  if (capacity == 0) throw std::invalid_argument("capacity = 0 is invalid: must be >= 1");
  const double rho = lambda / mu;
  // P(n) is proportional to rho^n on 0..K; normalise in a way that is exact
  // at rho = 1 and does not overflow for large K.
  double norm = 0.0;
  double weighted = 0.0;
  double pn = 1.0;
  double p_last = 1.0;
  for (std::size_t n = 0; n <= capacity; ++n) {
    norm += pn;
    weighted += static_cast<double>(n) * pn;
    p_last = pn;
    pn *= rho;
    if (!std::isfinite(pn) || pn > 1e250) {
      // Rescale to keep the sums finite for heavily overloaded systems.
      norm /= pn;
      weighted /= pn;
      p_last /= pn;
      pn = 1.0;
    }
  }
  queue_metrics m;
  m.blocking_probability = p_last / norm;
  m.mean_in_system = weighted / norm;
  m.throughput = lambda * (1.0 - m.blocking_probability);
  m.utilisation = m.throughput / mu;
  m.mean_sojourn = m.mean_in_system / m.throughput;
  m.mean_wait = m.mean_sojourn - 1.0 / mu;
  m.mean_queue_length = m.throughput * m.mean_wait;
  // PASTA: accepted arrivals see n in 0..K-1 and wait when n >= 1.
  m.wait_probability = (m.utilisation - m.blocking_probability) / (1.0 - m.blocking_probability);
  return m;
}

queue_metrics mg1(double lambda, double mean_service, double scv) {
  require_rate("lambda", lambda);
  if (!std::isfinite(mean_service) || mean_service <= 0.0) {
    std::ostringstream msg;
    msg << "mean_service = " << mean_service << " s is invalid: must be finite and > 0";
    throw std::invalid_argument(msg.str());
  }
  if (!std::isfinite(scv) || scv < 0.0) {
    std::ostringstream msg;
    msg << "scv = " << scv << " is invalid: a squared coefficient of variation must be finite and >= 0";
    throw std::invalid_argument(msg.str());
  }
  const double rho = lambda * mean_service;
  if (rho >= 1.0) return unstable(lambda, rho);
  queue_metrics m;
  m.utilisation = rho;
  m.throughput = lambda;
  m.wait_probability = rho;
  // Pollaczek-Khinchine: Wq = lambda E[S^2] / (2 (1 - rho)), E[S^2] = (1 + scv) E[S]^2.
  m.mean_wait = lambda * (1.0 + scv) * mean_service * mean_service / (2.0 * (1.0 - rho));
  m.mean_sojourn = m.mean_wait + mean_service;
  m.mean_queue_length = lambda * m.mean_wait;
  m.mean_in_system = lambda * m.mean_sojourn;
  return m;
}

tandem_metrics mm1_tandem(double lambda, std::span<const double> service_rates) {
  if (service_rates.empty()) throw std::invalid_argument("service_rates is empty: a tandem needs >= 1 station");
  tandem_metrics t;
  for (double mu : service_rates) {
    queue_metrics m = mm1(lambda, mu);
    t.stable = t.stable && m.stable;
    t.mean_sojourn += m.mean_sojourn;
    t.mean_in_system += m.mean_in_system;
    t.stations.push_back(m);
  }
  return t;
}

}  // namespace gwsim::analytic
