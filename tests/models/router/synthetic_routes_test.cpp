#include "models/router/synthetic_routes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/reference_matcher.hpp"

using gwsim::router::generate_requests;
using gwsim::router::generate_routes;
using gwsim::router::is_regex_path;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;
using gwsim::router::route_set_config;

namespace {

bool same(const route& a, const route& b) {
  return a.id == b.id && a.hosts == b.hosts && a.paths == b.paths && a.methods == b.methods && a.headers == b.headers &&
         a.snis == b.snis && a.regex_priority == b.regex_priority && a.created_at == b.created_at &&
         a.service == b.service;
}

bool same(const request& a, const request& b) {
  return a.host == b.host && a.path == b.path && a.method == b.method && a.headers == b.headers && a.sni == b.sni &&
         a.scheme == b.scheme;
}

route_set_config config_of(std::size_t routes, std::uint64_t seed = 1) {
  route_set_config c;
  c.routes = routes;
  c.seed = seed;
  return c;
}

bool is_miss(const request& req) {
  return req.path.starts_with(gwsim::router::synthetic_miss_path_prefix);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const std::vector<route>& routes_10k() {
  static const std::vector<route> routes = generate_routes(config_of(10'000, 7));
  return routes;
}

}  // namespace

TEST(SyntheticRoutes, SameSeedSameSetOtherSeedOtherSet) {
  const auto a = generate_routes(config_of(2'000, 3));
  const auto b = generate_routes(config_of(2'000, 3));
  const auto c = generate_routes(config_of(2'000, 4));
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), [](const route& x, const route& y) { return same(x, y); }));
  EXPECT_FALSE(std::equal(a.begin(), a.end(), c.begin(), [](const route& x, const route& y) { return same(x, y); }));
}

TEST(SyntheticRoutes, IdsCreatedAtAndServices) {
  const auto& routes = routes_10k();
  ASSERT_EQ(routes.size(), 10'000U);
  for (std::size_t i = 0; i < routes.size(); ++i) {
    EXPECT_EQ(routes[i].id, i + 1);
    EXPECT_EQ(routes[i].service, routes[i].id);  // services = 0: one per route
    if (i > 0) {
      EXPECT_GT(routes[i].created_at, routes[i - 1].created_at);
    }
  }
  auto c = config_of(5'000);
  c.services = 40;
  std::set<std::uint32_t> services;
  for (const auto& r : generate_routes(c)) {
    ASSERT_GE(r.service, 1U);
    ASSERT_LE(r.service, 40U);
    services.insert(r.service);
  }
  EXPECT_GT(services.size(), 30U);
}

TEST(SyntheticRoutes, FractionsWithinTolerance) {
  const auto& routes = routes_10k();
  const route_set_config c;
  double n = static_cast<double>(routes.size());
  std::size_t regex = 0, hosts = 0, wildcard = 0, headers = 0, methods = 0, paths = 0, priority = 0;
  std::set<std::string> host_names;
  for (const auto& r : routes) {
    ASSERT_FALSE(r.paths.empty());
    paths += r.paths.size();
    const auto regexes =
        std::count_if(r.paths.begin(), r.paths.end(), [](const std::string& p) { return is_regex_path(p); });
    EXPECT_TRUE(regexes == 0 || static_cast<std::size_t>(regexes) == r.paths.size());
    regex += regexes > 0 ? 1U : 0U;
    hosts += r.hosts.empty() ? 0U : 1U;
    wildcard += std::any_of(r.hosts.begin(), r.hosts.end(),
                            [](const std::string& h) { return h.find('*') != std::string::npos; })
                    ? 1U
                    : 0U;
    headers += r.headers.empty() ? 0U : 1U;
    methods += r.methods.empty() ? 0U : 1U;
    priority += r.regex_priority > 0 ? 1U : 0U;
    host_names.insert(r.hosts.begin(), r.hosts.end());
    for (const auto& p : r.paths) {
      EXPECT_TRUE(p.starts_with("/")) << p;
    }
  }
  EXPECT_NEAR(static_cast<double>(regex) / n, c.regex_fraction, 0.01);
  EXPECT_NEAR(static_cast<double>(hosts) / n, c.host_fraction, 0.02);
  EXPECT_NEAR(static_cast<double>(wildcard) / static_cast<double>(hosts), c.wildcard_host_fraction, 0.015);
  EXPECT_NEAR(static_cast<double>(headers) / n, c.header_fraction, 0.006);
  EXPECT_NEAR(static_cast<double>(methods) / n, c.method_fraction, 0.02);
  EXPECT_NEAR(static_cast<double>(paths) / n, c.paths_per_route_mean, 0.04);
  EXPECT_GT(priority, 0U);
  EXPECT_LT(static_cast<double>(priority) / n, 0.05);
  // Most of the pool is used, including some ported names.
  EXPECT_GT(host_names.size(), c.distinct_hosts / 2);
  EXPECT_TRUE(std::any_of(host_names.begin(), host_names.end(),
                          [](const std::string& h) { return h.find(':') != std::string::npos; }));
}

TEST(SyntheticRoutes, HostSetPathPairsAreUnique) {
  std::set<std::pair<std::vector<std::string>, std::string>> seen;
  for (const auto& r : routes_10k()) {
    auto hosts = r.hosts;
    std::sort(hosts.begin(), hosts.end());
    for (const auto& p : r.paths) {
      EXPECT_TRUE(seen.emplace(hosts, p).second) << "route " << r.id << " path " << p;
    }
  }
}

TEST(SyntheticRoutes, TopLevelResourcesAreSkewed) {
  std::map<std::string, std::size_t> by_resource;
  for (const auto& r : routes_10k()) {
    for (const auto& p : r.paths) {
      if (p.find("/users") != std::string::npos) {
        by_resource["users"]++;
      }
      if (p.find("/languages") != std::string::npos) {
        by_resource["languages"]++;
      }
    }
  }
  EXPECT_GT(by_resource["users"], 5 * by_resource["languages"]);
}

TEST(SyntheticRoutes, InvalidConfigNamesTheField) {
  auto expect_named = [](route_set_config c, const std::string& field) {
    try {
      (void)generate_routes(c);
      ADD_FAILURE() << field << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  route_set_config c;
  c.routes = 0;
  expect_named(c, "routes = 0");
  c = {};
  c.regex_fraction = 1.5;
  expect_named(c, "regex_fraction = 1.5");
  c = {};
  c.host_fraction = -0.1;
  expect_named(c, "host_fraction");
  c = {};
  c.wildcard_host_fraction = 2;
  expect_named(c, "wildcard_host_fraction");
  c = {};
  c.distinct_hosts = 0;
  expect_named(c, "distinct_hosts");
  c = {};
  c.header_fraction = 1.01;
  expect_named(c, "header_fraction");
  c = {};
  c.method_fraction = -1;
  expect_named(c, "method_fraction");
  c = {};
  c.paths_per_route_mean = 0.5;
  expect_named(c, "paths_per_route_mean");
  c = {};
  c.api_versions = 100;
  expect_named(c, "api_versions");
  EXPECT_THROW((void)generate_requests(routes_10k(), 1, 1, -1.0), std::invalid_argument);
  EXPECT_THROW((void)generate_requests(routes_10k(), 1, 1, 1.0, 1.5), std::invalid_argument);
}

TEST(SyntheticRoutes, ExtremeConfigsStillWork) {
  route_set_config c = config_of(1'000);
  c.regex_fraction = 1.0;
  c.host_fraction = 1.0;
  c.wildcard_host_fraction = 1.0;
  c.distinct_hosts = 1;
  c.api_versions = 0;
  c.paths_per_route_mean = 3.0;
  const auto routes = generate_routes(c);
  ASSERT_EQ(routes.size(), 1'000U);
  const reference_matcher m(routes);
  const auto reqs = generate_requests(routes, 200, 2, 1.0, 0.0);
  std::size_t hit = 0;
  for (const auto& req : reqs) {
    hit += m.match(req) != nullptr ? 1U : 0U;
  }
  EXPECT_GE(hit, 190U);
}

TEST(SyntheticRoutes, Generating50kIsFast) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto routes = generate_routes(route_set_config{});
  const double secs = seconds_since(t0);
  ASSERT_EQ(routes.size(), 50'000U);
  std::printf("[ synthetic ] 50k routes generated in %.3f s\n", secs);
  RecordProperty("generate_50k_ms", static_cast<int>(secs * 1000));
  EXPECT_LT(secs, 2.0);
}

TEST(SyntheticRequests, DeterministicAndSkewed) {
  const auto& routes = routes_10k();
  const auto a = generate_requests(routes, 2'000, 11);
  const auto b = generate_requests(routes, 2'000, 11);
  const auto c = generate_requests(routes, 2'000, 12);
  ASSERT_EQ(a.size(), 2'000U);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), [](const request& x, const request& y) { return same(x, y); }));
  EXPECT_FALSE(
      std::equal(a.begin(), a.end(), c.begin(), [](const request& x, const request& y) { return same(x, y); }));
  const auto misses = static_cast<std::size_t>(std::count_if(a.begin(), a.end(), is_miss));
  EXPECT_NEAR(static_cast<double>(misses) / 2'000.0, 0.05, 0.02);
  EXPECT_TRUE(generate_requests({}, 10, 1).size() == 10);
  for (const auto& req : generate_requests({}, 10, 1)) {
    EXPECT_TRUE(is_miss(req));
  }
}

TEST(SyntheticRequests, ReferenceMatcherMatchesAimedRequests) {
  const auto& routes = routes_10k();
  auto t0 = std::chrono::steady_clock::now();
  const reference_matcher m(routes);  // throws if any regex path does not compile
  const double build_secs = seconds_since(t0);
  const std::size_t n = 800;  // the reference matcher scans: ~1.5 ms a request at 10k routes
  t0 = std::chrono::steady_clock::now();
  const auto reqs = generate_requests(routes, n, 5);
  const double gen_secs = seconds_since(t0);

  // Recover the route each request was aimed at is not possible from the
  // request alone, so count matches and, separately, regex-path hits.
  std::size_t aimed = 0, matched = 0, miss_matched = 0, regex_hits = 0;
  t0 = std::chrono::steady_clock::now();
  for (const auto& req : reqs) {
    const route* r = m.match(req);
    if (is_miss(req)) {
      miss_matched += r != nullptr ? 1U : 0U;
      continue;
    }
    ++aimed;
    if (r != nullptr) {
      ++matched;
      regex_hits += is_regex_path(r->paths.front()) ? 1U : 0U;
    }
  }
  const double match_secs = seconds_since(t0);
  const double rate = static_cast<double>(matched) / static_cast<double>(aimed);
  std::printf(
      "[ synthetic ] 10k routes: matcher built in %.3f s; %zu requests generated in %.3f s, "
      "matched in %.3f s; aimed %zu, matched %.4f (%zu via regex routes); misses matched %zu\n",
      build_secs, n, gen_secs, match_secs, aimed, rate, regex_hits, miss_matched);
  RecordProperty("aimed_match_rate_permille", static_cast<int>(rate * 1000));
  EXPECT_GE(rate, 0.95);
  EXPECT_GT(regex_hits, 0U);
  EXPECT_EQ(miss_matched, 0U);
}

TEST(SyntheticRequests, AimedRequestsHitTheirOwnRoute) {
  // With a single-route set every aimed request is for that route; checks
  // each route shape (wildcard host, regex path, methods, headers) alone.
  // Against the whole set, how often the aimed route is the one selected
  // (others may legitimately win: a regex or longer prefix on the same host).
  const reference_matcher all(routes_10k());
  std::size_t checked = 0, hit = 0, own = 0;
  for (const auto& r : routes_10k()) {
    if (r.id % 100 != 0) {
      continue;
    }
    const reference_matcher m({r});
    for (const auto& req : generate_requests({r}, 4, r.id, 1.0, 0.0)) {
      ++checked;
      hit += m.match(req) != nullptr ? 1U : 0U;
      const route* selected = all.match(req);
      own += selected != nullptr && selected->id == r.id ? 1U : 0U;
    }
  }
  std::printf(
      "[ synthetic ] single-route sets: %zu of %zu requests matched; in the full set "
      "%zu (%.4f) selected their own route\n",
      hit, checked, own, static_cast<double>(own) / static_cast<double>(checked));
  EXPECT_EQ(hit, checked);
  EXPECT_GE(static_cast<double>(own) / static_cast<double>(checked), 0.8);
}
