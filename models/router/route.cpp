#include "models/router/route.hpp"

#include <algorithm>

namespace gwsim::router {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool only_digits(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), is_digit); }

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

void split_port(std::string_view name, std::string_view default_port, split_host& out) {
  auto set = [&out](std::string_view no_port, bool had_port) {
    out.host_no_port.assign(no_port);
    out.had_port = had_port;
  };
  /// host_with_port: `a` then, when `port` is not empty, `sep` and `port`.
  auto with = [&out](std::string_view a, std::string_view sep, std::string_view port) {
    out.host_with_port.assign(a);
    if (!port.empty()) {
      out.host_with_port.append(sep).append(port);
    }
  };
  if (!name.empty() && name.front() == '[') {
    if (name.size() > 1 && name.back() == ']') {
      set(name.substr(1, name.size() - 2), false);
      with(name, ":", default_port);
      return;
    }
    const auto split = name.find("]:", 1);
    if (split != std::string_view::npos) {
      if (split + 2 == name.size()) {
        set(name.substr(1, split - 1), false);
        with(name, "", default_port);
        return;
      }
      if (only_digits(name.substr(split + 2))) {
        set(name.substr(1, split - 1), true);
        with(name, "", "");
        return;
      }
    }
    set(name, false);
    with(name, ":", default_port);
    return;
  }

  const auto colon = name.find(':');
  if (colon == std::string_view::npos) {
    set(name, false);
    with(name, ":", default_port);
    return;
  }
  if (colon + 1 == name.size()) {
    const auto host = name.substr(0, colon);
    set(host, false);
    with(host, ":", default_port);
    return;
  }
  if (!only_digits(name.substr(colon + 1))) {
    set(name, false);
    if (!default_port.empty()) {
      out.host_with_port.assign("[").append(name).append("]:").append(default_port);
    } else {
      with(name, "", "");
    }
    return;
  }
  set(name.substr(0, colon), true);
  with(name, "", "");
}

split_host split_port(std::string_view name, std::string_view default_port) {
  split_host out;
  split_port(name, default_port, out);
  return out;
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
