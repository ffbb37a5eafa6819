#pragma once
/// OpenAPI 3.x documents (YAML or JSON) imported as a route set: one route
/// per operation (path item + HTTP method), in document order, ids 1..N.
///
/// - `openapi` is required and must start with "3." (a Swagger 2.0 document
///   is rejected).
/// - servers[0].url gives the hosts and a base path: `{var}` templates are
///   replaced by servers[0].variables.var.default; an absolute URL
///   (`scheme://host[:port]/base`) makes `host[:port]` the route's only host;
///   a relative URL (`/base`) sets no host. The base path (without its
///   trailing `/`) is prefixed to every path. Other servers, and path- or
///   operation-level `servers`, are ignored with a warning.
/// - methods: get, put, post, delete, options, head, patch, trace (upper-cased
///   in the route). Other path item keys are ignored; a path item that is a
///   `$ref` is skipped with a warning.
/// - names: the operationId (which must be unique), else "METHOD path".
/// - one service (id 1) named after info.title ("openapi" without one).
///
/// Path translation (openapi_route_path()), with P = base + path:
/// - regex mode (default): P becomes a PCRE pattern: literal characters are
///   escaped (`\.^$|?*+()[]{}` get a backslash), each `{name}` becomes
///   `(?<name>[^/]+)` (one non-empty segment piece; the name with characters
///   outside `[A-Za-z0-9_]` replaced by `_`, prefixed with `_` when it starts
///   with a digit, cut to 32 characters; an unnamed `([^/]+)` when that name is
///   already used) and `$` is appended. Kong anchors regex paths at the start
///   only, so the `$` makes the route match P exactly: `/pets/{petId}`
///   becomes `/pets/(?<petId>[^/]+)$`, `/pets` becomes `/pets$`. Since Kong
///   orders regex routes by regex_priority before length, each route gets
///   regex_priority = -(number of templates), so that a concrete path
///   (`/pets/mine$`) beats a templated one (`/pets/(?<petId>[^/]+)$`) as
///   OpenAPI requires.
/// - prefix mode: P is cut just before its first `{` (`/pets/{petId}` ->
///   `/pets/`; a path without templates is kept whole) and matched as a
///   plain prefix, so the longest prefix wins; regex_priority stays 0.
///   Characters is_regex_path() takes for regex characters make the cut
///   path a regex; it is stored escaped (same literal prefix) with a warning.
/// Unbalanced braces in a path are an error.

#include <string>
#include <string_view>

#include "models/router/import_routes.hpp"

namespace gwsim::router {

/// Reads an OpenAPI 3.x file. Throws std::invalid_argument with
/// `FILE:LINE:COLUMN: reason` on any error.
[[nodiscard]] imported_routes import_openapi(const std::string& path,
                                             openapi_path_mode mode = openapi_path_mode::regex);

/// The same for a document held in memory; `file_name` is used in messages.
[[nodiscard]] imported_routes import_openapi_text(const std::string& text, const std::string& file_name = "<text>",
                                                  openapi_path_mode mode = openapi_path_mode::regex);

/// The route path for the OpenAPI path `path` (base path included), as
/// described above; `templates` receives the number of `{...}` templates.
/// Throws std::invalid_argument (without location) on unbalanced braces.
[[nodiscard]] std::string openapi_route_path(std::string_view path, openapi_path_mode mode, int& templates);

}  // namespace gwsim::router
