#include "models/router/reference_matcher.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

namespace gwsim::router {

namespace {

/// Kong's MATCH_RULES bits. A route's category is the OR of the rules it
/// uses; categories are tried by number of rules, then by bit value, so with
/// equal counts host > header > uri > method > sni.
constexpr std::uint32_t rule_host = 0x40;
constexpr std::uint32_t rule_header = 0x20;
constexpr std::uint32_t rule_uri = 0x10;
constexpr std::uint32_t rule_method = 0x08;
constexpr std::uint32_t rule_sni = 0x04;

/// Kong's MATCH_SUBRULES, compared as one number (higher first). Note that
/// a wildcard host with a port (4) outranks plain-hosts-only (2), which
/// outranks a regex path (1).
constexpr std::uint32_t sub_regex_uri = 0x01;
constexpr std::uint32_t sub_plain_hosts_only = 0x02;
constexpr std::uint32_t sub_wildcard_host_port = 0x04;

/// ngx.req.get_headers(100): later header lines are not seen by the router.
constexpr std::size_t max_request_headers = 100;

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

struct reference_matcher::context {
  std::string method;          ///< upper-cased
  std::string_view path;       ///< as given
  std::string_view raw_host;   ///< as given
  split_host host;             ///< with the scheme's default port
  std::vector<std::pair<std::string, std::vector<std::string>>> headers; ///< lower-cased names
  std::string_view sni;
  std::optional<std::string> hit_host;   ///< wildcard host value that matched
  std::optional<std::string> hit_header; ///< first indexed header name present
  std::optional<std::string> hit_uri;    ///< regex/plain/prefix value that matched

  [[nodiscard]] const std::vector<std::string>* header(const std::string& name) const {
    for (const auto& [n, values] : headers) {
      if (n == name) {
        return &values;
      }
    }
    return nullptr;
  }
};

reference_matcher::entry reference_matcher::marshall(std::size_t route_index,
                                                     const std::vector<std::string>& paths) const {
  const route& r = routes_[route_index];
  entry e;
  e.route_index = route_index;

  auto compile = [&r](const std::string& pattern) {
    try {
      return std::make_unique<regex>(pattern);
    } catch (const std::invalid_argument& err) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": " + err.what());
    }
  };

  /// Hosts: a host containing `*` is a wildcard. Any wildcard clears
  /// PLAIN_HOSTS_ONLY; a wildcard carrying its own port sets
  /// HAS_WILDCARD_HOST_PORT (marshall_route).
  if (!r.hosts.empty()) {
    bool any_wildcard = false;
    bool wildcard_port = false;
    for (const auto& h : r.hosts) {
      host_rule rule{h, nullptr};
      if (h.find('*') != std::string::npos) {
        any_wildcard = true;
        wildcard_port = wildcard_port || split_port(h).had_port;
        rule.wildcard = compile(wildcard_host_regex(h));
      }
      e.hosts.push_back(std::move(rule));
    }
    e.match_rules |= rule_host;
    ++e.match_weight;
    if (!any_wildcard) {
      e.submatch_weight |= sub_plain_hosts_only;
    }
    if (wildcard_port) {
      e.submatch_weight |= sub_wildcard_host_port;
    }
  }

  /// Headers: names and values are lower-cased; `host` is not a header rule
  /// (it is what `hosts` is for). The number of header rules is a sort key.
  for (const auto& [name, values] : r.headers) {
    std::string lname = ascii_lower(name);
    if (lname == "host") {
      continue;
    }
    header_rule rule{std::move(lname), {}};
    for (const auto& v : values) {
      rule.values.push_back(ascii_lower(v));
    }
    e.headers.push_back(std::move(rule));
  }
  if (!e.headers.empty()) {
    e.match_rules |= rule_header;
    ++e.match_weight;
  }

  /// Paths: prefixes count towards max_uri_length; regexes set HAS_REGEX_URI
  /// and do not count.
  if (!paths.empty()) {
    e.match_rules |= rule_uri;
    ++e.match_weight;
    for (const auto& p : paths) {
      if (is_regex_path(p)) {
        e.uris.push_back({p, compile(p)});
        e.submatch_weight |= sub_regex_uri;
      } else {
        e.uris.push_back({p, nullptr});
        e.max_uri_length = std::max(e.max_uri_length, p.size());
      }
    }
  }

  /// Methods compare upper-cased on both sides.
  if (!r.methods.empty()) {
    e.match_rules |= rule_method;
    ++e.match_weight;
    for (const auto& m : r.methods) {
      std::string um = ascii_upper(m);
      if (!contains(e.methods, um)) {
        e.methods.push_back(std::move(um));
      }
    }
  }

  /// SNIs compare exactly.
  if (!r.snis.empty()) {
    e.match_rules |= rule_sni;
    ++e.match_weight;
    for (const auto& s : r.snis) {
      if (!contains(e.snis, s)) {
        e.snis.push_back(s);
      }
    }
  }
  return e;
}

