#pragma once
/// Kong 2.8's route marshalling (`kong/router.lua`, Router.new and its
/// marshall_route): a route set becomes one marshalled route per (route,
/// path), each carrying its match_rules bits, match_weight, submatch_weight,
/// max_uri_length and normalised host / header / uri / method / sni rules,
/// sorted as sort_routes sorts them. Also the request context both matchers
/// classify and the per-route match predicate they share. Both
/// reference_matcher and traditional_router build on this; they differ only
/// in how they find candidates (plain scans versus Kong's indexes).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "models/router/regex.hpp"
#include "models/router/route.hpp"

namespace gwsim::router {

/// Kong's MATCH_RULES bits. A route's category is the OR of the rules it
/// uses; categories are tried by number of rules, then by bit value, so with
/// equal counts host > header > uri > method > sni.
inline constexpr std::uint32_t rule_host = 0x40;
inline constexpr std::uint32_t rule_header = 0x20;
inline constexpr std::uint32_t rule_uri = 0x10;
inline constexpr std::uint32_t rule_method = 0x08;
inline constexpr std::uint32_t rule_sni = 0x04;

/// Kong's MATCH_SUBRULES, compared as one number (higher first). Note that
/// a wildcard host with a port (4) outranks plain-hosts-only (2), which
/// outranks a regex path (1).
inline constexpr std::uint32_t sub_regex_uri = 0x01;
inline constexpr std::uint32_t sub_plain_hosts_only = 0x02;
inline constexpr std::uint32_t sub_wildcard_host_port = 0x04;

/// ngx.req.get_headers(100): later header lines are not seen by the router.
inline constexpr std::size_t max_request_headers = 100;

/// Hash for string-keyed unordered containers that also accepts
/// std::string_view (C++20 heterogeneous lookup), so a lookup with a view
/// into a request builds no std::string.
struct string_hash {
  using is_transparent = void;
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
/// A std::string-keyed hash map searchable with std::string_view.
template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
/// A std::string hash set searchable with std::string_view.
using string_set = std::unordered_set<std::string, string_hash, std::equal_to<>>;

/// Compiled patterns, one per distinct pattern. The map owns them; rules
/// point into it, so it must outlive (and move together with) the marshalled
/// routes. Moving the map keeps every regex at its address.
using regex_cache = std::unordered_map<std::string, std::unique_ptr<regex>>;

struct host_rule {
  std::string value;
  const regex* wildcard = nullptr;  ///< null for a plain host
};
struct header_rule {
  std::string name;                 ///< lower-cased
  std::vector<std::string> values;  ///< lower-cased
};
struct uri_rule {
  std::string value;
  const regex* re = nullptr;  ///< null for a prefix
};

/// One entry per (route, path): Kong splits a route with several paths
/// into one marshalled route per path before sorting (Router.new).
struct marshalled_route {
  std::uint32_t route_index = 0;  ///< into the route set it was built from
  std::uint32_t path_index = 0;   ///< which of the route's paths this entry carries
  std::uint32_t match_rules = 0;
  int match_weight = 0;
  std::uint32_t submatch_weight = 0;
  std::size_t max_uri_length = 0;
  std::vector<host_rule> hosts;
  std::vector<header_rule> headers;
  std::vector<uri_rule> uris;
  std::vector<std::string> methods;  ///< upper-cased, unique
  std::vector<std::string> snis;     ///< unique
};

/// Marshals every route of `routes` (split per path) and returns the entries
/// in Kong's sort_routes order. Regexes (path regexes and wildcard-host
/// patterns) are compiled into `regexes`, reusing a pattern already there.
/// Throws std::invalid_argument for a route with no matching field at all or
/// with a pattern that does not compile (the message names the route id and
/// the pattern).
[[nodiscard]] std::vector<marshalled_route> marshall_routes(const std::vector<route>& routes, regex_cache& regexes);

/// sort_routes' order, a strict weak order: submatch_weight desc, then
/// header count desc, then (only for regex-path routes) regex_priority desc,
/// then max_uri_length desc, then created_at asc. Kong uses table.sort, which
/// is not stable, so full ties have no defined order there; here they are
/// broken by route id, then by the path's position in the route, so the
/// order depends only on the route set, never on the order routes were
/// given or added (what incremental and sharded routers need to agree with
/// a fresh build). `ra` and `rb` are the routes `a` and `b` come from.
[[nodiscard]] inline bool sorts_before(const marshalled_route& a, const route& ra, const marshalled_route& b,
                                       const route& rb) noexcept {
  if (a.submatch_weight != b.submatch_weight) {
    return a.submatch_weight > b.submatch_weight;
  }
  if (a.headers.size() != b.headers.size()) {
    return a.headers.size() > b.headers.size();
  }
  if ((a.submatch_weight & sub_regex_uri) != 0 && ra.regex_priority != rb.regex_priority) {
    return ra.regex_priority > rb.regex_priority;
  }
  if (a.max_uri_length != b.max_uri_length) {
    return a.max_uri_length > b.max_uri_length;
  }
  if (ra.created_at != rb.created_at) {
    return ra.created_at < rb.created_at;
  }
  if (ra.id != rb.id) {
    return ra.id < rb.id;
  }
  return a.path_index < b.path_index;
}

/// Categories: more rules first, then higher bit pattern (sort_categories).
[[nodiscard]] constexpr bool category_precedes(int match_weight_a, std::uint32_t bits_a, int match_weight_b,
                                               std::uint32_t bits_b) noexcept {
  if (match_weight_a != match_weight_b) {
    return match_weight_a > match_weight_b;
  }
  return bits_a > bits_b;
}

/// A request as the router compares it, plus the hits found while
/// classifying it (find_route). The hits point into the marshalled routes.
struct match_context {
  std::string method;                                                     ///< upper-cased
  std::string_view path;                                                  ///< as given
  std::string_view raw_host;                                              ///< as given
  split_host host;                                                        ///< with the scheme's default port
  std::vector<std::pair<std::string, std::vector<std::string>>> headers;  ///< lower-cased names
  std::string_view sni;
  const std::string* hit_host = nullptr;    ///< wildcard host value that matched
  const std::string* hit_header = nullptr;  ///< first indexed header name present
  const std::string* hit_uri = nullptr;     ///< regex/plain/prefix value that matched

