#include "models/calibration/bench_results.hpp"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace gwsim::calibration {
namespace {

constexpr std::string_view operations[] = {"Build", "Match", "Add", "Remove", "Update"};

std::optional<long long> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

double to_ns(double value, std::string_view unit, std::string_view source, const std::string& name) {
  if (unit == "ns") return value;
  if (unit == "us") return value * 1e3;
  if (unit == "ms") return value * 1e6;
  if (unit == "s") return value * 1e9;
  throw std::invalid_argument(std::string(source) + ": " + name + ".time_unit = \"" + std::string(unit) +
                              "\" is invalid: must be one of ns, us, ms, s");
}

}  // namespace

std::string snake_case(std::string_view camel) {
  std::string out;
  for (std::size_t i = 0; i < camel.size(); ++i) {
    const auto ch = static_cast<unsigned char>(camel[i]);
    if (std::isupper(ch) != 0) {
      if (i > 0) out += '_';
      out += static_cast<char>(std::tolower(ch));
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string camel_case(std::string_view snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
      continue;
    }
    const auto ch = static_cast<unsigned char>(c);
    out += up ? static_cast<char>(std::toupper(ch)) : c;
    up = false;
  }
  return out;
}

std::optional<bench_name> parse_bench_name(std::string_view name) {
  if (!name.starts_with("BM_")) return std::nullopt;
  name.remove_prefix(3);
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view head = name.substr(0, slash);
  bench_name out;
  for (std::string_view op : operations) {
    if (head.size() > op.size() && head.ends_with(op)) {
      const std::string_view design = head.substr(0, head.size() - op.size());
      if (std::isupper(static_cast<unsigned char>(design.front())) == 0) return std::nullopt;
      for (char c : design) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0) return std::nullopt;
      }
      out.design = snake_case(design);
      out.operation = snake_case(op);
      break;
    }
  }
  if (out.design.empty()) return std::nullopt;
  // Arguments: /<N>[/<hit%>], then Google Benchmark's key:value or word suffixes.
  std::vector<long long> args;
  std::string_view rest = name.substr(slash + 1);
  while (!rest.empty()) {
    const std::size_t next = rest.find('/');
    const std::string_view part = rest.substr(0, next);
    if (const auto v = parse_int(part)) {
      if (args.size() == 2) return std::nullopt;
      args.push_back(*v);
    } else if (part.find(':') == std::string_view::npos && part != "real_time" && part != "manual_time") {
      return std::nullopt;
    }
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
  }
  if (args.empty() || args[0] < 1) return std::nullopt;
  out.n = static_cast<double>(args[0]);
  if (args.size() == 2) {
    if (args[1] > 100) return std::nullopt;
    out.hit_percent = static_cast<int>(args[1]);
  }
  return out;
}

std::vector<bench_sample> parse_benchmark_json(std::string_view text, std::string_view source,
                                               std::vector<std::string>* skipped) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(std::string(source) + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array()) {
    throw std::invalid_argument(std::string(source) +
                                ": benchmarks = (missing) is invalid: a Google Benchmark JSON document needs a "
                                "\"benchmarks\" array (run with --benchmark_format=json)");
  }
  std::vector<bench_sample> iterations;
  std::map<std::string, bench_sample> medians;
  for (const nlohmann::json& b : doc["benchmarks"]) {
    if (!b.is_object()) continue;
    const std::string name = b.value("name", std::string{});
    const std::string run_name = b.value("run_name", name);
    const auto parsed = parse_bench_name(run_name);
    if (!parsed) continue;
    const std::string run_type = b.value("run_type", std::string("iteration"));
    const bool median = run_type == "aggregate" && b.value("aggregate_name", std::string{}) == "median";
    if (run_type == "aggregate" && !median) continue;
    if (b.value("error_occurred", false)) {
      if (skipped != nullptr) skipped->push_back(run_name + ": " + b.value("error_message", std::string("error")));
      continue;
    }
    if (!b.contains("cpu_time") || !b["cpu_time"].is_number() || !b.contains("time_unit") ||
        !b["time_unit"].is_string()) {
      throw std::invalid_argument(std::string(source) + ": " + name +
                                  ".cpu_time = (missing) is invalid: a number with a time_unit is required");
    }
    bench_sample s;
    s.name = run_name;
    s.design = parsed->design;
    s.operation = parsed->operation;
    s.n = parsed->n;
    s.hit_percent = parsed->hit_percent;
    s.ns = to_ns(b["cpu_time"].get<double>(), b["time_unit"].get<std::string>(), source, name);
    static const std::set<std::string> standard = {"name",
                                                   "family_index",
                                                   "per_family_instance_index",
                                                   "run_name",
                                                   "run_type",
                                                   "repetitions",
                                                   "repetition_index",
                                                   "threads",
                                                   "iterations",
                                                   "real_time",
                                                   "cpu_time",
                                                   "time_unit",
                                                   "aggregate_name",
                                                   "aggregate_unit",
                                                   "error_occurred",
                                                   "error_message",
                                                   "items_per_second",
                                                   "bytes_per_second",
                                                   "label"};
    for (const auto& [k, v] : b.items()) {
      if (!standard.contains(k) && v.is_number()) s.counters[k] = v.get<double>();
    }
    if (median) {
      medians[run_name] = std::move(s);
    } else {
      iterations.push_back(std::move(s));
    }
  }
  std::vector<bench_sample> out;
  std::set<std::string> done;
  for (bench_sample& s : iterations) {
    const auto m = medians.find(s.name);
    if (m == medians.end()) {
      out.push_back(std::move(s));
    } else if (done.insert(s.name).second) {
      out.push_back(m->second);
    }
  }
  for (auto& [name, s] : medians) {
    if (!done.contains(name)) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gwsim::calibration
