#include "models/router/import_routes.hpp"

#include <stdexcept>

#include "models/router/import_yaml.hpp"

namespace gwsim::router {

namespace {

imported_routes import_document(const YAML::Node& root, const std::string& file, const import_options& options) {
  route_file_format format = options.format;
  if (format == route_file_format::automatic) {
    if (root.IsMap() && root["_format_version"]) {
      format = route_file_format::kong;
    } else if (root.IsMap() && (root["openapi"] || root["swagger"])) {
      format = route_file_format::openapi;
    } else if (root.IsMap() && (root["services"] || root["routes"])) {
      format = route_file_format::kong;  // a Kong file without its version: let the importer say so
    } else {
      const YAML::Mark mark = root.IsDefined() && !root.IsNull() ? root.Mark() : YAML::Mark{};
      const std::string where = mark.line < 0 ? file + ":1:1: " : detail::location(file, mark);
      throw std::invalid_argument(where +
                                  "unknown route file format: expected a mapping with `_format_version` (Kong "
                                  "declarative configuration) or `openapi` (OpenAPI 3.x)");
    }
  }
  if (format == route_file_format::kong) {
    return detail::kong_from_yaml(root, file);
  }
  return detail::openapi_from_yaml(root, file, options.openapi_paths);
}

}  // namespace

imported_routes import_route_file(const std::string& path, const import_options& options) {
  return import_document(detail::load_yaml_file(path), path, options);
}

imported_routes import_route_text(const std::string& text, const std::string& file_name,
                                  const import_options& options) {
  return import_document(detail::parse_yaml_text(text, file_name), file_name, options);
}

route_file_format parse_route_file_format(const std::string& name) {
  if (name == "auto") {
    return route_file_format::automatic;
  }
  if (name == "kong") {
    return route_file_format::kong;
  }
  if (name == "openapi") {
    return route_file_format::openapi;
  }
  throw std::invalid_argument("unknown route file format \"" + name + "\" (expected auto, kong or openapi)");
}

openapi_path_mode parse_openapi_path_mode(const std::string& name) {
  if (name == "regex") {
    return openapi_path_mode::regex;
  }
  if (name == "prefix") {
    return openapi_path_mode::prefix;
  }
  throw std::invalid_argument("unknown OpenAPI path mode \"" + name + "\" (expected regex or prefix)");
}

}  // namespace gwsim::router
