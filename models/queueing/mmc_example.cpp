// gwsim_mmc: an M/M/c queue simulated with independent replications and
// compared with Erlang C, the kernel's validated example.
//
//   gwsim_mmc [--servers C] [--loads 0.5,0.8,0.9] [--replications N]
//             [--run-length SECONDS] [--seed S]

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/analytic/queueing_formulas.hpp"
#include "models/queueing/experiment.hpp"

namespace {

struct options {
  std::size_t servers = 4;
  std::vector<double> loads{0.5, 0.8, 0.9};
  std::size_t replications = 30;
  double run_length_s = 20'000.0;
  std::uint64_t seed = 1;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "gwsim_mmc: %s\nusage: gwsim_mmc [--servers C>=1] [--loads L1,L2,.. each in (0,1)] "
               "[--replications N>=2] [--run-length SECONDS>0] [--seed S]\n", msg.c_str());
  std::exit(2);
}

double parse_double(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    usage_error(flag + " = '" + text + "' is not a number");
  }
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage_error("help");
    if (i + 1 >= argc) usage_error(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--servers") {
      double v = parse_double(flag, value);
      if (v < 1 || v > 1024 || v != std::floor(v)) usage_error("--servers = " + value + " must be an integer in [1, 1024]");
      o.servers = static_cast<std::size_t>(v);
    } else if (flag == "--loads") {
      o.loads.clear();
      std::stringstream ss(value);
      for (std::string item; std::getline(ss, item, ',');) {
        double v = parse_double(flag, item);
        if (!(v > 0 && v < 1)) usage_error("--loads: " + item + " must be in (0, 1) (per-server utilisation)");
        o.loads.push_back(v);
      }
      if (o.loads.empty()) usage_error("--loads is empty");
    } else if (flag == "--replications") {
      double v = parse_double(flag, value);
      if (v < 2 || v > 10'000 || v != std::floor(v)) usage_error("--replications = " + value + " must be an integer in [2, 10000]");
      o.replications = static_cast<std::size_t>(v);
    } else if (flag == "--run-length") {
      double v = parse_double(flag, value);
      if (!(v > 0 && v <= 1e9)) usage_error("--run-length = " + value + " s must be in (0, 1e9]");
      o.run_length_s = v;
    } else if (flag == "--seed") {
      double v = parse_double(flag, value);
      if (v < 0 || v != std::floor(v) || v > 9.0e15) usage_error("--seed = " + value + " must be an integer in [0, 9e15]");
      o.seed = static_cast<std::uint64_t>(v);
    } else {
      usage_error("unknown option " + flag);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gwsim;
  const options o = parse(argc, argv);
  const double mu = 1.0;  // service rate: 1 per second, so times read in mean service times
  std::printf("M/M/%zu queue, service rate mu = %.1f /s, %zu replications x %.0f s (after %.0f s warm-up), "
              "99%% confidence intervals\n\n",
              o.servers, mu, o.replications, o.run_length_s, 0.05 * o.run_length_s);
  std::printf("%-6s %-34s %11s %11s %11s %8s  %s\n", "load", "measure", "simulated", "99% CI +/-", "Erlang C",
              "rel.err", "in CI");
  int failures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t events = 0;
  for (double load : o.loads) {
    const double lambda = load * mu * static_cast<double>(o.servers);
    queueing::network_config cfg;
    cfg.interarrival = sim::exponential(lambda);
    cfg.stations = {queueing::station_config{o.servers, 0, sim::exponential(mu)}};
    cfg.warmup_s = 0.05 * o.run_length_s;
    cfg.run_length_s = o.run_length_s;
    const bool tty = isatty(STDERR_FILENO) != 0;
    auto result = queueing::run_experiment(cfg, o.replications, o.seed, 0.99, [load, tty](std::size_t done, std::size_t total) {
      if (!tty) return;
      std::fprintf(stderr, "\r  load %.2f: replication %zu/%zu", load, done, total);
      if (done == total) std::fprintf(stderr, "\r%60s\r", "");
    });
    events += result.events;
    const analytic::queue_metrics a = analytic::mmc(lambda, mu, o.servers);
    struct row {
      const char* label;
      const char* key;
      double exact;
    };
    const row rows[] = {
        {"P(wait) (probability)", "s0.wait_probability", a.wait_probability},
        {"mean wait (s)", "s0.mean_wait", a.mean_wait},
        {"mean sojourn (s)", "s0.mean_sojourn", a.mean_sojourn},
        {"mean number in system (customers)", "s0.mean_in_system", a.mean_in_system},
        {"mean queue length (customers)", "s0.mean_queue_length", a.mean_queue_length},
        {"server utilisation (fraction)", "s0.utilisation", a.utilisation},
    };
    for (const row& r : rows) {
      const sim::confidence_interval& ci = result.measures.at(r.key);
      const double rel = std::abs(ci.mean - r.exact) / r.exact;
      const bool inside = ci.contains(r.exact);
      if (!inside) ++failures;
      std::printf("%-6.2f %-34s %11.4f %11.4f %11.4f %7.2f%%  %s\n", load, r.label, ci.mean, ci.half_width, r.exact,
                  100.0 * rel, inside ? "yes" : "NO");
    }
    const double little = result.measures.at("s0.little_relative_error").mean;
    std::printf("%-6.2f %-34s %11.2e\n\n", load, "Little's law |L - lW| / L (fraction)", little);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.3g events in %.2f s wall time (%.1f M events/s including statistics)\n", static_cast<double>(events),
              secs, static_cast<double>(events) / secs / 1e6);
  std::printf("%s\n", failures == 0 ? "every analytic value lies inside its 99% confidence interval"
                                    : "some analytic values lie outside their 99% confidence intervals "
                                      "(expected for about 1 in 100 comparisons)");
  return 0;
}
