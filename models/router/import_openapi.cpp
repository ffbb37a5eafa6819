#include "models/router/import_openapi.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "models/router/import_yaml.hpp"

namespace gwsim::router {

namespace {

constexpr std::array<std::string_view, 8> http_methods{"get",     "put",  "post",  "delete",
                                                       "options", "head", "patch", "trace"};

constexpr std::string_view regex_metacharacters = "\\.^$|?*+()[]{}";

std::string escaped(std::string_view literal) {
  std::string out;
  for (const char c : literal) {
    if (regex_metacharacters.find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

/// A PCRE2 group name for an OpenAPI parameter name.
std::string group_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) {
    out.insert(out.begin(), '_');
  }
  if (out.size() > 32) {
    out.resize(32);
  }
  return out;
}

}  // namespace

std::string openapi_route_path(std::string_view path, openapi_path_mode mode, int& templates) {
  templates = 0;
  std::string out;
  std::set<std::string> names;
  bool cut = false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '}') {
      throw std::invalid_argument("unbalanced } in path \"" + std::string(path) + "\"");
    }
    if (c != '{') {
      if (!cut) {
        out += mode == openapi_path_mode::regex ? escaped(path.substr(i, 1)) : std::string(1, c);
      }
      continue;
    }
    const std::size_t close = path.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || path[close] != '}') {
      throw std::invalid_argument("unterminated { in path \"" + std::string(path) + "\"");
    }
    ++templates;
    if (mode == openapi_path_mode::regex) {
      const std::string name = group_name(path.substr(i + 1, close - i - 1));
      out += names.insert(name).second ? "(?<" + name + ">[^/]+)" : "([^/]+)";
    } else {
      cut = true;
    }
    i = close;
  }
  if (mode == openapi_path_mode::regex) {
    out.push_back('$');
  }
  return out;
}

namespace detail {

namespace {

class openapi_importer {
 public:
  openapi_importer(const YAML::Node& root, const std::string& file, openapi_path_mode mode)
      : src_(file, out_.warnings), root_(root), mode_(mode) {}

  imported_routes run() {
    if (!root_.IsMap()) {
      src_.fail(root_, "", "an OpenAPI document must be a mapping");
    }
    const YAML::Node version = root_["openapi"];
    if (!version) {
      src_.fail(root_, "",
                root_["swagger"] ? "Swagger 2.0 documents are not supported (openapi: 3.x required)"
                                 : "missing openapi (the OpenAPI version, 3.x)");
    }
    const std::string v = src_.string(version, "openapi");
    if (v.rfind("3.", 0) != 0) {
      src_.fail(version, "openapi", "unsupported version \"" + v + "\" (3.x required)");
    }
    out_.format = "openapi " + v;

    imported_service svc;
    svc.id = 1;
    svc.name = "openapi";
    if (const YAML::Node info = root_["info"]; info && info.IsMap() && info["title"] && info["title"].IsScalar()) {
      svc.name = info["title"].Scalar();
    }
    out_.services.push_back(std::move(svc));

    read_server();

    const YAML::Node paths = root_["paths"];
    if (!paths || paths.IsNull()) {
      src_.warn(root_, "paths", "no paths: no routes");
      return std::move(out_);
    }
    src_.require_map(paths, "paths");
    for (auto it = paths.begin(); it != paths.end(); ++it) {
      path_item(it->first, it->second);
    }
    return std::move(out_);
  }

