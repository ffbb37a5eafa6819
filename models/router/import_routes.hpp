#pragma once
/// A route set imported from a file (Kong declarative configuration or an
/// OpenAPI 3.x document) and the entry point that picks the importer.
///
/// Every error is a std::invalid_argument whose message starts with
/// `FILE:LINE:COLUMN: ` (1-based, as editors count) followed by the place in
/// the document (`routes[3].paths[0]: must be a string`) or by the YAML
/// parser's own message for a syntax error. JSON is read by the same YAML
/// parser, so JSON files get the same messages.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/router/route.hpp"

namespace gwsim::router {

/// A service of the imported file.
struct imported_service {
  /// Numeric id used in route::service (1-based; 0 in a route means "no service").
  std::uint32_t id = 0;
  /// The service's `name` ("" when it has none).
  std::string name{};
  /// The file's own `id` of the service (a UUID in Kong files; "" when none).
  std::string key{};
};

/// What an importer produced.
struct imported_routes {
  /// "kong 2.1", "kong 3.0", "openapi 3.0.3", ...
  std::string format{};
  /// Routes in document order, with unique numeric ids.
  std::vector<route> routes{};
  /// Parallel to routes: each route's name ("" when it has none).
  std::vector<std::string> route_names{};
  /// Parallel to routes: the file's own `id` of each route ("" when none).
  std::vector<std::string> route_keys{};
  /// Services in document order.
  std::vector<imported_service> services{};
  /// Plugin entries seen (top-level, per service and per route); they are
  /// counted, not modelled.
  std::size_t plugins = 0;
  /// Things that were accepted but ignored or reinterpreted, each
  /// `FILE:LINE:COLUMN: text`.
  std::vector<std::string> warnings{};
};

/// The kind of a route file.
enum class route_file_format {
  /// Kong when the top-level mapping has `_format_version`, OpenAPI when it
  /// has `openapi` (or `swagger`, which is then rejected), else Kong when it
  /// has `services` or `routes` (so a missing `_format_version` is reported
  /// as such); anything else is an error.
  automatic,
  kong,
  openapi,
};

/// How OpenAPI paths become route paths (see import_openapi.hpp).
enum class openapi_path_mode {
  /// Every path becomes a regex anchored at both ends; templates become groups.
  regex,
  /// Every path becomes a plain prefix cut before its first template.
  prefix,
};

/// Options of import_route_file().
struct import_options {
  route_file_format format = route_file_format::automatic;
  openapi_path_mode openapi_paths = openapi_path_mode::regex;
};

/// Reads `path` (YAML or JSON) and imports it with the importer named by
/// `options.format`, detecting it when automatic. Throws
/// std::invalid_argument (`FILE:LINE:COLUMN: reason`) on unreadable files,
/// syntax errors, undetectable formats and invalid content.
[[nodiscard]] imported_routes import_route_file(const std::string& path, const import_options& options = {});

/// The same for a document held in memory; `file_name` is used in messages.
[[nodiscard]] imported_routes import_route_text(const std::string& text, const std::string& file_name,
                                                const import_options& options = {});

/// Parses the text of a format name: "auto", "kong" or "openapi".
/// Throws std::invalid_argument for anything else.
[[nodiscard]] route_file_format parse_route_file_format(const std::string& name);

/// Parses the text of an OpenAPI path mode: "regex" or "prefix".
/// Throws std::invalid_argument for anything else.
[[nodiscard]] openapi_path_mode parse_openapi_path_mode(const std::string& name);

}  // namespace gwsim::router
