#include "models/router/synthetic_routes.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "models/router/regex.hpp"
#include "sim/distributions.hpp"
#include "sim/random.hpp"

namespace gwsim::router {

namespace {

/// Top-level resource names, most popular first (ranks feed the Zipf draw).
constexpr std::array<std::string_view, 96> resources{
    "users",        "orders",     "products",   "carts",         "payments",      "accounts",     "customers",
    "invoices",     "items",      "search",     "auth",          "sessions",      "catalog",      "inventory",
    "shipments",    "reviews",    "messages",   "notifications", "profiles",      "settings",     "files",
    "images",       "reports",    "analytics",  "events",        "subscriptions", "plans",        "coupons",
    "discounts",    "prices",     "stores",     "locations",     "addresses",     "contacts",     "teams",
    "projects",     "tasks",      "comments",   "tags",          "categories",    "brands",       "vendors",
    "suppliers",    "warehouses", "deliveries", "returns",       "refunds",       "transactions", "wallets",
    "cards",        "tokens",     "keys",       "webhooks",      "jobs",          "schedules",    "bookings",
    "reservations", "tickets",    "issues",     "devices",       "sensors",       "metrics",      "logs",
    "alerts",       "dashboards", "feeds",      "posts",         "articles",      "media",        "videos",
    "playlists",    "channels",   "groups",     "members",       "roles",         "permissions",  "policies",
    "audits",       "exports",    "imports",    "batches",       "templates",     "documents",    "contracts",
    "quotes",       "leads",      "campaigns",  "segments",      "experiments",   "flags",        "health",
    "status",       "config",     "regions",    "currencies",    "languages"};

/// Sub-resources of a resource (`/v1/users/{id}/orders`).
constexpr std::array<std::string_view, 24> sub_resources{
    "items",       "orders",    "comments", "history", "settings", "members",     "events",   "payments",
    "status",      "images",    "reviews",  "tags",    "notes",    "versions",    "children", "attachments",
    "permissions", "addresses", "stats",    "logs",    "tokens",   "preferences", "summary",  "exports"};

/// Method subsets for routes with a `methods` field, with weights.
struct method_set {
  std::array<std::string_view, 4> names;
  std::size_t count;
  double weight;
};
constexpr std::array<method_set, 8> method_sets{{
    {{"GET"}, 1, 0.35},
    {{"GET", "HEAD"}, 2, 0.12},
    {{"POST"}, 1, 0.18},
    {{"GET", "POST"}, 2, 0.12},
    {{"PUT", "PATCH"}, 2, 0.07},
    {{"DELETE"}, 1, 0.05},
    {{"GET", "POST", "PUT", "DELETE"}, 4, 0.08},
    {{"OPTIONS"}, 1, 0.03},
}};

/// Methods of requests aimed at routes without a `methods` field.
constexpr std::array<std::pair<std::string_view, double>, 5> request_methods{
    {{"GET", 0.62}, {"POST", 0.2}, {"PUT", 0.08}, {"DELETE", 0.05}, {"PATCH", 0.05}}};

constexpr std::array<std::string_view, 6> tenants{"a", "b", "c", "acme", "globex", "initech"};

constexpr std::int64_t created_at_base = 1'600'000'000;
constexpr std::size_t max_paths_per_route = 8;

template <typename T>
std::string str(T v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

[[noreturn]] void out_of_range(std::string_view field, const std::string& value, std::string_view range) {
  throw std::invalid_argument("route_set_config." + std::string(field) + " = " + value + " is outside " +
                              std::string(range));
}

void check_fraction(std::string_view field, double v) {
  if (!std::isfinite(v) || v < 0.0 || v > 1.0) {
    out_of_range(field, str(v), "[0, 1]");
  }
}

template <typename A>
std::string_view pick(sim::rng& g, const A& items) {
  return items[static_cast<std::size_t>(sim::uniform_index(g, items.size()))];
}

bool chance(sim::rng& g, double p) {
  return sim::uniform01(g) < p;
}

std::size_t index(sim::rng& g, std::size_t n) {
  return static_cast<std::size_t>(sim::uniform_index(g, n));
}

std::string digits(sim::rng& g, std::size_t min_len, std::size_t max_len) {
  const std::size_t len = min_len + index(g, max_len - min_len + 1);
  std::string out;
  for (std::size_t i = 0; i < len; ++i) {
    out += static_cast<char>('0' + (i == 0 ? 1 + index(g, 9) : index(g, 10)));
  }
  return out;
}

/// The plain host pool: mostly `api-N.example.com`-like names, a few with
/// an explicit port.
std::vector<std::string> plain_host_pool(std::size_t n) {
  std::vector<std::string> pool;
  pool.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string h;
    switch (i % 4) {
      case 0:
      case 1:
        h = "api-" + str(i) + ".example.com";
        break;
      case 2:
        h = std::string(resources[i % resources.size()]) + "-" + str(i) + ".example.net";
        break;
      default:
        h = "svc" + str(i) + ".internal.example.org";
        break;
    }
    if (i % 23 == 7) {
      h += (i % 2 == 0) ? ":8443" : ":8080";
    }
    pool.push_back(std::move(h));
  }
  return pool;
}

/// Wildcard pool: leading wildcards (`*.shop-3.example.com`), every fifth a
/// trailing one (`example-5.*`).
std::vector<std::string> wildcard_host_pool(std::size_t n) {
  std::vector<std::string> pool;
  pool.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    pool.push_back(i % 5 == 4 ? "example-" + str(i) + ".*" : "*.shop-" + str(i) + ".example.com");
  }
  return pool;
}

/// Draws one path of a route. A route's paths share its top-level resource.
class path_maker {
 public:
  path_maker(std::size_t api_versions, sim::rng& g) : versions_(api_versions), g_(g) {}

