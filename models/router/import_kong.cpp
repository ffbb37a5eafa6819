#include "models/router/import_kong.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "models/router/import_yaml.hpp"
#include "models/router/regex.hpp"

namespace gwsim::router {

namespace detail {

namespace {

constexpr std::array<std::string_view, 3> accepted_versions{"1.1", "2.1", "3.0"};

/// Route fields that cannot change which route matches.
constexpr std::array<std::string_view, 11> ignored_route_fields{
    "protocols",         "strip_path",         "preserve_host", "path_handling", "https_redirect_status_code",
    "request_buffering", "response_buffering", "tags",          "updated_at",    "ws_id",
    "priority"};

/// Top-level entity lists and metadata that carry no routes.
constexpr std::array<std::string_view, 17> ignored_top_level{
    "_transform", "_workspace", "_info",        "_comment",        "consumers", "consumer_groups",
    "upstreams",  "targets",    "certificates", "ca_certificates", "snis",      "vaults",
    "keys",       "key_sets",   "parameters",   "workspaces",      "licenses"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// A decimal integer in [1, 2^32-1] written without sign or leading zeros.
std::optional<std::uint32_t> numeric_id(const std::string& text) {
  if (text.empty() || text.size() > 10 || text[0] == '0' ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const std::uint64_t v = std::stoull(text);
  if (v > std::numeric_limits<std::uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

/// Escapes PCRE metacharacters so the pattern matches `literal` itself.
std::string regex_escape(std::string_view literal) {
  std::string out;
  for (const char c : literal) {
    if (std::string_view("\\.^$|?*+()[]{}").find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

/// Gives every entry without an explicit id the smallest unused number, in order.
void assign_ids(std::vector<std::optional<std::uint32_t>>& explicit_ids, const std::set<std::uint32_t>& used,
                std::vector<std::uint32_t>& out) {
  std::uint32_t next = 1;
  out.clear();
  for (const auto& e : explicit_ids) {
    if (e) {
      out.push_back(*e);
      continue;
    }
    while (used.count(next) != 0) {
      ++next;
    }
    out.push_back(next++);
  }
}

class kong_importer {
 public:
  kong_importer(const YAML::Node& root, const std::string& file) : src_(file, out_.warnings), root_(root) {}

  imported_routes run() {
    if (!root_.IsMap()) {
      src_.fail(root_, "", "a Kong declarative configuration must be a mapping");
    }
    const YAML::Node version = root_["_format_version"];
    if (!version) {
      src_.fail(root_, "", "missing _format_version (accepted: \"1.1\", \"2.1\", \"3.0\")");
    }
    const std::string v = src_.string(version, "_format_version");
    if (!contains(accepted_versions, v)) {
      src_.fail(version, "_format_version", "unsupported version \"" + v + "\" (accepted: \"1.1\", \"2.1\", \"3.0\")");
    }
    v3_ = v == "3.0";
    out_.format = "kong " + v;

    collect_services();
    for (auto it = root_.begin(); it != root_.end(); ++it) {
      const std::string key = src_.string(it->first, "");
      const YAML::Node value = it->second;
      if (key == "_format_version") {
        continue;
      }
      if (key == "services") {
        const std::vector<YAML::Node> services = src_.list(value, "services");
        for (std::size_t s = 0; s < services.size(); ++s) {
          const std::string where = "services[" + std::to_string(s) + "]";
          const std::vector<YAML::Node> routes = src_.list(services[s]["routes"], where + ".routes");
          for (std::size_t r = 0; r < routes.size(); ++r) {
            parse_route(routes[r], where + ".routes[" + std::to_string(r) + "]", out_.services[s].id, false);
          }
        }
      } else if (key == "routes") {
        const std::vector<YAML::Node> routes = src_.list(value, "routes");
        for (std::size_t r = 0; r < routes.size(); ++r) {
          parse_route(routes[r], "routes[" + std::to_string(r) + "]", 0, true);
        }
      } else if (key == "plugins") {
        out_.plugins += src_.list(value, "plugins").size();
      } else if (!contains(ignored_top_level, key)) {
        src_.warn(it->first, key, "unknown top-level key ignored");
      }
    }

    std::vector<std::uint32_t> ids;
    assign_ids(route_explicit_ids_, route_used_ids_, ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out_.routes[i].id = ids[i];
    }
    return std::move(out_);
  }

 private:
  void collect_services() {
    const YAML::Node services = root_["services"];
    if (!services) {
      return;
    }
    std::vector<std::optional<std::uint32_t>> explicit_ids;
    std::set<std::uint32_t> used;
    const std::vector<YAML::Node> items = src_.list(services, "services");
    for (std::size_t s = 0; s < items.size(); ++s) {
      const YAML::Node& node = items[s];
      const std::string where = "services[" + std::to_string(s) + "]";
      src_.require_map(node, where);
      imported_service svc;
      std::optional<std::uint32_t> numeric;
      if (const YAML::Node name = node["name"]) {
        svc.name = src_.string(name, where + ".name");
        if (!svc.name.empty() && !service_by_name_.emplace(svc.name, s).second) {
          src_.fail(name, where + ".name", "duplicate service name \"" + svc.name + "\"");
        }
      }
      if (const YAML::Node id = node["id"]) {
        svc.key = src_.string(id, where + ".id");
        if (!service_by_key_.emplace(svc.key, s).second) {
          src_.fail(id, where + ".id", "duplicate service id \"" + svc.key + "\"");
        }
        numeric = numeric_id(svc.key);
        if (numeric && !used.insert(*numeric).second) {
          src_.fail(id, where + ".id", "duplicate service id \"" + svc.key + "\"");
        }
      }
      if (const YAML::Node plugins = node["plugins"]) {
        out_.plugins += src_.list(plugins, where + ".plugins").size();
      }
      explicit_ids.push_back(numeric);
      out_.services.push_back(std::move(svc));
    }
    std::vector<std::uint32_t> ids;
    assign_ids(explicit_ids, used, ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      out_.services[i].id = ids[i];
    }
  }

  std::uint32_t resolve_service(const YAML::Node& ref, const std::string& where) {
    std::string wanted;
    const std::unordered_map<std::string, std::size_t>* first = &service_by_name_;
    const std::unordered_map<std::string, std::size_t>* second = &service_by_key_;
    if (ref.IsScalar()) {
      wanted = ref.Scalar();
    } else if (ref.IsMap() && ref["id"]) {
      wanted = src_.string(ref["id"], where + ".id");
      std::swap(first, second);
      second = nullptr;
    } else if (ref.IsMap() && ref["name"]) {
      wanted = src_.string(ref["name"], where + ".name");
      second = nullptr;
    } else {
      src_.fail(ref, where, "must be a service name or id, or a mapping with name or id");
    }
    if (const auto it = first->find(wanted); it != first->end()) {
      return out_.services[it->second].id;
    }
    if (second != nullptr) {
      if (const auto it = second->find(wanted); it != second->end()) {
        return out_.services[it->second].id;
      }
    }
    src_.fail(ref, where, "unknown service \"" + wanted + "\"");
  }

  /// A route path as the matchers take it (see import_kong.hpp).
  std::string convert_path(const YAML::Node& node, const std::string& where) {
    const std::string p = src_.string(node, where);
    if (v3_ && !p.empty() && p[0] == '~') {
      std::string re = p.substr(1);
      if (re.empty() || re[0] != '/') {
        src_.fail(node, where, "a regex path must start with ~/");
      }
      check_regex(node, where, re);
      if (!is_regex_path(re)) {
        src_.warn(node, where, "regex \"" + re + "\" has no regex character; matched as the plain prefix it spells");
      }
      return re;
    }
    if (p.empty() || p[0] != '/') {
      src_.fail(node, where,
                !p.empty() && p[0] == '~' ? "must start with / (the ~ regex marker needs _format_version \"3.0\")"
                                          : "must start with /");
    }
    if (!is_regex_path(p)) {
      return p;
    }
    if (v3_) {
      std::string re = regex_escape(p);
      src_.warn(node, where,
                "prefix \"" + p + "\" has regex characters; stored as the escaped regex \"" + re +
                    "\" (same paths, sorted as a regex path)");
      return re;
    }
    check_regex(node, where, p);
    return p;
  }

  void check_regex(const YAML::Node& node, const std::string& where, const std::string& pattern) const {
    try {
      const regex compiled(pattern, regex::jit_mode::disabled);
    } catch (const std::invalid_argument& e) {
      src_.fail(node, where, std::string("invalid regex: ") + e.what());
    }
  }

  void parse_route(const YAML::Node& node, const std::string& where, std::uint32_t service, bool top_level) {
    src_.require_map(node, where);
    route r;
    r.service = service;
    std::string name;
    std::string key;
    std::optional<std::uint32_t> numeric;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string field = src_.string(it->first, where);
      const YAML::Node value = it->second;
      const std::string at = where + "." + field;
      if (field == "name") {
        name = src_.string(value, at);
        if (!name.empty() && !route_names_.insert(name).second) {
          src_.fail(value, at, "duplicate route name \"" + name + "\"");
        }
      } else if (field == "id") {
        key = src_.string(value, at);
        if (!route_keys_.insert(key).second) {
          src_.fail(value, at, "duplicate route id \"" + key + "\"");
        }
        numeric = numeric_id(key);
        if (numeric && !route_used_ids_.insert(*numeric).second) {
          src_.fail(value, at, "duplicate route id \"" + key + "\"");
        }
      } else if (field == "hosts") {
        r.hosts = src_.strings(value, at);
      } else if (field == "paths") {
        const std::vector<YAML::Node> paths = src_.list(value, at);
        for (std::size_t i = 0; i < paths.size(); ++i) {
          r.paths.push_back(convert_path(paths[i], at + "[" + std::to_string(i) + "]"));
        }
      } else if (field == "methods") {
        r.methods = src_.strings(value, at);
      } else if (field == "snis") {
        r.snis = src_.strings(value, at);
      } else if (field == "headers") {
        parse_headers(value, at, r);
      } else if (field == "regex_priority") {
        r.regex_priority =
            static_cast<int>(src_.integer(value, at, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
      } else if (field == "created_at") {
        r.created_at = src_.integer(value, at, 0, std::numeric_limits<std::int64_t>::max());
      } else if (field == "service") {
        if (top_level) {
          r.service = resolve_service(value, at);
        } else {
          src_.warn(value, at, "ignored: a nested route belongs to its enclosing service");
        }
      } else if (field == "plugins") {
        out_.plugins += src_.list(value, at).size();
      } else if (field == "sources" || field == "destinations") {
        src_.warn(it->first, at, "stream routing is not modelled; ignored");
      } else if (!contains(ignored_route_fields, field)) {
        src_.warn(it->first, at, "unknown route field ignored");
      }
    }
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() && r.snis.empty()) {
      src_.fail(node, where, "a route must set at least one of hosts, paths, methods, headers, snis");
    }
    route_explicit_ids_.push_back(numeric);
    out_.routes.push_back(std::move(r));
    out_.route_names.push_back(std::move(name));
    out_.route_keys.push_back(std::move(key));
  }

  void parse_headers(const YAML::Node& value, const std::string& at, route& r) {
    if (value.IsNull()) {
      return;
    }
    src_.require_map(value, at);
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string header = src_.string(it->first, at);
      const std::string here = at + "." + header;
      std::vector<std::string> values = src_.strings(it->second, here);
      if (values.empty()) {
        src_.fail(it->second, here, "must list at least one value");
      }
      if (ascii_lower(header) == "host") {
        src_.warn(it->first, here, "a Host header rule is ignored by the router (use hosts)");
        continue;
      }
      r.headers.emplace_back(header, std::move(values));
    }
  }

  imported_routes out_;
  yaml_source src_;
  YAML::Node root_;
  bool v3_ = false;
  std::unordered_map<std::string, std::size_t> service_by_name_;
  std::unordered_map<std::string, std::size_t> service_by_key_;
  std::set<std::string> route_names_;
  std::set<std::string> route_keys_;
  std::set<std::uint32_t> route_used_ids_;
  std::vector<std::optional<std::uint32_t>> route_explicit_ids_;
};

}  // namespace

imported_routes kong_from_yaml(const YAML::Node& root, const std::string& file) {
  return kong_importer(root, file).run();
}

}  // namespace detail

imported_routes import_kong(const std::string& path) {
  return detail::kong_from_yaml(detail::load_yaml_file(path), path);
}

imported_routes import_kong_text(const std::string& text, const std::string& file_name) {
  return detail::kong_from_yaml(detail::parse_yaml_text(text, file_name), file_name);
}

}  // namespace gwsim::router
