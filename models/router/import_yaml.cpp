#include "models/router/import_yaml.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace gwsim::router::detail {

namespace {

std::string prefixed(std::string_view where, std::string_view text) {
  std::string out;
  if (!where.empty()) {
    out.append(where).append(": ");
  }
  out.append(text);
  return out;
}

}  // namespace

std::string location(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) {
    return file + ": ";
  }
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& file) {
  try {
    YAML::Node root = YAML::Load(text);
    return root;
  } catch (const YAML::ParserException& e) {
    throw std::invalid_argument(location(file, e.mark) + "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(location(file, e.mark) + "YAML error: " + e.msg);
  }
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument(path + ": cannot read file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_yaml_text(text.str(), path);
}

void yaml_source::fail(const YAML::Node& node, std::string_view where, std::string_view reason) const {
  throw std::invalid_argument(location(file_, node.Mark()) + prefixed(where, reason));
}

void yaml_source::warn(const YAML::Node& node, std::string_view where, std::string_view text) const {
  warnings_->push_back(location(file_, node.Mark()) + prefixed(where, text));
}

std::string yaml_source::string(const YAML::Node& node, std::string_view where) const {
  if (!node.IsScalar()) {
    fail(node, where, "must be a string");
  }
  return node.Scalar();
}

std::vector<std::string> yaml_source::strings(const YAML::Node& node, const std::string& where) const {
  std::vector<std::string> out;
  const std::vector<YAML::Node> items = list(node, where);
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(string(items[i], where + "[" + std::to_string(i) + "]"));
  }
  return out;
}

std::int64_t yaml_source::integer(const YAML::Node& node, std::string_view where, std::int64_t lo,
                                  std::int64_t hi) const {
  const std::string text = string(node, where);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) {
    fail(node, where, "must be an integer");
  }
  if (value < lo || value > hi) {
    fail(node, where, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return value;
}

void yaml_source::require_map(const YAML::Node& node, std::string_view where) const {
  if (!node.IsMap()) {
    fail(node, where, "must be a mapping");
  }
}

std::vector<YAML::Node> yaml_source::list(const YAML::Node& node, std::string_view where) const {
  std::vector<YAML::Node> out;
  if (!node || node.IsNull()) {
    return out;
  }
  if (!node.IsSequence()) {
    fail(node, where, "must be a list");
  }
  for (const YAML::Node& item : node) {
    out.push_back(item);
  }
  return out;
}

}  // namespace gwsim::router::detail
