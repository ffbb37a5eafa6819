#include "models/router/route.hpp"

#include <algorithm>

namespace gwsim::router {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool only_digits(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), is_digit); }

std::string with_port(std::string_view host, std::string_view port) {
  std::string out(host);
  if (!port.empty()) {
    out += ':';
    out += port;
  }
  return out;
}

} // namespace

bool is_regex_path(std::string_view path) noexcept {
  return !std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
           c == '-' || c == '_' || c == '~' || c == '/' || c == '%';
  });
}

std::string_view strip_query(std::string_view request_uri) noexcept {
  if (request_uri.size() < 2) {
    return request_uri;
  }
  const auto q = request_uri.find('?', 1);
  return q == std::string_view::npos ? request_uri : request_uri.substr(0, q);
}

split_host split_port(std::string_view name, std::string_view default_port) {
  if (!name.empty() && name.front() == '[') {
    if (name.size() > 1 && name.back() == ']') {
      return {std::string(name.substr(1, name.size() - 2)), with_port(name, default_port), false};
    }
    const auto split = name.find("]:", 1);
    if (split != std::string_view::npos) {
      if (split + 2 == name.size()) {
        return {std::string(name.substr(1, split - 1)), std::string(name) + std::string(default_port),
                false};
      }
      if (only_digits(name.substr(split + 2))) {
        return {std::string(name.substr(1, split - 1)), std::string(name), true};
      }
    }
    return {std::string(name), with_port(name, default_port), false};
  }

  const auto colon = name.find(':');
  if (colon == std::string_view::npos) {
    return {std::string(name), with_port(name, default_port), false};
  }
  if (colon + 1 == name.size()) {
    const auto host = name.substr(0, colon);
    return {std::string(host), with_port(host, default_port), false};
  }
  if (!only_digits(name.substr(colon + 1))) {
    if (!default_port.empty()) {
      return {std::string(name), "[" + std::string(name) + "]:" + std::string(default_port), false};
    }
    return {std::string(name), std::string(name), false};
  }
  return {std::string(name.substr(0, colon)), std::string(name), true};
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

std::string wildcard_host_regex(std::string_view host) {
  std::string re;
  for (char c : host) {
    if (c == '.') {
      re += "\\.";
    } else if (c == '*') {
      re += ".+";
    } else {
      re += c;
    }
  }
  if (!split_port(host).had_port) {
    re += "(?::\\d+)?";
  }
  re += '$';
  return re;
}

} // namespace gwsim::router
