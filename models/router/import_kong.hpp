#pragma once
/// Kong declarative configuration (the `kong.yml` that `kong config
/// db_import` and decK read), YAML or JSON, imported as a route set.
///
/// Accepted:
///  - `_format_version` is required and must be "1.1", "2.1" or "3.0"
///    (quoted or not). "1.1" and "2.1" are Kong 1.x/2.x files: a path is a
///    regex exactly when route.hpp's is_regex_path() says so. "3.0" is a
///    Kong 3.x file: a path starting with `~` is a regex (the `~` is
///    stripped); any other path is a plain prefix, and one with characters
///    is_regex_path() would take for a regex is stored escaped as a regex
///    that matches the same literal prefix (with a warning, since it then
///    sorts as a regex path). A 3.0 regex without any such character (e.g.
///    `~/users`) cannot be told from a prefix by the matchers and is kept as
///    the prefix (with a warning). In a "1.1"/"2.1" file a path starting
///    with `~` is an error (the marker needs "3.0").
///  - `services:` (a list) with nested `routes:`; top-level `routes:` whose
///    `service` is a service's name or id (a string) or a mapping with
///    `name` or `id`. A top-level route without `service` has service 0.
///  - route fields: name, id, hosts, paths, methods, headers (mapping of
///    header name to a list of values), snis, regex_priority, created_at
///    (epoch seconds, 0 when absent), service. Fields that do not change
///    which route matches (protocols, strip_path, preserve_host,
///    path_handling, https_redirect_status_code, request_buffering,
///    response_buffering, tags, updated_at) are ignored silently;
///    sources/destinations (stream routing), a `host` header rule and unknown
///    fields are ignored with a warning.
///  - `plugins:` lists (top-level, per service, per route) are counted in
///    imported_routes::plugins and otherwise ignored. Other Kong entity lists
///    (consumers, upstreams, certificates, ...) are ignored silently; unknown
///    top-level keys with a warning.
///
/// Ids: an `id` that is a decimal integer in [1, 2^32-1] is used as the
/// numeric id; every other route (no id, or a UUID kept in route_keys) gets
/// the smallest unused number, in document order from 1. Services likewise.
/// Duplicate ids or names are errors. Paths must start with `/` (`~/` for a
/// 3.0 regex) and regexes must compile; a route must set at least one of
/// hosts, paths, methods, headers, snis.

#include <string>

#include "models/router/import_routes.hpp"

namespace gwsim::router {

/// Reads a Kong declarative configuration file. Throws std::invalid_argument
/// with `FILE:LINE:COLUMN: reason` on any error.
[[nodiscard]] imported_routes import_kong(const std::string& path);

/// The same for a document held in memory; `file_name` is used in messages.
[[nodiscard]] imported_routes import_kong_text(const std::string& text, const std::string& file_name = "<text>");

}  // namespace gwsim::router
