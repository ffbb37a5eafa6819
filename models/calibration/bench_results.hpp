#pragma once
/// Google Benchmark JSON output read as router cost samples.
///
/// Router benchmarks are named BM_<Design><Operation>/<N>[/<hit%>], with
/// <Design> in CamelCase (Traditional, Radix, Incremental, Sharded,
/// DoubleBuffered, ...) and <Operation> one of Build, Match, Add, Remove,
/// Update. Suffixes Google Benchmark appends (/min_time:0.300,
/// /iterations:5, /real_time, ...) are ignored. Any other benchmark is not a
/// sample and is skipped. The design name becomes snake_case
/// (DoubleBuffered -> double_buffered).
///
/// The cost of a sample is the CPU time per iteration: other processes
/// competing for the cores stretch the wall time but not the CPU time.
/// When a run was repeated and a "median" aggregate exists, it replaces the
/// individual repetitions.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gwsim::calibration {

/// One measured router benchmark.
struct bench_sample {
  std::string name;                        ///< the benchmark's run name, as reported
  std::string design;                      ///< snake_case design, e.g. "traditional"
  std::string operation;                   ///< "build", "match", "add", "remove" or "update"
  double n = 0.0;                          ///< routes in the router
  std::optional<int> hit_percent;          ///< the nominal hit share of a match benchmark
  double ns = 0.0;                         ///< CPU ns per iteration
  std::map<std::string, double> counters;  ///< user counters (bytes_per_route, hit_ratio, ...)
};

/// The parsed name of a router benchmark, or nullopt for any other name.
struct bench_name {
  std::string design;
  std::string operation;
  double n = 0.0;
  std::optional<int> hit_percent;
};
[[nodiscard]] std::optional<bench_name> parse_bench_name(std::string_view name);

/// "DoubleBuffered" -> "double_buffered".
[[nodiscard]] std::string snake_case(std::string_view camel);
/// "double_buffered" -> "DoubleBuffered".
[[nodiscard]] std::string camel_case(std::string_view snake);

/// The router samples of a Google Benchmark JSON document. Throws
/// std::invalid_argument naming `source` when the text is not JSON or has no
/// "benchmarks" array, or when a router benchmark lacks cpu_time/time_unit
/// or has an unknown time unit. Runs that report an error are skipped and
/// named in `skipped` when it is given.
[[nodiscard]] std::vector<bench_sample> parse_benchmark_json(std::string_view text, std::string_view source,
                                                             std::vector<std::string>* skipped = nullptr);

}  // namespace gwsim::calibration
