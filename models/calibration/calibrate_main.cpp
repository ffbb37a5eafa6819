// gwsim_calibrate: measures the router designs with the Google Benchmark
// suite (or reads a saved run), fits their costs and writes a calibration
// file for the gateway model.
//
//   gwsim_calibrate [--bench PATH] [--from-json FILE] [--save-json FILE]
//                   [--designs a,b,...] [--out FILE] [--min-time SECONDS]
//                   [--note TEXT]
//
// The benchmarks run as `PATH --benchmark_filter=<router benchmarks>
// --benchmark_out=<json> --benchmark_out_format=json`; their console lines
// are echoed to stderr as progress while they run.

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/calibration/bench_results.hpp"
#include "models/calibration/calibrate.hpp"
#include "models/calibration/calibration_file.hpp"

namespace fs = std::filesystem;
using namespace gwsim::calibration;

namespace {

struct options {
  std::string bench = GWSIM_DEFAULT_BENCH;
  std::string from_json;
  std::string save_json;
  std::string out = std::string(GWSIM_SOURCE_DIR) + "/scenarios/calibration/measured.toml";
  std::vector<std::string> designs = default_designs;
  std::string min_time;
  std::string note;
};

void usage(std::ostream& o) {
  o << "usage: gwsim_calibrate [options]\n"
       "  --bench PATH        benchmark binary to run (default " GWSIM_DEFAULT_BENCH
       ")\n"
       "  --from-json FILE    read a saved Google Benchmark JSON run instead of running\n"
       "  --save-json FILE    keep the raw JSON of the run\n"
       "  --designs LIST      comma-separated snake_case designs, or \"all\" for every design\n"
       "                      with benchmarks (default traditional,radix,incremental,sharded)\n"
       "  --out FILE          calibration to write (default <source>/scenarios/calibration/measured.toml)\n"
       "  --min-time SECONDS  passed as --benchmark_min_time (benchmarks that set\n"
       "                      their own MinTime, as the router ones do, keep it)\n"
       "  --note TEXT         a line for the file's header comment (e.g. how loaded the machine was)\n";
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

options parse_options(int argc, char** argv) {
  options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      usage(std::cout);
      std::exit(0);
    }
    if (i + 1 >= args.size()) throw std::invalid_argument("option " + a + " is unknown or lacks its value");
    const std::string& v = args[++i];
    if (a == "--bench") {
      o.bench = v;
    } else if (a == "--from-json") {
      o.from_json = v;
    } else if (a == "--save-json") {
      o.save_json = v;
    } else if (a == "--out") {
      o.out = v;
    } else if (a == "--designs") {
      o.designs = split(v);
      if (o.designs.empty()) throw std::invalid_argument("--designs = \"\" is invalid: name designs or \"all\"");
      if (o.designs == std::vector<std::string>{"all"}) o.designs.clear();
    } else if (a == "--min-time") {
      o.min_time = v;
    } else if (a == "--note") {
      o.note = v;
    } else {
      throw std::invalid_argument("option " + a + " is unknown (see --help)");
    }
  }
  return o;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot be read (missing file or no permission)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs the benchmarks, echoing their console output as progress; returns the JSON text.
std::string run_benchmarks(const options& o) {
  if (!fs::exists(o.bench)) {
    throw std::invalid_argument("--bench = " + o.bench +
                                " does not exist: build it (cmake --build <build> --target gwsim_bench) or pass "
                                "--bench PATH or --from-json FILE");
  }
  std::string designs;
  for (const std::string& d : o.designs) designs += (designs.empty() ? "" : "|") + camel_case(d);
  if (o.designs.empty()) designs = "[A-Za-z0-9]+";  // --designs all
  const std::string filter = "^BM_(" + designs + ")(Build|Match|Add|Remove|Update)/";
  const fs::path json = o.save_json.empty()
                            ? fs::temp_directory_path() / ("gwsim_calibrate_" + std::to_string(::getpid()) + ".json")
                            : fs::path(o.save_json);
  std::string cmd = shell_quote(o.bench) + " " + shell_quote("--benchmark_filter=" + filter) +
                    " --benchmark_out=" + shell_quote(json.string()) + " --benchmark_out_format=json";
  if (!o.min_time.empty()) cmd += " --benchmark_min_time=" + shell_quote(o.min_time);
  std::cerr << "running " << cmd << "\n(router benchmarks take about a minute)\n";
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start " + o.bench);
  char line[4096];
  int done = 0;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    const std::string l(line);
    if (l.starts_with("BM_")) {
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "[" << ++done << ", " << std::fixed << std::setprecision(0) << t << " s] " << l;
    } else if (l.find("rror") != std::string::npos) {
      std::cerr << l;
    }
  }
  const int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error(o.bench + " failed (status " + std::to_string(status) + ")");
  std::string text = read_text(json.string());
  if (o.save_json.empty()) fs::remove(json);
  return text;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string machine_note() {
  std::string arch = "unknown";
  utsname u{};
  if (::uname(&u) == 0) arch = u.machine;
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string l; std::getline(info, l);) {
    if (l.starts_with("model name")) {
      cpu = l.substr(l.find(':') + 2);
      break;
    }
  }
  return arch + "; " + cpu;
}