 private:
  void read_server() {
    const YAML::Node servers = root_["servers"];
    if (!servers) {
      return;
    }
    const std::vector<YAML::Node> list = src_.list(servers, "servers");
    if (list.empty()) {
      return;
    }
    if (list.size() > 1) {
      src_.warn(list[1], "servers[1]", "only servers[0] is used");
    }
    const YAML::Node& server = list[0];
    src_.require_map(server, "servers[0]");
    const YAML::Node url_node = server["url"];
    if (!url_node) {
      src_.fail(server, "servers[0]", "missing url");
    }
    const std::string raw = src_.string(url_node, "servers[0].url");
    std::string url;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '{') {
        url.push_back(raw[i]);
        continue;
      }
      const std::size_t close = raw.find('}', i);
      if (close == std::string::npos) {
        src_.fail(url_node, "servers[0].url", "unterminated {");
      }
      const std::string var = raw.substr(i + 1, close - i - 1);
      const YAML::Node vars = server["variables"];
      const YAML::Node def =
          vars && vars.IsMap() && vars[var] && vars[var].IsMap() ? vars[var]["default"] : YAML::Node();
      if (!def || !def.IsScalar()) {
        src_.fail(url_node, "servers[0].url", "server variable {" + var + "} has no default");
      }
      url += def.Scalar();
      i = close;
    }
    std::string path = url;
    if (const std::size_t scheme = url.find("://"); scheme != std::string::npos) {
      const std::size_t start = scheme + 3;
      const std::size_t slash = url.find('/', start);
      host_ = url.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      path = slash == std::string::npos ? std::string() : url.substr(slash);
    }
    if (!path.empty() && path[0] != '/') {
      src_.fail(url_node, "servers[0].url", "must be an absolute URL or a path starting with /");
    }
    while (!path.empty() && path.back() == '/') {
      path.pop_back();
    }
    base_ = path;
  }

  void path_item(const YAML::Node& key, const YAML::Node& item) {
    const std::string path = src_.string(key, "paths");
    const std::string where = "paths." + path;
    if (path.empty() || path[0] != '/') {
      src_.fail(key, where, "must start with /");
    }
    int templates = 0;
    std::string route_path;
    try {
      route_path = openapi_route_path(base_ + path, mode_, templates);
    } catch (const std::invalid_argument& e) {
      src_.fail(key, where, e.what());
    }
    if (mode_ == openapi_path_mode::prefix && is_regex_path(route_path)) {
      std::string re = escaped(route_path);
      src_.warn(key, where,
                "prefix \"" + route_path + "\" has regex characters; stored as the escaped regex \"" + re + "\"");
      route_path = std::move(re);
    }
    if (item.IsNull()) {
      return;
    }
    src_.require_map(item, where);
    for (auto it = item.begin(); it != item.end(); ++it) {
      const std::string field = src_.string(it->first, where);
      if (field == "$ref") {
        src_.warn(it->first, where, "path item $ref is not followed; skipped");
        continue;
      }
      if (field == "servers") {
        src_.warn(it->first, where + ".servers", "ignored (only the top-level servers[0] is used)");
        continue;
      }
      if (std::find(http_methods.begin(), http_methods.end(), field) == http_methods.end()) {
        continue;
      }
      const YAML::Node op = it->second;
      const std::string at = where + "." + field;
      src_.require_map(op, at);
      std::string name = ascii_upper(field) + " " + path;
      if (const YAML::Node id = op["operationId"]) {
        name = src_.string(id, at + ".operationId");
        if (!operation_ids_.insert(name).second) {
          src_.fail(id, at + ".operationId", "duplicate operationId \"" + name + "\"");
        }
      }
      if (op["servers"]) {
        src_.warn(op["servers"], at + ".servers", "ignored (only the top-level servers[0] is used)");
      }
      route r;
      r.id = static_cast<std::uint32_t>(out_.routes.size() + 1);
      if (!host_.empty()) {
        r.hosts.push_back(host_);
      }
      r.paths.push_back(route_path);
      r.methods.push_back(ascii_upper(field));
      r.regex_priority = mode_ == openapi_path_mode::regex ? -templates : 0;
      r.service = 1;
      out_.routes.push_back(std::move(r));
      out_.route_names.push_back(std::move(name));
      out_.route_keys.emplace_back();
    }
  }

  imported_routes out_;
  yaml_source src_;
  YAML::Node root_;
  openapi_path_mode mode_;
  std::string host_;
  std::string base_;
  std::set<std::string> operation_ids_;
};

}  // namespace

imported_routes openapi_from_yaml(const YAML::Node& root, const std::string& file, openapi_path_mode mode) {
  return openapi_importer(root, file, mode).run();
}

}  // namespace detail

imported_routes import_openapi(const std::string& path, openapi_path_mode mode) {
  return detail::openapi_from_yaml(detail::load_yaml_file(path), path, mode);
}

imported_routes import_openapi_text(const std::string& text, const std::string& file_name, openapi_path_mode mode) {
  return detail::openapi_from_yaml(detail::parse_yaml_text(text, file_name), file_name, mode);
}

}  // namespace gwsim::router
