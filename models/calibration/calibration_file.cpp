#include "models/calibration/calibration_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace gwsim::calibration {
namespace {

std::string describe(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

[[noreturn]] void fail(std::string_view source, std::string_view key, std::string_view value, std::string_view rule) {
  throw std::invalid_argument(std::string(source) + ": " + std::string(key) + " = " + std::string(value) +
                              " is invalid: " + std::string(rule));
}

void require(bool ok, std::string_view source, std::string_view key, double value, std::string_view rule) {
  if (!ok) fail(source, key, describe(value), rule);
}

bool valid_design_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

void validate_cost(const cost_entry& e, std::string_view source, const std::string& key) {
  const auto non_negative = [&](double v, const char* field, const char* unit) {
    require(std::isfinite(v) && v >= 0.0, source, key + "." + field, v,
            std::string("must be finite and >= 0 (") + unit + ")");
  };
  non_negative(e.a_ns, "a_ns", "ns");
  non_negative(e.b_ns, "b_ns", "ns per route");
  non_negative(e.c_ns, "c_ns", "ns per route log2 route");
  non_negative(e.median_ns, "median_ns", "ns");
  non_negative(e.max_rel_residual, "max_rel_residual", "a ratio");
  require(std::isfinite(e.r2) && e.r2 <= 1.0, source, key + ".r2", e.r2, "must be finite and <= 1");
  require(std::isfinite(e.n_min) && e.n_min >= 1.0, source, key + ".n_min", e.n_min,
          "must be finite and >= 1 (routes)");
  require(std::isfinite(e.n_max) && e.n_max >= e.n_min, source, key + ".n_max", e.n_max,
          "must be finite and >= n_min = " + describe(e.n_min) + " (routes)");
  if (e.points < 1) fail(source, key + ".points", std::to_string(e.points), "must be >= 1");
  require(std::isfinite(e.scale) && e.scale > 0.0, source, key + ".scale", e.scale,
          "must be finite and > 0 (modelled cost / measured cost)");
}

// ---- writing ----

std::string number(double v) {
  std::string s = describe(v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// ---- reading ----

/// Rejects keys of `table` not in `allowed`.
void check_keys(const toml::table& table, std::initializer_list<std::string_view> allowed, std::string_view source,
                const std::string& prefix) {
  for (const auto& [k, v] : table) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(source, prefix + std::string(k.str()), "(present)", "unknown key: allowed keys are " + list);
    }
  }
}

const toml::node& need(const toml::table& t, std::string_view key, std::string_view source, const std::string& prefix) {
  const toml::node* n = t.get(key);
  if (n == nullptr) fail(source, prefix + std::string(key), "(missing)", "the field is required");
  return *n;
}

double get_double(const toml::node& n, std::string_view source, const std::string& key) {
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
  fail(source, key, "(not a number)", "must be a number");
}

std::string get_string(const toml::node& n, std::string_view source, const std::string& key) {
  if (const auto* s = n.as_string()) return s->get();
  fail(source, key, "(not a string)", "must be a string");
}

const toml::table& get_table(const toml::node& n, std::string_view source, const std::string& key) {
  if (const auto* t = n.as_table()) return *t;
  fail(source, key, "(not a table)", "must be a table");
}

cost_entry read_cost(const toml::table& t, std::string_view source, const std::string& key) {
  const std::string p = key + ".";
  check_keys(
      t, {"form", "a_ns", "b_ns", "c_ns", "median_ns", "r2", "max_rel_residual", "n_min", "n_max", "points", "scale"},
      source, p);
  cost_entry e;
  const std::string form = get_string(need(t, "form", source, p), source, p + "form");
  try {
    e.form = parse_fit_form(form);
  } catch (const std::invalid_argument&) {
    fail(source, p + "form", toml_string(form), "must be one of \"constant\", \"linear\", \"nlogn\"");
  }
  const auto num = [&](const char* field) { return get_double(need(t, field, source, p), source, p + field); };
  e.a_ns = num("a_ns");
  e.b_ns = num("b_ns");
  e.c_ns = num("c_ns");
  e.median_ns = num("median_ns");
  e.r2 = num("r2");
  e.max_rel_residual = num("max_rel_residual");
  e.n_min = num("n_min");
  e.n_max = num("n_max");
  const toml::node& pts = need(t, "points", source, p);
  const auto* pi = pts.as_integer();
  if (pi == nullptr) fail(source, p + "points", "(not an integer)", "must be an integer >= 1");
  if (pi->get() < 1 || pi->get() > 1'000'000)
    fail(source, p + "points", std::to_string(pi->get()), "must be in [1, 1e6]");
  e.points = static_cast<int>(pi->get());
  // scale is optional in the file (1.0 = the measured C++ cost).
  if (const toml::node* s = t.get("scale")) e.scale = get_double(*s, source, p + "scale");
  return e;
}

}  // namespace

double cost_entry::fitted_ns(double n) const noexcept {
  return a_ns + b_ns * n + (n > 1.0 ? c_ns * n * std::log2(n) : 0.0);
}

cost_entry make_cost_entry(const cost_fit& f, std::span<const point> points) {
  cost_entry e;
  e.form = f.form;
  e.a_ns = f.a;
  e.b_ns = f.b;
  e.c_ns = f.c;
  e.median_ns = median_y(points);
  e.r2 = f.r2;
  e.max_rel_residual = f.max_relative_residual;
  e.n_min = points.front().n;
  e.n_max = points.front().n;
  for (const point& p : points) {
    e.n_min = std::min(e.n_min, p.n);
    e.n_max = std::max(e.n_max, p.n);
  }
  e.points = static_cast<int>(points.size());
  return e;
}

std::optional<cost_entry>* cost_slot(design_calibration& d, std::string_view name) noexcept {
  if (name == "build") return &d.build;
  if (name == "add") return &d.add;
  if (name == "remove") return &d.remove;
  if (name == "update") return &d.update;
  if (name == "match_hit") return &d.match_hit;
  if (name == "match_miss") return &d.match_miss;
  return nullptr;
}

const std::optional<cost_entry>* cost_slot(const design_calibration& d, std::string_view name) noexcept {
  return cost_slot(const_cast<design_calibration&>(d), name);  // NOLINT: read-only view of the same slot
}

void validate(const calibration& c, std::string_view source) {
  for (const auto& [name, d] : c.designs) {
    const std::string key = "designs." + name;
    if (!valid_design_name(name)) fail(source, key, toml_string(name), "a design name must match [a-z0-9_]+");
    bool any = false;
    for (std::string_view cost : cost_names) {
      const auto& slot = *cost_slot(d, cost);
      if (slot) {
        any = true;
        validate_cost(*slot, source, key + "." + std::string(cost));
      }
    }
    if (!any)
      fail(source, key, "(no costs)",
           "a design needs at least one of build, add, remove, update, match_hit, match_miss");
    if (d.bytes_per_route) {
      require(std::isfinite(*d.bytes_per_route) && *d.bytes_per_route > 0.0, source, key + ".bytes_per_route",
              *d.bytes_per_route, "must be finite and > 0 (bytes)");
    }
    if (d.paths_per_route) {
      require(std::isfinite(*d.paths_per_route) && *d.paths_per_route > 0.0, source, key + ".paths_per_route",
              *d.paths_per_route, "must be finite and > 0 (paths)");
    }
  }
}

std::string to_toml(const calibration& c, std::string_view header) {
  validate(c, "calibration");
  std::ostringstream o;
  std::istringstream lines{std::string(header)};
  for (std::string line; std::getline(lines, line);) o << (line.empty() ? "#" : "# " + line) << '\n';
  if (!header.empty()) o << '\n';
  o << "[meta]\n"
    << "date = " << toml_string(c.meta.date) << '\n'
    << "machine = " << toml_string(c.meta.machine) << '\n'
    << "gwsim_version = " << toml_string(c.meta.gwsim_version) << '\n'
    << "source = " << toml_string(c.meta.source) << '\n';
  for (const auto& [name, d] : c.designs) {
    o << "\n[designs." << name << "]\n";
    if (d.bytes_per_route) o << "bytes_per_route = " << number(*d.bytes_per_route) << "  # median over N\n";
    if (d.paths_per_route) o << "paths_per_route = " << number(*d.paths_per_route) << '\n';
    for (std::string_view cost : cost_names) {
      const auto& slot = *cost_slot(d, cost);
      if (!slot) continue;
      const cost_entry& e = *slot;
      o << "\n[designs." << name << '.' << cost << "]\n"
        << "# cost(N) = a_ns + b_ns N + c_ns N log2 N, N = routes\n"
        << "form = " << toml_string(to_string(e.form)) << '\n'
        << "a_ns = " << number(e.a_ns) << '\n'
        << "b_ns = " << number(e.b_ns) << '\n'
        << "c_ns = " << number(e.c_ns) << '\n'
        << "median_ns = " << number(e.median_ns) << '\n'
        << "r2 = " << number(e.r2) << '\n'
        << "max_rel_residual = " << number(e.max_rel_residual) << '\n'
        << "n_min = " << number(e.n_min) << '\n'
        << "n_max = " << number(e.n_max) << '\n'
        << "points = " << e.points << '\n'
        << "# modelled gateway cost / measured C++ cost (1.0 = C++ as measured; a LuaJIT router is\n"
        << "# several times slower, a factor measured separately)\n"
        << "scale = " << number(e.scale) << '\n';
    }
  }
  return o.str();
}

void write_calibration(const calibration& c, const std::filesystem::path& file, std::string_view header) {
  const std::string text = to_toml(c, header);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::invalid_argument(file.string() + ": cannot be written");
}

calibration parse_calibration(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, std::string(source));
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw std::invalid_argument(m.str());
  }
  check_keys(root, {"meta", "designs"}, source, "");
  calibration c;
  const toml::table& meta = get_table(need(root, "meta", source, ""), source, "meta");
  check_keys(meta, {"date", "machine", "gwsim_version", "source"}, source, "meta.");
  c.meta.date = get_string(need(meta, "date", source, "meta."), source, "meta.date");
  c.meta.machine = get_string(need(meta, "machine", source, "meta."), source, "meta.machine");
  c.meta.gwsim_version = get_string(need(meta, "gwsim_version", source, "meta."), source, "meta.gwsim_version");
  c.meta.source = get_string(need(meta, "source", source, "meta."), source, "meta.source");
  const toml::table& designs = get_table(need(root, "designs", source, ""), source, "designs");
  for (const auto& [k, v] : designs) {
    const std::string name(k.str());
    const std::string key = "designs." + name;
    if (!valid_design_name(name)) fail(source, key, toml_string(name), "a design name must match [a-z0-9_]+");
    const toml::table& t = get_table(v, source, key);
    check_keys(t, {"bytes_per_route", "paths_per_route", "build", "add", "remove", "update", "match_hit", "match_miss"},
               source, key + ".");
    design_calibration d;
    if (const toml::node* b = t.get("bytes_per_route"))
      d.bytes_per_route = get_double(*b, source, key + ".bytes_per_route");
    if (const toml::node* p = t.get("paths_per_route"))
      d.paths_per_route = get_double(*p, source, key + ".paths_per_route");
    for (std::string_view cost : cost_names) {
      if (const toml::node* n = t.get(cost)) {
        const std::string ck = key + "." + std::string(cost);
        *cost_slot(d, cost) = read_cost(get_table(*n, source, ck), source, ck);
      }
    }
    c.designs.emplace(name, std::move(d));
  }
  validate(c, source);
  return c;
}

calibration read_calibration(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::invalid_argument(file.string() + ": cannot be read (missing file or no permission)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_calibration(text.str(), file.string());
}

}  // namespace gwsim::calibration
