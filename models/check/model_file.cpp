#include "models/check/model_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace gwsim::check {
namespace {

std::string where(const toml::source_region& r) {
  if (!r.begin || !r.path || r.path->empty()) return {};
  return *r.path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

template <class Names>
std::string joined(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

/// The nearest name within a small edit distance, for "did you mean".
template <class Names>
std::optional<std::string> nearest(std::string_view wrong, const Names& names) {
  std::optional<std::string> best;
  std::size_t best_d = 3;
  for (const auto& n : names) {
    const std::size_t d = edit_distance(wrong, n);
    if (d < best_d || (d == best_d && !best && d <= 2)) {
      best_d = d;
      best = std::string(n);
    }
  }
  return best;
}

std::string render(const toml::node& n) {
  std::ostringstream out;
  if (n.is_string()) {
    out << '"' << n.as_string()->get() << '"';
  } else if (n.is_integer()) {
    out << n.as_integer()->get();
  } else if (n.is_floating_point()) {
    const double v = n.as_floating_point()->get();
    out << v;
    if (std::isfinite(v) && v == std::floor(v)) out << ".0";  // 2.0 reads as a float, not as 2
  } else if (n.is_boolean()) {
    out << (n.as_boolean()->get() ? "true" : "false");
  } else if (n.is_table()) {
    out << "a table";
  } else if (n.is_array()) {
    out << "an array";
  } else {
    out << "a date/time";
  }
  return out.str();
}

struct int_field {
  std::string_view name;
  int model::*member;
  int lo;
  int hi;
};

constexpr std::array<int_field, 9> int_fields{{
    {"workers", &model::workers, 1, max_workers},
    {"versions", &model::versions, 1, max_versions},
    {"limit", &model::limit, 1, max_limit},
    {"base", &model::base, 0, max_unit},
    {"router", &model::router, 1, max_unit},
    {"cache", &model::cache, 0, max_unit},
    {"delta", &model::delta, 0, max_unit},
    {"gc_pause", &model::gc_pause, 100, 1000},
    {"max_states", &model::max_states, 1, 20'000'000},
}};

std::vector<std::string> known_keys() {
  std::vector<std::string> keys{"strategy", "fault", "symmetry"};
  for (const int_field& f : int_fields) keys.emplace_back(f.name);
  return keys;
}

template <class Names>
std::size_t choose(const toml::node& n, const std::string& field, const Names& names) {
  const std::string pos = where(n.source());
  const std::string requirement = "must be one of: " + joined(names);
  if (!n.is_string()) throw model_error(field, pos + field + " = " + render(n) + " is invalid: " + requirement);
  const std::string text = n.as_string()->get();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return i;
  }
  std::string msg = pos + field + " = \"" + text + "\" is invalid: " + requirement;
  if (const auto s = nearest(text, names)) msg += "; did you mean " + *s + "?";
  throw model_error(field, msg);
}

}  // namespace

model parse_model(std::string_view toml_text, std::string_view origin) {
  const std::string source(origin.empty() ? "<string>" : origin);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    std::string pos = where(e.source());
    if (pos.empty()) pos = source + ": ";
    throw model_error("", pos + std::string(e.description()));
  }
  for (auto&& [key, node] : root) {
    if (key.str() != "model") {
      std::string msg = where(key.source()) + "unknown key or table '" + std::string(key.str()) +
                        "': a model file has only a [model] table";
      throw model_error(std::string(key.str()), msg);
    }
    if (!node.is_table()) {
      throw model_error("model", where(key.source()) + "model must be a table ([model])");
    }
  }
  const toml::table* table = root["model"].as_table();
  if (table == nullptr) throw model_error("model", source + ": the model file has no [model] table");

  model m;
  std::map<std::string, std::string> positions;
  const std::vector<std::string> keys = known_keys();
  for (auto&& [key, node] : *table) {
    const std::string name(key.str());
    const std::string field = "model." + name;
    const std::string pos = where(node.source());
    positions[field] = pos;
    if (name == "strategy") {
      m.strategy = static_cast<strategy>(choose(node, field, strategy_names));
    } else if (name == "fault") {
      m.fault = static_cast<fault>(choose(node, field, fault_names));
    } else if (name == "symmetry") {
      if (!node.is_boolean()) {
        throw model_error(field, pos + field + " = " + render(node) + " is invalid: must be true or false");
      }
      m.symmetry = node.as_boolean()->get();
    } else {
      const auto f = std::find_if(int_fields.begin(), int_fields.end(),
                                  [&](const int_field& candidate) { return candidate.name == name; });
      if (f == int_fields.end()) {
        std::string msg = where(key.source()) + field + " is not a known field: must be one of: " + joined(keys);
        if (const auto s = nearest(name, keys)) msg += "; did you mean model." + *s + "?";
        throw model_error(field, msg);
      }
      const std::string requirement =
          " is invalid: must be an integer in [" + std::to_string(f->lo) + ", " + std::to_string(f->hi) + "]";
      if (!node.is_integer()) throw model_error(field, pos + field + " = " + render(node) + requirement);
      const std::int64_t v = node.as_integer()->get();
      if (v < f->lo || v > f->hi) throw model_error(field, pos + field + " = " + std::to_string(v) + requirement);
      m.*(f->member) = static_cast<int>(v);
    }
  }
  try {
    validate(m);
  } catch (const model_error& e) {
    const auto p = positions.find(e.field());
    throw model_error(e.field(), (p == positions.end() ? std::string() : p->second) + e.what());
  }
  return m;
}

model load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw model_error("", "cannot open model file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw model_error("", "cannot read model file " + path);
  return parse_model(buffer.str(), path);
}

}  // namespace gwsim::check
