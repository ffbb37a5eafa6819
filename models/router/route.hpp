#pragma once
/// A route and a request as Kong 2.8's traditional router (`kong/router.lua`)
/// sees them, plus the normalisations that router applies before comparing.
/// Only the HTTP subsystem's fields are modelled (no sources/destinations).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::router {

struct route {
  std::uint32_t id = 0;
  /// Exact names, or wildcards with one leading or trailing `*`
  /// (`*.example.com`, `example.*`), each optionally with `:port`.
  std::vector<std::string> hosts{};
  /// Each path is a plain prefix or a regex; see is_regex_path().
  std::vector<std::string> paths{};
  std::vector<std::string> methods{};
  /// Header name -> accepted values; names and values compare
  /// case-insensitively. A header named `host` is ignored.
  std::vector<std::pair<std::string, std::vector<std::string>>> headers{};
  std::vector<std::string> snis{};
  int regex_priority = 0;
  std::int64_t created_at = 0;
  std::uint32_t service = 0;
};

struct request {
  /// The Host header as sent, possibly with `:port`.
  std::string host{};
  /// The request path without the query string (see strip_query()).
  std::string path{};
  std::string method{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string sni{};
  /// Only decides the default port appended to a port-less host when wildcard
  /// hosts are matched: 443 for "https", 80 otherwise.
  std::string scheme = "http";
};

/// A path is a plain prefix when every character is in
/// `[a-zA-Z0-9.\-_~/%]`; anything else makes it a regex (marshall_route in
/// 2.x: the `re_find(path, "^[a-zA-Z0-9\.\-_~/%]*$")` test). So `/users`
/// and `/a%20b` are prefixes while `/users/\d+` or `/v1/(a|b)` are regexes.
/// The `~` marker for regexes belongs to 3.x and is not recognised here.
[[nodiscard]] bool is_regex_path(std::string_view path) noexcept;

/// The router matches `ngx.var.request_uri` cut at the first `?` found from
/// the second character on (exec in 2.x). There is no percent-decoding, dot
/// segment removal or slash merging: the path is compared byte for byte.
[[nodiscard]] std::string_view strip_query(std::string_view request_uri) noexcept;

struct split_host {
  std::string host_no_port;
  std::string host_with_port;
  bool had_port = false;
};

/// Kong's split_port: a trailing `:digits` is the port; `[...]` brackets are
/// peeled off IPv6 literals; a string with a colon followed by non-digits
/// (an unbracketed IPv6 literal) cannot be split. host_with_port carries the
/// default port when the name had none (`[name]:port` for the unsplittable
/// case). An empty default_port means "add none".
[[nodiscard]] split_host split_port(std::string_view name, std::string_view default_port = {});
/// The same into `out`, reusing its strings' buffers.
void split_port(std::string_view name, std::string_view default_port, split_host& out);

/// ASCII case mapping as Lua's string.lower/upper do it (no locale).
[[nodiscard]] std::string ascii_lower(std::string_view s);
[[nodiscard]] std::string ascii_upper(std::string_view s);

/// The regex Kong derives from a wildcard host: `.` is escaped, `*` becomes
/// `.+`, the end is anchored with `$`; when the host carries no port,
/// `(?::\d+)?` before the `$` lets any port match. It is matched, anchored
/// at the start, against the request's host *with* port (marshall_route).
[[nodiscard]] std::string wildcard_host_regex(std::string_view host);

} // namespace gwsim::router