reference_matcher::reference_matcher(std::vector<route> routes) : routes_(std::move(routes)) {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const route& r = routes_[i];
    /// A route must set at least one field (Kong: "could not categorize
    /// route"). A route whose only header is `host` is accepted and lands in
    /// category 0, as in Kong.
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() &&
        r.snis.empty()) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": could not categorize route");
    }
    if (r.paths.size() > 1) {
      for (const auto& p : r.paths) {
        entries_.push_back(marshall(i, {p}));
      }
    } else {
      entries_.push_back(marshall(i, r.paths));
    }
  }

  /// sort_routes: submatch_weight desc, then header count desc, then (only
  /// for regex-path routes) regex_priority desc, then max_uri_length desc,
  /// then created_at asc. Kong uses table.sort, which is not stable, so full
  /// ties have no defined order there; here they keep input order.
  std::stable_sort(entries_.begin(), entries_.end(), [this](const entry& a, const entry& b) {
    if (a.submatch_weight != b.submatch_weight) {
      return a.submatch_weight > b.submatch_weight;
    }
    if (a.headers.size() != b.headers.size()) {
      return a.headers.size() > b.headers.size();
    }
    const route& ra = routes_[a.route_index];
    const route& rb = routes_[b.route_index];
    if ((a.submatch_weight & sub_regex_uri) != 0 && ra.regex_priority != rb.regex_priority) {
      return ra.regex_priority > rb.regex_priority;
    }
    if (a.max_uri_length != b.max_uri_length) {
      return a.max_uri_length > b.max_uri_length;
    }
    return ra.created_at < rb.created_at;
  });

  std::map<std::uint32_t, std::size_t> by_bits;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto bits = entries_[i].match_rules;
    auto [it, inserted] = by_bits.try_emplace(bits, categories_.size());
    if (inserted) {
      categories_.push_back({bits, entries_[i].match_weight, {}});
    }
    categories_[it->second].entries.push_back(i);
  }
  /// Categories: more rules first, then higher bit pattern (sort_categories).
  std::sort(categories_.begin(), categories_.end(), [](const category& a, const category& b) {
    if (a.match_weight != b.match_weight) {
      return a.match_weight > b.match_weight;
    }
    return a.bits > b.bits;
  });
}

