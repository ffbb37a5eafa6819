#include "models/calibration/calibrate.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace gwsim::calibration {
namespace {

bool is_miss(const bench_sample& s) {
  return s.operation == "match" && s.hit_percent.value_or(0) == 0;
}
bool is_pure_hit(const bench_sample& s) {
  return s.operation == "match" && s.hit_percent.value_or(0) == 100;
}
bool is_mix(const bench_sample& s) {
  return s.operation == "match" && s.hit_percent && *s.hit_percent > 0 && *s.hit_percent < 100;
}

std::optional<double> median_counter(const std::vector<const bench_sample*>& samples, const std::string& counter) {
  std::vector<point> values;
  for (const bench_sample* s : samples) {
    const auto it = s->counters.find(counter);
    if (it != s->counters.end()) values.push_back({1.0, it->second});
  }
  if (values.empty()) return std::nullopt;
  return median_y(values);
}

/// Fits `points` into `slot`; a refused fit becomes a note.
void fit_into(std::optional<cost_entry>& slot, std::vector<point> points, const std::string& label,
              std::vector<std::string>& notes) {
  if (points.empty()) return;
  std::sort(points.begin(), points.end(), [](const point& x, const point& y) { return x.n < y.n; });
  std::set<double> distinct;
  for (const point& p : points) distinct.insert(p.n);
  try {
    slot = make_cost_entry(fit(points, form_for(distinct.size())), points);
  } catch (const std::invalid_argument& e) {
    notes.push_back(label + ": not calibrated (" + e.what() + ")");
  }
}

}  // namespace

fit_form form_for(std::size_t distinct_n) noexcept {
  return distinct_n >= 3 ? fit_form::nlogn : distinct_n == 2 ? fit_form::linear : fit_form::constant;
}

calibrate_outcome calibrate(const std::vector<bench_sample>& samples, const calibration_meta& meta,
                            const std::vector<std::string>& designs) {
  calibrate_outcome out;
  out.result.meta = meta;
  std::vector<std::string> wanted = designs;
  if (wanted.empty()) {
    std::set<std::string> found;
    for (const bench_sample& s : samples) found.insert(s.design);
    wanted.assign(found.begin(), found.end());
  }
  std::vector<const bench_sample*> all;
  for (const bench_sample& s : samples) all.push_back(&s);
  const std::optional<double> run_paths = median_counter(all, "paths_per_route");

  for (const std::string& design : wanted) {
    std::vector<const bench_sample*> mine;
    for (const bench_sample& s : samples) {
      if (s.design == design) mine.push_back(&s);
    }
    if (mine.empty()) {
      out.notes.push_back(design + ": skipped, no benchmarks named BM_" + camel_case(design) +
                          "{Build,Match,Add,Remove,Update}/<N> in the results");
      continue;
    }
    design_calibration d;
    std::vector<point> build, add, remove, update, hit, miss;
    std::vector<const bench_sample*> builds;
    for (const bench_sample* s : mine) {
      const point p{s->n, s->ns};
      if (s->operation == "build") {
        build.push_back(p);
        builds.push_back(s);
      } else if (s->operation == "add") {
        add.push_back(p);
      } else if (s->operation == "remove") {
        remove.push_back(p);
      } else if (s->operation == "update") {
        update.push_back(p);
      } else if (is_miss(*s)) {
        miss.push_back(p);
      } else if (is_pure_hit(*s)) {
        hit.push_back(p);
      }
    }
    if (hit.empty()) {
      // Derive hits from a mix and the miss cost at the same N.
      for (const bench_sample* s : mine) {
        if (!is_mix(*s)) continue;
        const auto r = s->counters.find("hit_ratio");
        const auto m =
            std::find_if(mine.begin(), mine.end(), [&](const bench_sample* x) { return is_miss(*x) && x->n == s->n; });
        if (r == s->counters.end() || m == mine.end() || r->second <= 0.0 || r->second > 1.0) continue;
        const double h = (s->ns - (1.0 - r->second) * (*m)->ns) / r->second;
        if (h > 0.0) {
          hit.push_back({s->n, h});
        } else {
          out.notes.push_back(design + ".match_hit: " + s->name +
                              " gives no positive hit cost (the miss cost dominates the mix); point dropped");
        }
      }
    }
    fit_into(d.build, build, design + ".build", out.notes);
    fit_into(d.add, add, design + ".add", out.notes);
    fit_into(d.remove, remove, design + ".remove", out.notes);
    fit_into(d.update, update, design + ".update", out.notes);
    fit_into(d.match_hit, hit, design + ".match_hit", out.notes);
    fit_into(d.match_miss, miss, design + ".match_miss", out.notes);
    d.bytes_per_route = median_counter(builds, "bytes_per_route");
    d.paths_per_route = median_counter(mine, "paths_per_route");
    if (!d.paths_per_route && run_paths) d.paths_per_route = run_paths;
    if (!d.build && !d.add && !d.remove && !d.update && !d.match_hit && !d.match_miss) {
      out.notes.push_back(design + ": skipped, no cost could be calibrated");
      continue;
    }
    if (!d.build)
      out.notes.push_back(design + ": no BM_" + camel_case(design) + "Build/<N>, build cost not calibrated");
    out.result.designs.emplace(design, std::move(d));
  }
  return out;
}

}  // namespace gwsim::calibration
