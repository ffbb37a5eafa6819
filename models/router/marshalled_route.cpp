#include "models/router/marshalled_route.hpp"

#include <stdexcept>

namespace gwsim::router {

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool is_host_header(std::string_view name) noexcept {
  return name.size() == 4 && (name[0] | 0x20) == 'h' && (name[1] | 0x20) == 'o' && (name[2] | 0x20) == 's' &&
         (name[3] | 0x20) == 't';
}

const regex* compile_pattern(const route& r, const std::string& pattern, regex_cache& regexes) {
  auto it = regexes.find(pattern);
  if (it == regexes.end()) {
    try {
      it = regexes.emplace(pattern, std::make_unique<regex>(pattern)).first;
    } catch (const std::invalid_argument& err) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": " + err.what());
    }
  }
  return it->second.get();
}

/// The entry of route `r` carrying `path` (null for a route without
/// paths); `path_is_regex` is is_regex_path(*path), known by the caller.
marshalled_route marshall(const route& r, std::uint32_t route_index, const std::string* path, bool path_is_regex,
                          regex_cache& regexes) {
  marshalled_route e;
  e.route_index = route_index;

  auto compile = [&r, &regexes](const std::string& pattern) { return compile_pattern(r, pattern, regexes); };

  /// Hosts: a host containing `*` is a wildcard. Any wildcard clears
  /// PLAIN_HOSTS_ONLY; a wildcard carrying its own port sets
  /// HAS_WILDCARD_HOST_PORT (marshall_route).
  if (!r.hosts.empty()) {
    bool any_wildcard = false;
    bool wildcard_port = false;
    e.hosts.reserve(r.hosts.size());
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
  e.headers.reserve(r.headers.size());
  for (const auto& [name, values] : r.headers) {
    std::string lname = ascii_lower(name);
    if (lname == "host") {
      continue;
    }
    header_rule rule{std::move(lname), {}};
    rule.values.reserve(values.size());
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
  if (path != nullptr) {
    e.match_rules |= rule_uri;
    ++e.match_weight;
    e.uris.reserve(1);
    if (path_is_regex) {
      e.uris.push_back({*path, compile(*path)});
      e.submatch_weight |= sub_regex_uri;
    } else {
      e.uris.push_back({*path, nullptr});
      e.max_uri_length = path->size();
    }
  }

  /// Methods compare upper-cased on both sides.
  if (!r.methods.empty()) {
    e.match_rules |= rule_method;
    ++e.match_weight;
    e.methods.reserve(r.methods.size());
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
    e.snis.reserve(r.snis.size());
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
  /// The sort order only needs a few numbers per (route, path), all
  /// computable from the route, so the entries are sorted as flat keys
  /// first and then marshalled straight into their sorted places: no fat
  /// entry is moved, and the output is written front to back. The keys
  /// compare field by field exactly as sorts_before does (regex_priority
  /// only counts for regex-path entries, and two entries reaching that test
  /// have the same submatch_weight); the position in route and path order
  /// breaks full ties, as a stable sort of the entries would.
  struct sort_key {
    std::uint32_t submatch_weight;
    std::uint32_t header_count;
    int regex_priority;
    std::uint32_t path_index;
    std::size_t max_uri_length;
    std::int64_t created_at;
    std::uint32_t id;
    std::uint32_t route_index;
    std::uint32_t position;
    bool has_path;
  };
  std::size_t n_entries = 0;
  for (const route& r : routes) {
    n_entries += std::max<std::size_t>(r.paths.size(), 1);
  }
  std::vector<sort_key> keys;
  keys.reserve(n_entries);

  for (std::size_t i = 0; i < routes.size(); ++i) {
    const route& r = routes[i];
    /// A route must set at least one field (Kong: "could not categorize
    /// route"). A route whose only header is `host` is accepted and lands in
    /// category 0, as in Kong.
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() && r.snis.empty()) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": could not categorize route");
    }
    /// Patterns are compiled here, in route order, so a bad pattern is
    /// reported for the same route as when each route was marshalled in
    /// turn; marshall() then finds them all in the cache.
    std::uint32_t host_weight = 0;
    if (!r.hosts.empty()) {
      bool any_wildcard = false;
      bool wildcard_port = false;
      for (const auto& h : r.hosts) {
        if (h.find('*') != std::string::npos) {
          any_wildcard = true;
          wildcard_port = wildcard_port || split_port(h).had_port;
          (void)compile_pattern(r, wildcard_host_regex(h), regexes);
        }
      }
      host_weight = (any_wildcard ? 0 : sub_plain_hosts_only) | (wildcard_port ? sub_wildcard_host_port : 0);
    }
    const auto header_count = static_cast<std::uint32_t>(
        std::count_if(r.headers.begin(), r.headers.end(), [](const auto& h) { return !is_host_header(h.first); }));
    const auto ri = static_cast<std::uint32_t>(i);
    auto add = [&](std::uint32_t path_index, const std::string* path) {
      std::uint32_t weight = host_weight;
      std::size_t max_uri_length = 0;
      if (path != nullptr) {
        if (is_regex_path(*path)) {
          weight |= sub_regex_uri;
          (void)compile_pattern(r, *path, regexes);
        } else {
          max_uri_length = path->size();
        }
      }
      keys.push_back({weight, header_count, (weight & sub_regex_uri) != 0 ? r.regex_priority : 0, path_index,
                      max_uri_length, r.created_at, r.id, ri, static_cast<std::uint32_t>(keys.size()),
                      path != nullptr});
    };
    if (r.paths.empty()) {
      add(0, nullptr);
    }
    for (std::size_t k = 0; k < r.paths.size(); ++k) {
      add(static_cast<std::uint32_t>(k), &r.paths[k]);
    }
  }

  std::sort(keys.begin(), keys.end(), [](const sort_key& a, const sort_key& b) {
    if (a.submatch_weight != b.submatch_weight) return a.submatch_weight > b.submatch_weight;
    if (a.header_count != b.header_count) return a.header_count > b.header_count;
    if (a.regex_priority != b.regex_priority) return a.regex_priority > b.regex_priority;
    if (a.max_uri_length != b.max_uri_length) return a.max_uri_length > b.max_uri_length;
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    if (a.id != b.id) return a.id < b.id;
    if (a.path_index != b.path_index) return a.path_index < b.path_index;
    return a.position < b.position;
  });

  std::vector<marshalled_route> entries;
  entries.reserve(keys.size());
  for (const sort_key& k : keys) {
    const route& r = routes[k.route_index];
    const std::string* path = k.has_path ? &r.paths[k.path_index] : nullptr;
    entries.push_back(marshall(r, k.route_index, path, (k.submatch_weight & sub_regex_uri) != 0, regexes));
    /// A route with several paths gives one entry per path, which records
    /// its path's position; a single path is position 0 either way.
    entries.back().path_index = k.path_index;
  }
  return entries;
}

}  // namespace gwsim::router