bool reference_matcher::matches(const entry& e, const context& ctx) const {
  /// Host: a plain host equal to the Host header as sent or to the host
  /// without its port; else a wildcard matching the host with port (the
  /// scheme's default port when none was sent). Comparison is
  /// case-sensitive: 2.8 lower-cases neither side.
  if ((e.match_rules & rule_host) != 0) {
    const std::string_view req_host = ctx.hit_host ? std::string_view(*ctx.hit_host) : ctx.raw_host;
    bool ok = false;
    for (const auto& h : e.hosts) {
      if (!h.wildcard && (h.value == req_host || h.value == ctx.host.host_no_port)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      for (const auto& h : e.hosts) {
        if (h.wildcard && h.wildcard->matches_prefix(ctx.host.host_with_port)) {
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
    const bool ok = std::any_of(values->begin(), values->end(),
                                [&h](const std::string& v) { return contains(h.values, v); });
    if (!ok) {
      return false;
    }
  }

  /// Paths: a regex matches anchored at the start; a prefix is a byte prefix.
  if ((e.match_rules & rule_uri) != 0) {
    const bool ok = std::any_of(e.uris.begin(), e.uris.end(), [&ctx](const uri_rule& u) {
      return u.re ? u.re->matches_prefix(ctx.path) : ctx.path.starts_with(u.value);
    });
    if (!ok) {
      return false;
    }
  }

  if ((e.match_rules & rule_method) != 0 && !contains(e.methods, ctx.method)) {
    return false;
  }
  if ((e.match_rules & rule_sni) != 0 &&
      std::find(e.snis.begin(), e.snis.end(), ctx.sni) == e.snis.end()) {
    return false;
  }
  return true;
}

/// Kong first tries a "reduced" candidate list inside each category: for
/// each rule of the category (host, header, uri, method, sni order) the
/// routes indexed under the request's hit for that rule, keeping the
/// shortest non-empty list (first one on ties); only if none of those match
/// does it try the whole category (reduce + find_route). Because the hits are
/// computed over *all* routes, this can pick a later route of the category
/// over an earlier one, so it is reproduced here.
std::vector<std::size_t> reference_matcher::reduce(const category& cat, const context& ctx) const {
  std::vector<std::size_t> best;
  bool have = false;
  auto consider = [&](std::vector<std::size_t> list) {
    if (!list.empty() && (!have || list.size() < best.size())) {
      best = std::move(list);
      have = true;
    }
  };
  auto collect = [&](auto occurrences) {
    std::vector<std::size_t> list;
    for (std::size_t idx : cat.entries) {
      for (std::size_t k = occurrences(entries_[idx]); k > 0; --k) {
        list.push_back(idx);
      }
    }
    return list;
  };
  if ((cat.bits & rule_host) != 0) {
    const std::string_view key = ctx.hit_host ? std::string_view(*ctx.hit_host) : ctx.raw_host;
    consider(collect([&](const entry& e) {
      return static_cast<std::size_t>(std::count_if(e.hosts.begin(), e.hosts.end(),
                                                    [&](const host_rule& h) { return h.value == key; }));
    }));
  }
  if ((cat.bits & rule_header) != 0 && ctx.hit_header) {
    consider(collect([&](const entry& e) {
      return static_cast<std::size_t>(std::count_if(
          e.headers.begin(), e.headers.end(),
          [&](const header_rule& h) { return h.name == *ctx.hit_header; }));
    }));
  }
  if ((cat.bits & rule_uri) != 0 && ctx.hit_uri) {
    consider(collect([&](const entry& e) {
      return static_cast<std::size_t>(std::count_if(
          e.uris.begin(), e.uris.end(), [&](const uri_rule& u) { return u.value == *ctx.hit_uri; }));
    }));
  }
  if ((cat.bits & rule_method) != 0) {
    consider(collect([&](const entry& e) -> std::size_t { return contains(e.methods, ctx.method) ? 1 : 0; }));
  }
  if ((cat.bits & rule_sni) != 0) {
    consider(collect([&](const entry& e) -> std::size_t {
      return std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end() ? 1 : 0;
    }));
  }
  return best;
}

const route* reference_matcher::match(const request& req) const {
  context ctx;
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
    if (name == "host") {
      continue;
    }
    std::string value = ascii_lower(req.headers[i].second);
    auto it = std::find_if(ctx.headers.begin(), ctx.headers.end(),
                           [&](const auto& h) { return h.first == name; });
    if (it == ctx.headers.end()) {
      ctx.headers.push_back({std::move(name), {std::move(value)}});
    } else {
      it->second.push_back(std::move(value));
    }
  }

  /// The request's category and hits (find_route). Header: the first header
  /// name, in sorted route order, that the request carries (any value).
  std::uint32_t req_category = 0;
  for (const auto& e : entries_) {
    for (const auto& h : e.headers) {
      if (!ctx.hit_header && ctx.header(h.name) != nullptr) {
        ctx.hit_header = h.name;
      }
    }
  }
  if (ctx.hit_header) {
    req_category |= rule_header;
  }
  /// Host: any plain host equal to host-with-port or host-without-port;
  /// otherwise the first wildcard (sorted route order) that matches.
  bool plain_host_hit = false;
  for (const auto& e : entries_) {
    for (const auto& h : e.hosts) {
      if (!h.wildcard && (h.value == ctx.host.host_with_port || h.value == ctx.host.host_no_port)) {
        plain_host_hit = true;
      }
    }
  }
  if (plain_host_hit) {
    req_category |= rule_host;
  } else {
    for (const auto& e : entries_) {
      for (const auto& h : e.hosts) {
        if (!ctx.hit_host && h.wildcard && h.wildcard->matches_prefix(ctx.host.host_with_port)) {
          ctx.hit_host = h.value;
        }
      }
    }
    if (ctx.hit_host) {
      req_category |= rule_host;
    }
  }
  /// URI: the first regex (sorted route order) that matches; else a prefix
  /// equal to the path; else the longest prefix of the path.
  for (const auto& e : entries_) {
    for (const auto& u : e.uris) {
      if (!ctx.hit_uri && u.re && u.re->matches_prefix(ctx.path)) {
        ctx.hit_uri = u.value;
      }
    }
  }
  if (!ctx.hit_uri) {
    const uri_rule* best = nullptr;
    for (const auto& e : entries_) {
      for (const auto& u : e.uris) {
        if (!u.re && ctx.path.starts_with(u.value) &&
            (best == nullptr || u.value.size() > best->value.size() || u.value == ctx.path)) {
          best = &u;
        }
      }
    }
    if (best != nullptr) {
      ctx.hit_uri = best->value;
    }
  }
  if (ctx.hit_uri) {
    req_category |= rule_uri;
  }
  for (const auto& e : entries_) {
    if (contains(e.methods, ctx.method)) {
      req_category |= rule_method;
    }
    if (std::find(e.snis.begin(), e.snis.end(), ctx.sni) != e.snis.end()) {
      req_category |= rule_sni;
    }
  }
  /// A request that hits no rule of any route matches nothing, even a
  /// category-0 route.
  if (req_category == 0) {
    return nullptr;
  }

  /// Categories in order. Kong starts at the request's own category when one
  /// exists; every earlier category has at least as many rules and so cannot
  /// be a subset of the request's unless it is that category, so scanning
  /// from the top gives the same answer.
  for (const auto& cat : categories_) {
    for (std::size_t idx : reduce(cat, ctx)) {
      if (matches(entries_[idx], ctx)) {
        return &routes_[entries_[idx].route_index];
      }
    }
    for (std::size_t idx : cat.entries) {
      if (matches(entries_[idx], ctx)) {
        return &routes_[entries_[idx].route_index];
      }
    }
  }
  return nullptr;
}

} // namespace gwsim::router