  std::string prefix(std::string_view res) {
    std::string p = version();
    p += '/';
    p += res;
    const double u = sim::uniform01(g_);
    if (u < 0.3) {
      p += '/';
      p += pick(g_, sub_resources);
    } else if (u < 0.4) {
      p += '/';
      p += pick(g_, sub_resources);
      p += '/';
      p += pick(g_, sub_resources);
    }
    return p;
  }

  std::string regex(std::string_view res) {
    const std::string sub(pick(g_, sub_resources));
    switch (index(g_, 8)) {
      case 0:
        return version() + "/" + std::string(res) + R"(/\d+$)";
      case 1:
        return version() + "/" + std::string(res) + "/[^/]+/" + sub + "$";
      case 2:
        return version() + "/" + std::string(res) + R"(/\d+/)" + sub + R"(/\d+$)";
      case 3:
        return version() + "/" + std::string(res) + "/[0-9a-f]{8}-[0-9a-f]{4}$";
      case 4: {
        const std::string other(pick(g_, resources));
        return version() + "/(" + std::string(res) + "|" + other + R"()/\d+)";
      }
      case 5:
        return version() + "/" + std::string(res) + "/(?<id>[^/]+)/" + sub;
      case 6:
        return versions_ > 1 ? "/v[1-" + str(std::min<std::size_t>(versions_, 9)) + "]/" + std::string(res) + R"(/\d+$)"
                             : version() + "/" + std::string(res) + "/[a-z0-9-]+$";
      default:
        return version() + "/" + std::string(res) + R"(/[a-z0-9-]+\.(json|xml)$)";
    }
  }

 private:
  std::string version() {
    if (versions_ == 0 || chance(g_, 0.15)) {
      return chance(g_, 0.5) ? "/api" : "";
    }
    return "/v" + str(1 + index(g_, versions_));
  }

  std::size_t versions_;
  sim::rng& g_;
};

/// A unique path for a regex or prefix candidate that kept colliding: one
/// more literal segment naming the route and the path's position.
std::string disambiguate(const std::string& path, std::uint32_t id, std::size_t k) {
  const std::string tail = "/r" + str(id) + "p" + str(k);
  if (!path.empty() && path.back() == '$') {
    return path.substr(0, path.size() - 1) + tail + "$";
  }
  return path + tail;
}

// ---------------------------------------------------------------------------
// Sampling a string that a (simple) path regex matches at its start.

class regex_sampler {
 public:
  regex_sampler(std::string_view pattern, sim::rng& g) : p_(pattern), g_(g) {}

  std::optional<std::string> sample() {
    std::string out;
    if (!alternation(0, p_.size(), out)) {
      return std::nullopt;
    }
    return out;
  }

 private:
  static constexpr std::string_view safe = "abcdefghijklmnopqrstuvwxyz0123456789";