/// ns as a short figure with a unit (ns, µs, ms, s).
std::string with_unit(double ns) {
  std::ostringstream s;
  s << std::setprecision(3);
  if (ns < 1e3) {
    s << ns << " ns";
  } else if (ns < 1e6) {
    s << ns / 1e3 << " µs";
  } else if (ns < 1e9) {
    s << ns / 1e6 << " ms";
  } else {
    s << ns / 1e9 << " s";
  }
  return s.str();
}

void print_table(const calibration& c) {
  std::cout << std::left << std::setw(13) << "design" << std::setw(11) << "cost" << std::setw(9) << "form"
            << std::setw(12) << "a" << std::setw(12) << "b (/route)" << std::setw(13) << "c (/N lgN)" << std::setw(12)
            << "at N_max" << std::setw(9) << "R^2" << std::setw(9) << "max|rel|"
            << "N range\n";
  for (const auto& [name, d] : c.designs) {
    for (std::string_view cost : cost_names) {
      const auto& slot = *cost_slot(d, cost);
      if (!slot) continue;
      const cost_entry& e = *slot;
      std::ostringstream r2;
      r2 << std::fixed << std::setprecision(4) << e.r2;
      std::ostringstream rel;
      rel << std::fixed << std::setprecision(1) << 100.0 * e.max_rel_residual << "%";
      std::cout << std::left << std::setw(13) << name << std::setw(11) << cost << std::setw(9) << to_string(e.form)
                << std::setw(12) << with_unit(e.a_ns) << std::setw(12) << with_unit(e.b_ns) << std::setw(13)
                << with_unit(e.c_ns) << std::setw(12) << with_unit(e.fitted_ns(e.n_max)) << std::setw(9) << r2.str()
                << std::setw(9) << rel.str() << e.n_min << ".." << e.n_max << " (" << e.points << " pts)\n";
    }
    if (d.bytes_per_route) std::cout << "  " << name << ": " << *d.bytes_per_route << " bytes per route";
    if (d.paths_per_route) std::cout << ", " << *d.paths_per_route << " paths per route";
    std::cout << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse_options(argc, argv);
    calibration_meta meta;
    meta.date = now_utc();
    meta.machine = machine_note();
    meta.gwsim_version = GWSIM_VERSION;
    std::string text;
    if (!o.from_json.empty()) {
      text = read_text(o.from_json);
      // The date of a saved run is when it was measured, not when it is refitted.
      const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (doc.is_object() && doc.contains("context") && doc["context"].is_object() && doc["context"].contains("date") &&
          doc["context"]["date"].is_string()) {
        meta.date = doc["context"]["date"].get<std::string>();
      }
      meta.source = "gwsim_calibrate --from-json " + fs::path(o.from_json).filename().string();
    } else {
      text = run_benchmarks(o);
      meta.source = "gwsim_calibrate running " + fs::path(o.bench).filename().string();
    }
    std::vector<std::string> skipped;
    const std::vector<bench_sample> samples =
        parse_benchmark_json(text, o.from_json.empty() ? "benchmark output" : o.from_json, &skipped);
    const calibrate_outcome result = calibrate(samples, meta, o.designs);
    if (result.result.designs.empty()) {
      throw std::invalid_argument("no design could be calibrated: no router benchmark samples for the designs asked");
    }
    print_table(result.result);
    for (const std::string& s : skipped) std::cerr << "note: benchmark error: " << s << '\n';
    for (const std::string& n : result.notes) std::cerr << "note: " << n << '\n';
    std::string header =
        "Measured router costs, produced by gwsim_calibrate (see bench/README.md, \"Router benchmarks and\n"
        "calibration\"). Regenerate by measuring:\n"
        "  cmake --build <build> --target gwsim_bench gwsim_calibrate\n"
        "  <build>/models/calibration/gwsim_calibrate --out <this file> --save-json <run.json>\n"
        "or refit a saved run: gwsim_calibrate --from-json <run.json> --out <this file>\n"
        "Costs are CPU ns of the C++ routers (models/router) on synthetic route sets;\n"
        "`scale` turns them into the modelled gateway's costs (1.0 = as measured).";
    if (!o.note.empty()) header += "\n" + o.note;
    write_calibration(result.result, o.out, header);
    std::cout << "wrote " << o.out << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gwsim_calibrate: " << e.what() << '\n';
    return 1;
  }
}
