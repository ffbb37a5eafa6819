#pragma once
/// Internal helpers of the route importers (not part of the public API):
/// loading YAML with located errors and typed reads of nodes that fail with
/// `FILE:LINE:COLUMN: where: reason`.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/router/import_routes.hpp"

namespace gwsim::router::detail {

/// Parses one YAML (or JSON) document; syntax errors become
/// std::invalid_argument `FILE:LINE:COLUMN: YAML syntax error: ...`.
[[nodiscard]] YAML::Node parse_yaml_text(const std::string& text, const std::string& file);

/// Reads and parses a file; an unreadable file is `FILE: cannot read file`.
[[nodiscard]] YAML::Node load_yaml_file(const std::string& path);

/// `FILE:LINE:COLUMN: ` for a mark (just `FILE: ` when the mark is unknown).
[[nodiscard]] std::string location(const std::string& file, const YAML::Mark& mark);

/// One document being imported: its name (for messages) and the warning sink.
class yaml_source {
 public:
  /// `warnings` must outlive this object.
  yaml_source(std::string file, std::vector<std::string>& warnings) : file_(std::move(file)), warnings_(&warnings) {}

  /// Throws std::invalid_argument `FILE:LINE:COLUMN: where: reason` at `node`.
  [[noreturn]] void fail(const YAML::Node& node, std::string_view where, std::string_view reason) const;
  /// Records `FILE:LINE:COLUMN: where: text`.
  void warn(const YAML::Node& node, std::string_view where, std::string_view text) const;

  /// A scalar's text; anything else fails with "must be a string".
  [[nodiscard]] std::string string(const YAML::Node& node, std::string_view where) const;
  /// A sequence of strings (null or undefined means empty); fails naming the bad element.
  [[nodiscard]] std::vector<std::string> strings(const YAML::Node& node, const std::string& where) const;
  /// A decimal integer within [lo, hi].
  [[nodiscard]] std::int64_t integer(const YAML::Node& node, std::string_view where, std::int64_t lo,
                                     std::int64_t hi) const;
  /// Fails with "must be a mapping" unless `node` is one.
  void require_map(const YAML::Node& node, std::string_view where) const;
  /// A sequence's elements (null or undefined means none); fails with "must be a list" otherwise.
  [[nodiscard]] std::vector<YAML::Node> list(const YAML::Node& node, std::string_view where) const;

  /// The file name used in messages.
  [[nodiscard]] const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
  std::vector<std::string>* warnings_;
};

/// The Kong importer on a parsed document (import_kong.cpp).
[[nodiscard]] imported_routes kong_from_yaml(const YAML::Node& root, const std::string& file);
/// The OpenAPI importer on a parsed document (import_openapi.cpp).
[[nodiscard]] imported_routes openapi_from_yaml(const YAML::Node& root, const std::string& file,
                                                openapi_path_mode mode);

}  // namespace gwsim::router::detail
