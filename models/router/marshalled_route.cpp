#include "models/router/marshalled_route.hpp"

#include <stdexcept>

namespace gwsim::router {

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

marshalled_route marshall(const route& r, std::uint32_t route_index, const std::vector<std::string>& paths,
                          regex_cache& regexes) {
  marshalled_route e;
  e.route_index = route_index;

  auto compile = [&r, &regexes](const std::string& pattern) -> const regex* {
    auto it = regexes.find(pattern);
    if (it == regexes.end()) {
      try {
        it = regexes.emplace(pattern, std::make_unique<regex>(pattern)).first;
      } catch (const std::invalid_argument& err) {
        throw std::invalid_argument("route " + std::to_string(r.id) + ": " + err.what());
      }
    }
    return it->second.get();
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

}  // namespace

std::vector<marshalled_route> marshall_routes(const std::vector<route>& routes, regex_cache& regexes) {
  std::vector<marshalled_route> entries;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const route& r = routes[i];
    /// A route must set at least one field (Kong: "could not categorize
    /// route"). A route whose only header is `host` is accepted and lands in
    /// category 0, as in Kong.
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() && r.snis.empty()) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": could not categorize route");
    }
    const auto ri = static_cast<std::uint32_t>(i);
    if (r.paths.size() > 1) {
      for (std::size_t k = 0; k < r.paths.size(); ++k) {
        entries.push_back(marshall(r, ri, {r.paths[k]}, regexes));
        entries.back().path_index = static_cast<std::uint32_t>(k);
      }
    } else {
      entries.push_back(marshall(r, ri, r.paths, regexes));
    }
  }

  std::stable_sort(entries.begin(), entries.end(), [&routes](const marshalled_route& a, const marshalled_route& b) {
    return sorts_before(a, routes[a.route_index], b, routes[b.route_index]);
  });
  return entries;
}

}  // namespace gwsim::router
