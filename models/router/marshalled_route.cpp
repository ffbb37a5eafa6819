#include "models/router/marshalled_route.hpp"

#include <list>
#include <mutex>
#include <stdexcept>

namespace gwsim::router {

namespace {

template <class R, class T>
bool contains(const R& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool is_host_header(std::string_view name) noexcept {
  return name.size() == 4 && (name[0] | 0x20) == 'h' && (name[1] | 0x20) == 'o' && (name[2] | 0x20) == 's' &&
         (name[3] | 0x20) == 't';
}

const regex* compile_pattern(const route& r, std::string_view pattern, regex_cache& regexes) {
  auto it = regexes.find(pattern);
  if (it == regexes.end()) {
    try {
      std::shared_ptr<const regex> re = compiled_regex(pattern);
      const std::string_view key = re->pattern();
      it = regexes.emplace(key, held_regex(std::move(re))).first;
    } catch (const std::invalid_argument& err) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": " + err.what());
    }
  }
  return it->second.get();
}

/// A thread-safe LRU cache of compiled patterns by key, holding at most
/// compiled_regex_cache_max_entries of them (resty.lrucache as
/// lua-resty-core's ngx.re uses it): a hit makes the entry the most recent,
/// a miss inserts it and evicts the least recent beyond the bound. An
/// evicted pattern lives on while a router holds it.
class regex_lru {
 public:
  /// The pattern under `key`, made by `compile()` on a miss (outside the
  /// lock: two threads missing on one key both compile it, the first to
  /// insert wins).
  template <class Compile>
  std::shared_ptr<const regex> get(std::string_view key, const Compile& compile) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (const auto it = by_key_.find(key); it != by_key_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        return it->second->second;
      }
    }
    std::shared_ptr<const regex> re = compile();
    const std::lock_guard<std::mutex> lock(mutex_);
    if (const auto it = by_key_.find(key); it != by_key_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
    order_.emplace_front(std::string(key), re);
    by_key_.emplace(std::string_view(order_.front().first), order_.begin());
    while (order_.size() > compiled_regex_cache_max_entries) {
      by_key_.erase(std::string_view(order_.back().first));
      order_.pop_back();
    }
    return re;
  }

  [[nodiscard]] std::size_t size() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return order_.size();
  }

 private:
  using entry = std::pair<std::string, std::shared_ptr<const regex>>;
  std::mutex mutex_;
  std::list<entry> order_;  ///< most recent first
  std::unordered_map<std::string_view, std::list<entry>::iterator> by_key_;  ///< keys view order_'s strings
};

regex_lru& process_regex_cache() {
  static regex_lru cache;
  return cache;
}

/// `m` upper-cased, as a view that outlives the entry: `m` itself when it is
/// upper-case already (the usual case), else an entry of a process-wide
/// table of upper-cased names (the standard methods are there from the
/// start; others are added once each, so the table grows only with the
/// distinct method names written in lower case).
std::string_view upper_method(const std::string& m) {
  if (std::none_of(m.begin(), m.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    return m;
  }
  static constexpr std::string_view standard[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                  "CONNECT", "OPTIONS", "TRACE", "PATCH", "PURGE"};
  const std::string upper = ascii_upper(m);
  for (const std::string_view s : standard) {
    if (s == upper) {
      return s;
    }
  }
  static std::mutex mutex;
  static string_set others;  /// node-based: the strings keep their addresses
  const std::lock_guard<std::mutex> lock(mutex);
  return *others.insert(upper).first;
}

/// Per route of a marshall_routes() call: where its hosts' and paths'
/// compiled patterns start in the flat arrays below (null for a plain host
/// or a prefix path).
struct route_patterns {
  std::vector<std::uint32_t> host_weight;
  std::vector<std::uint32_t> host_off;
  std::vector<std::uint32_t> path_off;
  std::vector<const regex*> host_re;
  std::vector<const regex*> path_re;
};

/// Fills `e` (default-constructed) as the entry of route `r` carrying path
/// `path_index` (none for a route without paths), whose patterns are
/// `host_re` (one per host) and `path_re` (that path's, or null).
/// `host_weight` is the submatch bits the route's hosts give (computed with
/// its patterns).
void marshall(marshalled_route& e, const route& r, std::uint32_t route_index, const std::string* path,
              const regex* const* host_re, std::uint32_t host_weight, const regex* path_re) {
  e.route_index = route_index;

  /// Hosts: a host containing `*` is a wildcard. Any wildcard clears
  /// PLAIN_HOSTS_ONLY; a wildcard carrying its own port sets
  /// HAS_WILDCARD_HOST_PORT (marshall_route): see host_weight.
  if (!r.hosts.empty()) {
    e.hosts.reserve(r.hosts.size());
    for (std::size_t k = 0; k < r.hosts.size(); ++k) {
      e.hosts.push_back({r.hosts[k], host_re[k], view_table::hash(r.hosts[k])});
    }
    e.match_rules |= rule_host;
    ++e.match_weight;
    e.submatch_weight |= host_weight;
  }

  /// Headers: names and values are lower-cased; `host` is not a header rule
  /// (it is what `hosts` is for). The number of header rules is a sort key.
  if (!r.headers.empty()) {
    e.headers.reserve(r.headers.size());
    for (const auto& [name, values] : r.headers) {
      if (is_host_header(name)) {
        continue;
      }
      header_rule rule{ascii_lower(name), {}};
      rule.values.reserve(values.size());
      for (const auto& v : values) {
        rule.values.push_back(ascii_lower(v));
      }
      e.headers.push_back(std::move(rule));
    }
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
    e.uris.push_back({*path, path_re, view_table::hash(*path)});
    if (path_re != nullptr) {
      e.submatch_weight |= sub_regex_uri;
    } else {
      e.max_uri_length = path->size();
    }
  }

  /// Methods compare upper-cased on both sides.
  if (!r.methods.empty()) {
    e.match_rules |= rule_method;
    ++e.match_weight;
    e.methods.reserve(r.methods.size());
    for (const auto& m : r.methods) {
      const std::string_view um = upper_method(m);
      if (!contains(e.methods, um)) {
        e.methods.push_back(um);
      }
    }
  }

  /// SNIs compare exactly.
  if (!r.snis.empty()) {
    e.match_rules |= rule_sni;
    ++e.match_weight;
    e.snis.reserve(r.snis.size());
    for (const auto& sni : r.snis) {
      if (!contains(e.snis, std::string_view(sni))) {
        e.snis.push_back(sni);
      }
    }
  }
}

}  // namespace