  [[nodiscard]] const std::vector<std::string>* header(const std::string& name) const {
    for (const auto& [n, values] : headers) {
      if (n == name) {
        return &values;
      }
    }
    return nullptr;
  }
};

/// The context of `req`, keeping only request headers whose lower-cased
/// name satisfies `wanted` (a matcher may drop names no route looks at).
template <class HeaderFilter>
[[nodiscard]] match_context make_match_context(const request& req, const HeaderFilter& wanted) {
  match_context ctx;
  ctx.method = ascii_upper(req.method);
  ctx.path = req.path;
  ctx.raw_host = req.host;
  ctx.host = split_port(req.host, req.scheme == "https" ? "443" : "80");
  ctx.sni = req.sni;
  /// Request header names are case-insensitive (nginx hands them over
  /// lower-cased); repeated headers give several values; the Host header is
  /// not a header rule target.
  const std::size_t n_headers = std::min(req.headers.size(), max_request_headers);
  for (std::size_t i = 0; i < n_headers; ++i) {
    std::string name = ascii_lower(req.headers[i].first);
    if (name == "host" || !wanted(name)) {
      continue;
    }
    std::string value = ascii_lower(req.headers[i].second);
    auto it = std::find_if(ctx.headers.begin(), ctx.headers.end(), [&](const auto& h) { return h.first == name; });
    if (it == ctx.headers.end()) {
      ctx.headers.push_back({std::move(name), {std::move(value)}});
    } else {
      it->second.push_back(std::move(value));
    }
  }
  return ctx;
}

/// Whether the request of `ctx` satisfies every rule of `e` except its paths
/// (for an entry whose path is known to match). `wildcard(h, host_with_port)`
/// tests a wildcard host rule, so a caller can memoise those answers.
template <class WildcardTest>
[[nodiscard]] inline bool matches_except_path(const marshalled_route& e, const match_context& ctx,
                                              WildcardTest&& wildcard) {
  /// Host: a plain host equal to the Host header as sent or to the host
  /// without its port; else a wildcard matching the host with port (the
  /// scheme's default port when none was sent). Comparison is
  /// case-sensitive: 2.8 lower-cases neither side.
  if ((e.match_rules & rule_host) != 0) {
    const std::string_view req_host = ctx.hit_host != nullptr ? std::string_view(*ctx.hit_host) : ctx.raw_host;
    bool ok = false;
    for (const auto& h : e.hosts) {
      if (h.wildcard == nullptr && (h.value == req_host || h.value == ctx.host.host_no_port)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      for (const auto& h : e.hosts) {
        if (h.wildcard != nullptr && wildcard(h, ctx.host.host_with_port)) {
          ok = true;
          break;
        }
      }
    }
    if (!ok) {
      return false;
    }
  }

  /// Headers: every header rule needs one request value (of that name,
  /// lower-cased) equal to one of its lower-cased values.
  for (const auto& h : e.headers) {
    const auto* values = ctx.header(h.name);
    if (values == nullptr) {
      return false;
    }
    const bool ok = std::any_of(values->begin(), values->end(), [&h](const std::string& v) {
      return std::find(h.values.begin(), h.values.end(), v) != h.values.end();
    });
    if (!ok) {
      return false;
    }
  }

  if ((e.match_rules & rule_method) != 0 &&
      std::find(e.methods.begin(), e.methods.end(), ctx.method) == e.methods.end()) {
    return false;
  }
  if ((e.match_rules & rule_sni) != 0 && std::find(e.snis.begin(), e.snis.end(), ctx.sni) == e.snis.end()) {
    return false;
  }
  return true;
}

/// Whether the request of `ctx` satisfies every rule of `e` (the per-route
/// test of find_route, after the request has been classified).
/// Defined here so the matchers' candidate loops can inline it.
[[nodiscard]] inline bool matches(const marshalled_route& e, const match_context& ctx) {
  const bool others = matches_except_path(e, ctx, [](const host_rule& h, std::string_view host_with_port) {
    return h.wildcard->matches_prefix(host_with_port);
  });
  if (!others) {
    return false;
  }
  /// Paths: a regex matches anchored at the start; a prefix is a byte prefix.
  if ((e.match_rules & rule_uri) == 0) {
    return true;
  }
  return std::any_of(e.uris.begin(), e.uris.end(), [&ctx](const uri_rule& u) {
    return u.re != nullptr ? u.re->matches_prefix(ctx.path) : ctx.path.starts_with(u.value);
  });
}

}  // namespace gwsim::router