  /// End of the bracket expression starting at `i` (index after `]`).
  std::size_t class_end(std::size_t i) const {
    std::size_t j = i + 1;
    if (j < p_.size() && p_[j] == '^') {
      ++j;
    }
    if (j < p_.size() && p_[j] == ']') {
      ++j;
    }
    while (j < p_.size() && p_[j] != ']') {
      j += p_[j] == '\\' ? 2U : 1U;
    }
    return j < p_.size() ? j + 1 : std::string_view::npos;
  }

  /// End of the group starting at `i` (index after its `)`).
  std::size_t group_end(std::size_t i) const {
    int depth = 0;
    for (std::size_t j = i; j < p_.size();) {
      const char c = p_[j];
      if (c == '\\') {
        j += 2;
      } else if (c == '[') {
        j = class_end(j);
        if (j == std::string_view::npos) {
          return j;
        }
      } else {
        if (c == '(') {
          ++depth;
        } else if (c == ')' && --depth == 0) {
          return j + 1;
        }
        ++j;
      }
    }
    return std::string_view::npos;
  }

  bool alternation(std::size_t b, std::size_t e, std::string& out) {
    std::vector<std::pair<std::size_t, std::size_t>> branches;
    std::size_t start = b;
    for (std::size_t j = b; j < e;) {
      const char c = p_[j];
      if (c == '\\') {
        j += 2;
      } else if (c == '[' || c == '(') {
        j = c == '[' ? class_end(j) : group_end(j);
        if (j == std::string_view::npos || j > e) {
          return false;
        }
      } else {
        if (c == '|') {
          branches.emplace_back(start, j);
          start = j + 1;
        }
        ++j;
      }
    }
    branches.emplace_back(start, e);
    const auto [bb, be] = branches[index(g_, branches.size())];
    return sequence(bb, be, out);
  }

  bool sequence(std::size_t b, std::size_t e, std::string& out) {
    std::size_t i = b;
    while (i < e) {
      const char c = p_[i];
      if (c == '^' && i == 0) {
        ++i;
        continue;
      }
      if (c == '$') {
        if (i + 1 != e || e != p_.size()) {
          return false;
        }
        ++i;
        continue;
      }
      std::size_t atom_end = i + 1;
      if (c == '\\') {
        atom_end = i + 2;
      } else if (c == '[') {
        atom_end = class_end(i);
      } else if (c == '(') {
        atom_end = group_end(i);
      } else if (c == ')' || c == '*' || c == '+' || c == '?' || c == '{' || c == '|') {
        return false;
      }
      if (atom_end == std::string_view::npos || atom_end > e) {
        return false;
      }
      std::size_t next = atom_end;
      std::size_t lo = 1;
      std::size_t hi = 1;
      if (next < e) {
        const char q = p_[next];
        if (q == '?' || q == '*' || q == '+') {
          lo = q == '+' ? 1 : 0;
          hi = q == '?' ? 1 : 5;
          ++next;
        } else if (q == '{') {
          const std::size_t close = p_.find('}', next);
          if (close == std::string_view::npos || close >= e) {
            return false;
          }
          const std::string body(p_.substr(next + 1, close - next - 1));
          const std::size_t comma = body.find(',');
          try {
            lo = std::stoul(body.substr(0, comma));
            hi = comma == std::string::npos ? lo
                 : comma + 1 == body.size() ? lo + 3
                                            : std::stoul(body.substr(comma + 1));
          } catch (const std::exception&) {
            return false;
          }
          if (hi < lo || hi > 64) {
            return false;
          }
          next = close + 1;
        }
        if (next < e && (p_[next] == '?' || p_[next] == '+') && next != atom_end) {
          ++next;  // lazy or possessive marker
        }
      }
      const std::size_t reps = lo + index(g_, hi - lo + 1);
      for (std::size_t r = 0; r < reps; ++r) {
        if (!atom(i, atom_end, out)) {
          return false;
        }
      }
      i = next;
    }
    return true;
  }