std::shared_ptr<const regex> compiled_regex(std::string_view pattern) {
  return process_regex_cache().get(pattern, [pattern] { return std::make_shared<const regex>(pattern); });
}

std::shared_ptr<const regex> compiled_alternation(const std::vector<std::string_view>& patterns) {
  /// The key: each pattern preceded by its length, so no separator can be
  /// confused with pattern text.
  std::string key;
  for (const std::string_view p : patterns) {
    key += std::to_string(p.size());
    key += ':';
    key += p;
  }
  static regex_lru cache;
  return cache.get(key, [&patterns]() -> std::shared_ptr<const regex> { return regex::alternation(patterns); });
}

std::size_t compiled_regex_cache_size() {
  return process_regex_cache().size();
}

std::vector<marshalled_route> marshall_routes(std::span<const route> routes, regex_cache& regexes) {
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
    std::uint32_t position;  ///< in route and path order
  };
  std::size_t n_entries = 0;
  std::size_t n_hosts = 0;
  std::size_t n_paths = 0;
  for (const route& r : routes) {
    n_entries += std::max<std::size_t>(r.paths.size(), 1);
    n_hosts += r.hosts.size();
    n_paths += r.paths.size();
  }
  std::vector<sort_key> keys;
  keys.reserve(n_entries);
  route_patterns patterns;
  patterns.host_weight.reserve(routes.size());
  patterns.host_off.reserve(routes.size());
  patterns.path_off.reserve(routes.size());
  patterns.host_re.reserve(n_hosts);
  patterns.path_re.reserve(n_paths);
  std::string wildcard_pattern;

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
    /// turn; marshall() then takes them from `patterns`.
    patterns.host_off.push_back(static_cast<std::uint32_t>(patterns.host_re.size()));
    patterns.path_off.push_back(static_cast<std::uint32_t>(patterns.path_re.size()));
    std::uint32_t host_weight = 0;
    if (!r.hosts.empty()) {
      bool any_wildcard = false;
      bool wildcard_port = false;
      for (const auto& h : r.hosts) {
        const regex* re = nullptr;
        if (h.find('*') != std::string::npos) {
          any_wildcard = true;
          wildcard_port = wildcard_port || split_port(h).had_port;
          wildcard_pattern = wildcard_host_regex(h);
          re = compile_pattern(r, wildcard_pattern, regexes);
        }
        patterns.host_re.push_back(re);
      }
      host_weight = (any_wildcard ? 0 : sub_plain_hosts_only) | (wildcard_port ? sub_wildcard_host_port : 0);
    }
    patterns.host_weight.push_back(host_weight);
    const auto header_count = static_cast<std::uint32_t>(
        std::count_if(r.headers.begin(), r.headers.end(), [](const auto& h) { return !is_host_header(h.first); }));
    auto add = [&](std::uint32_t path_index, const std::string* path) {
      std::uint32_t weight = host_weight;
      std::size_t max_uri_length = 0;
      if (path != nullptr) {
        const regex* re = nullptr;
        if (is_regex_path(*path)) {
          weight |= sub_regex_uri;
          re = compile_pattern(r, *path, regexes);
        } else {
          max_uri_length = path->size();
        }
        patterns.path_re.push_back(re);
      }
      keys.push_back({weight, header_count, (weight & sub_regex_uri) != 0 ? r.regex_priority : 0, path_index,
                      max_uri_length, r.created_at, r.id, static_cast<std::uint32_t>(keys.size())});
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

  /// Each entry is marshalled into its sorted place, walking the routes in
  /// their own order (the order their strings were laid out in), which reads
  /// memory front to back rather than jumping between routes.
  std::vector<std::uint32_t> place(keys.size());
  for (std::size_t n = 0; n < keys.size(); ++n) {
    place[keys[n].position] = static_cast<std::uint32_t>(n);
  }
  keys = {};
  std::vector<marshalled_route> entries(place.size());
  std::size_t position = 0;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const route& r = routes[i];
    const auto ri = static_cast<std::uint32_t>(i);
    const regex* const* host_re = patterns.host_re.data() + patterns.host_off[i];
    const std::uint32_t host_weight = patterns.host_weight[i];
    if (r.paths.empty()) {
      marshall(entries[place[position++]], r, ri, nullptr, host_re, host_weight, nullptr);
    }
    for (std::size_t k = 0; k < r.paths.size(); ++k) {
      marshalled_route& e = entries[place[position++]];
      marshall(e, r, ri, &r.paths[k], host_re, host_weight, patterns.path_re[patterns.path_off[i] + k]);
      /// A route with several paths gives one entry per path, which records
      /// its path's position; a single path is position 0 either way.
      e.path_index = static_cast<std::uint32_t>(k);
    }
  }
  return entries;
}

}  // namespace gwsim::router