  bool atom(std::size_t b, std::size_t e, std::string& out) {
    const char c = p_[b];
    if (c == '\\') {
      const char x = p_[b + 1];
      if (x == 'd') {
        out += static_cast<char>('0' + index(g_, 10));
      } else if (x == 'w') {
        out += safe[index(g_, safe.size())];
      } else if ((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9')) {
        return false;  // other escapes (\s, \b, back references, ...) are not sampled
      } else {
        out += x;
      }
      return true;
    }
    if (c == '[') {
      return bracket(b, e, out);
    }
    if (c == '(') {
      std::size_t inner = b + 1;
      if (p_.substr(inner, 2) == "?:") {
        inner += 2;
      } else if (p_.substr(inner, 2) == "?<" || p_.substr(inner, 3) == "?P<") {
        inner = p_.find('>', inner);
        if (inner == std::string_view::npos || inner >= e) {
          return false;
        }
        ++inner;
      } else if (inner < e && p_[inner] == '?') {
        return false;  // look-arounds, inline flags
      }
      return alternation(inner, e - 1, out);
    }
    out += c == '.' ? safe[index(g_, safe.size())] : c;
    return true;
  }

  bool bracket(std::size_t b, std::size_t e, std::string& out) {
    std::size_t j = b + 1;
    const bool negated = p_[j] == '^';
    if (negated) {
      ++j;
    }
    std::string set;
    const std::size_t last = e - 1;  // the closing `]`
    while (j < last) {
      char c = p_[j];
      if (c == '\\') {
        const char x = p_[j + 1];
        if (x == 'd') {
          set += "0123456789";
        } else if (x == 'w') {
          set += safe;
          set += '_';
        } else {
          set += x;
        }
        j += 2;
        continue;
      }
      if (j + 2 < last && p_[j + 1] == '-') {
        for (int r = static_cast<unsigned char>(c); r <= static_cast<unsigned char>(p_[j + 2]); ++r) {
          set += static_cast<char>(r);
        }
        j += 3;
        continue;
      }
      set += c;
      ++j;
    }
    if (negated) {
      std::string allowed;
      for (const char s : safe) {
        if (set.find(s) == std::string::npos) {
          allowed += s;
        }
      }
      set = std::move(allowed);
    }
    if (set.empty()) {
      return false;
    }
    out += set[index(g_, set.size())];
    return true;
  }

  std::string_view p_;
  sim::rng& g_;
};

/// A concrete name a wildcard host accepts.
std::string concrete_host(std::string_view host, sim::rng& g) {
  if (!host.empty() && host.front() == '*') {
    static constexpr std::array<std::string_view, 4> labels{"www", "m", "tenant", "eu"};
    return std::string(pick(g, labels)) + str(index(g, 100)) + std::string(host.substr(1));
  }
  if (!host.empty() && host.back() == '*') {
    static constexpr std::array<std::string_view, 4> tlds{"com", "io", "net", "de"};
    return std::string(host.substr(0, host.size() - 1)) + std::string(pick(g, tlds));
  }
  const auto colon = host.find(":*");
  if (colon != std::string_view::npos) {
    return std::string(host.substr(0, colon)) + ":8080";
  }
  return std::string(host);
}

}  // namespace

void validate(const route_set_config& c) {
  constexpr std::size_t max_routes = 10'000'000;
  if (c.routes < 1 || c.routes > max_routes) {
    out_of_range("routes", str(c.routes), "[1, 10000000]");
  }
  if (c.services > max_routes) {
    out_of_range("services", str(c.services), "[0, 10000000]");
  }
  check_fraction("regex_fraction", c.regex_fraction);
  check_fraction("host_fraction", c.host_fraction);
  check_fraction("wildcard_host_fraction", c.wildcard_host_fraction);
  if (c.distinct_hosts < 1 || c.distinct_hosts > max_routes) {
    out_of_range("distinct_hosts", str(c.distinct_hosts), "[1, 10000000]");
  }
  check_fraction("header_fraction", c.header_fraction);
  check_fraction("method_fraction", c.method_fraction);
  if (!std::isfinite(c.paths_per_route_mean) || c.paths_per_route_mean < 1.0 || c.paths_per_route_mean > 8.0) {
    out_of_range("paths_per_route_mean", str(c.paths_per_route_mean), "[1, 8]");
  }
  if (c.api_versions > 20) {
    out_of_range("api_versions", str(c.api_versions), "[0, 20]");
  }
}

std::vector<route> generate_routes(const route_set_config& c) {
  validate(c);
  const sim::random_streams streams(c.seed);
  sim::rng g = streams.stream("router.synthetic_routes");

  const std::vector<std::string> plain = plain_host_pool(c.distinct_hosts);
  const std::vector<std::string> wild = wildcard_host_pool(std::max<std::size_t>(1, c.distinct_hosts / 8));
  const sim::zipf resource_rank(resources.size(), 1.0);
  const sim::zipf plain_rank(plain.size(), 0.8);
  const sim::zipf wild_rank(wild.size(), 0.8);
  const double more_paths = 1.0 - 1.0 / c.paths_per_route_mean;
  double method_weights = 0.0;
  for (const auto& m : method_sets) {
    method_weights += m.weight;
  }

  path_maker paths(c.api_versions, g);
  std::unordered_set<std::string> used;  // "host,host\npath"
  used.reserve(c.routes * 2);

  std::vector<route> out;
  out.reserve(c.routes);
  std::int64_t created_at = created_at_base;
  for (std::size_t i = 0; i < c.routes; ++i) {
    route r;
    r.id = static_cast<std::uint32_t>(i + 1);
    created_at += 1 + static_cast<std::int64_t>(index(g, 3600));
    r.created_at = created_at;

    if (chance(g, c.host_fraction)) {
      if (chance(g, c.wildcard_host_fraction)) {
        r.hosts.push_back(wild[static_cast<std::size_t>(wild_rank(g) - 1)]);
      }
      // One to three hosts in all; a wildcard, when drawn, is the first.
      std::size_t plain_wanted = 1 + (chance(g, 0.15) ? 1U : 0U) + (chance(g, 0.04) ? 1U : 0U);
      if (!r.hosts.empty()) {
        --plain_wanted;
      }
      const std::size_t first_plain = r.hosts.size();
      for (std::size_t k = 0; k < 8 * plain_wanted && r.hosts.size() - first_plain < plain_wanted; ++k) {
        const std::string& h = plain[static_cast<std::size_t>(plain_rank(g) - 1)];
        if (std::find(r.hosts.begin(), r.hosts.end(), h) == r.hosts.end()) {
          r.hosts.push_back(h);
        }
      }
    }
    std::vector<std::string> sorted_hosts = r.hosts;
    std::sort(sorted_hosts.begin(), sorted_hosts.end());
    std::string host_key;
    for (const auto& h : sorted_hosts) {
      host_key += h;
      host_key += ',';
    }
    host_key += '\n';

    const std::size_t res_index = static_cast<std::size_t>(resource_rank(g) - 1);
    const std::string_view res = resources[res_index];
    const bool regex_route = chance(g, c.regex_fraction);
    std::size_t n_paths = 1;
    while (n_paths < max_paths_per_route && chance(g, more_paths)) {
      ++n_paths;
    }
    for (std::size_t k = 0; k < n_paths; ++k) {
      std::string p;
      bool fresh = false;
      for (int attempt = 0; attempt < 16 && !fresh; ++attempt) {
        // Later attempts widen the choice of top-level resource.
        const std::string_view name = attempt < 4 ? res : pick(g, resources);
        p = regex_route ? paths.regex(name) : paths.prefix(name);
        fresh = !used.contains(host_key + p);
      }
      if (!fresh) {
        p = disambiguate(p, r.id, k);
      }
      used.insert(host_key + p);
      r.paths.push_back(std::move(p));
    }

    if (chance(g, c.method_fraction)) {
      double u = sim::uniform01(g) * method_weights;
      const method_set* chosen = &method_sets.back();
      for (const auto& m : method_sets) {
        if (u < m.weight) {
          chosen = &m;
          break;
        }
        u -= m.weight;
      }
      for (std::size_t m = 0; m < chosen->count; ++m) {
        r.methods.emplace_back(chosen->names[m]);
      }
    }

    if (chance(g, c.header_fraction)) {
      const double u = sim::uniform01(g);
      if (u < 0.6) {
        std::vector<std::string> values{std::string(pick(g, tenants))};
        if (chance(g, 0.3)) {
          const std::string v(pick(g, tenants));
          if (v != values.front()) {
            values.push_back(v);
          }
        }
        r.headers.emplace_back("x-tenant", std::move(values));
      } else if (u < 0.85) {
        r.headers.emplace_back("x-api-version", std::vector<std::string>{str(1 + index(g, 3))});
      } else {
        r.headers.emplace_back("x-canary", std::vector<std::string>{"true"});
      }
    }

    if (chance(g, regex_route ? 0.2 : 0.01)) {
      r.regex_priority = 1 + static_cast<int>(index(g, 10));
    }

    if (c.services == 0) {
      r.service = r.id;
    } else {
      const std::size_t s = chance(g, 0.9) ? res_index % c.services : index(g, c.services);
      r.service = static_cast<std::uint32_t>(s + 1);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<request> generate_requests(const std::vector<route>& routes, std::size_t n, std::uint64_t seed,
                                       double zipf_s, double miss_fraction) {
  if (!std::isfinite(zipf_s) || zipf_s < 0.0) {
    throw std::invalid_argument("generate_requests: zipf_s = " + str(zipf_s) + " is outside [0, inf)");
  }
  if (!std::isfinite(miss_fraction) || miss_fraction < 0.0 || miss_fraction > 1.0) {
    throw std::invalid_argument("generate_requests: miss_fraction = " + str(miss_fraction) + " is outside [0, 1]");
  }
  const sim::random_streams streams(seed);
  sim::rng g = streams.stream("router.synthetic_requests");

  // Popularity rank -> route index, shuffled so popularity is unrelated to id.
  std::vector<std::size_t> by_rank(routes.size());
  for (std::size_t i = 0; i < by_rank.size(); ++i) {
    by_rank[i] = i;
  }
  for (std::size_t i = by_rank.size(); i > 1; --i) {
    std::swap(by_rank[i - 1], by_rank[index(g, i)]);
  }
  std::optional<sim::zipf> rank;
  if (!routes.empty()) {
    rank.emplace(routes.size(), zipf_s);
  }

  std::unordered_map<std::string, std::unique_ptr<regex>> compiled;
  auto make_path = [&](const std::string& p) -> std::optional<std::string> {
    if (!is_regex_path(p)) {
      std::string out = p;
      const double u = sim::uniform01(g);
      const bool slash = !out.empty() && out.back() == '/';
      if (u < 0.3) {
        out += slash ? "" : "/";
        out += digits(g, 1, 7);
      } else if (u < 0.45) {
        out += slash ? "" : "/";
        out += pick(g, sub_resources);
      }
      return out;
    }
    auto it = compiled.find(p);
    if (it == compiled.end()) {
      std::unique_ptr<regex> re;
      try {
        re = std::make_unique<regex>(p, regex::jit_mode::disabled);
      } catch (const std::invalid_argument&) {
      }
      it = compiled.emplace(p, std::move(re)).first;
    }
    if (!it->second) {
      return std::nullopt;
    }
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto s = regex_sampler(p, g).sample();
      if (s && it->second->matches_prefix(*s)) {
        return s;
      }
    }
    return std::nullopt;
  };

  auto miss = [&]() {
    request req;
    req.host = "h" + str(index(g, 1000)) + std::string(synthetic_miss_host_suffix);
    req.path = std::string(synthetic_miss_path_prefix) + digits(g, 1, 6);
    req.method = "GET";
    return req;
  };

  std::vector<request> out;
  out.reserve(n);
  std::size_t failures_in_a_row = 0;
  while (out.size() < n) {
    if (!rank || chance(g, miss_fraction)) {
      out.push_back(miss());
      continue;
    }
    const route& r = routes[by_rank[static_cast<std::size_t>((*rank)(g)-1)]];
    request req;
    if (!r.paths.empty()) {
      auto p = make_path(r.paths[index(g, r.paths.size())]);
      if (!p) {
        // A regex this sampler cannot invert: draw another route.
        if (++failures_in_a_row > 10'000) {
          throw std::invalid_argument("generate_requests: no concrete path found for the routes' regex paths");
        }
        continue;
      }
      failures_in_a_row = 0;
      req.path = std::move(*p);
    } else {
      req.path = "/";
    }
    req.host =
        r.hosts.empty() ? std::string("gateway.example.org") : concrete_host(r.hosts[index(g, r.hosts.size())], g);
    if (!r.methods.empty()) {
      req.method = r.methods[index(g, r.methods.size())];
    } else {
      double u = sim::uniform01(g);
      req.method = "GET";
      for (const auto& [m, w] : request_methods) {
        if (u < w) {
          req.method = m;
          break;
        }
        u -= w;
      }
    }
    for (const auto& [name, values] : r.headers) {
      if (!values.empty()) {
        req.headers.emplace_back(name, values[index(g, values.size())]);
      }
    }
    req.headers.emplace_back("accept", "application/json");
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace gwsim::router
