/// radix_router: unit tests and a differential property against
/// reference_matcher (Kong 2.8's precedence is the specification).

#include "models/router/radix_router.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/reference_matcher.hpp"

namespace {

using gwsim::router::radix_router;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;

std::uint32_t id_of(const route* r) {
  return r == nullptr ? 0U : r->id;
}

request req(std::string host, std::string path, std::string method = "GET") {
  request q;
  q.host = std::move(host);
  q.path = std::move(path);
  q.method = std::move(method);
  return q;
}

route make(std::uint32_t id, std::vector<std::string> paths, std::vector<std::string> hosts = {},
           std::vector<std::string> methods = {}) {
  route r;
  r.id = id;
  r.paths = std::move(paths);
  r.hosts = std::move(hosts);
  r.methods = std::move(methods);
  return r;
}

// ---------------------------------------------------------------------------
// Unit tests

TEST(RadixRouter, LongestPrefixWins) {
  const radix_router router({make(1, {"/"}), make(2, {"/a"}), make(3, {"/a/b"}), make(4, {"/ab"})});
  EXPECT_EQ(id_of(router.match(req("x.com", "/a/b/c"))), 3U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/a/c"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/abc"))), 4U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/zz"))), 1U);
  EXPECT_GE(router.node_count(), 4U);
}

TEST(RadixRouter, CategoryPrecedenceBeatsLongerPrefix) {
  /// host+uri outranks uri alone even with a shorter prefix.
  const radix_router router({make(1, {"/a/b/c"}), make(2, {"/"}, {"a.com"})});
  EXPECT_EQ(id_of(router.match(req("a.com", "/a/b/c/d"))), 2U);
  EXPECT_EQ(id_of(router.match(req("b.com", "/a/b/c/d"))), 1U);
}

TEST(RadixRouter, HostAndMethodFiltering) {
  const radix_router router(
      {make(1, {"/api"}, {"a.com"}, {"GET"}), make(2, {"/api"}, {"*.b.com"}, {"POST"}), make(3, {}, {"c.com:8080"})});
  EXPECT_EQ(id_of(router.match(req("a.com", "/api/x", "get"))), 1U);
  EXPECT_EQ(id_of(router.match(req("a.com:80", "/api/x", "GET"))), 1U);
  EXPECT_EQ(id_of(router.match(req("a.com", "/api/x", "POST"))), 0U);
  EXPECT_EQ(id_of(router.match(req("x.b.com", "/api", "POST"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.b.com:9000", "/api", "POST"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.b.com", "/api", "GET"))), 0U);
  EXPECT_EQ(id_of(router.match(req("c.com:8080", "/anything"))), 3U);
  EXPECT_EQ(id_of(router.match(req("c.com", "/anything"))), 0U);
}

TEST(RadixRouter, RegexFallbackAndPriority) {
  route re_low = make(1, {"/users/\\d+"});
  route re_high = make(2, {"/users/\\d+/x"});
  re_high.regex_priority = 5;
  const radix_router router({re_low, re_high, make(3, {"/users"})});
  /// Regex paths sort before prefixes of the same category.
  EXPECT_EQ(id_of(router.match(req("h", "/users/42"))), 1U);
  EXPECT_EQ(id_of(router.match(req("h", "/users/42/x"))), 2U);
  EXPECT_EQ(id_of(router.match(req("h", "/users/bob"))), 3U);
}

TEST(RadixRouter, NoMatch) {
  const radix_router empty({});
  EXPECT_EQ(empty.match(req("a.com", "/")), nullptr);
  const radix_router router({make(1, {"/a"}, {"a.com"})});
  EXPECT_EQ(router.match(req("b.com", "/a")), nullptr);
  EXPECT_EQ(router.match(req("a.com", "/b")), nullptr);
  EXPECT_GT(router.bytes(), sizeof(radix_router));
}

TEST(RadixRouter, RejectsWhatReferenceRejects) {
  route bad;
  bad.id = 7;
  EXPECT_THROW(radix_router({bad}), std::invalid_argument);
  EXPECT_THROW(radix_router({make(8, {"/a/(b"})}), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Differential property

/// A route set wrapped so counterexamples print readably.
struct route_set {
  std::vector<route> routes;
};

void print_list(std::ostream& os, const char* name, const std::vector<std::string>& v) {
  if (v.empty()) {
    return;
  }
  os << ' ' << name << "=[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    os << (i == 0 ? "" : ", ") << '"' << v[i] << '"';
  }
  os << ']';
}

void showValue(const route_set& s, std::ostream& os) {
  os << s.routes.size() << " routes:\n";
  for (const auto& r : s.routes) {
    os << "  route{id=" << r.id;
    print_list(os, "hosts", r.hosts);
    print_list(os, "paths", r.paths);
    print_list(os, "methods", r.methods);
    for (const auto& [name, values] : r.headers) {
      os << " header[" << name << ']';
      print_list(os, "", values);
    }
    print_list(os, "snis", r.snis);
    os << " regex_priority=" << r.regex_priority << " created_at=" << r.created_at << "}\n";
  }
}

std::string describe(const request& q) {
  std::ostringstream os;
  os << q.scheme << "://" << q.host << q.path << ' ' << q.method << " sni=\"" << q.sni << '"';
  for (const auto& [name, value] : q.headers) {
    os << ' ' << name << ": " << value;
  }
  return os.str();
}

const std::vector<std::string> plain_hosts{"a.com", "b.com", "api.a.com"};
const std::vector<std::string> wildcard_hosts{"*.a.com", "*.com", "a.*"};
const std::vector<std::string> ports{"", "", ":80", ":443"};
/// Overlapping prefixes, so the trie splits edges and stacks entries.
const std::vector<std::string> prefix_paths{"/", "/a", "/a/b", "/ab", "/abc", "/b", "/a/bc", ""};
const std::vector<std::string> regex_atoms{"/a", "/b", "/\\d+", "/[ab]+", "/(a|v1)", "/.*", "/c$", "/v1"};
const std::vector<std::string> methods{"GET", "get", "POST", "PUT"};
const std::vector<std::string> header_names{"X-Foo", "x-foo", "X-Bar", "host"};
const std::vector<std::string> header_values{"v1", "V1", "v2"};
const std::vector<std::string> snis{"a.com", "b.com"};
const std::vector<std::string> path_suffixes{"", "", "/c", "1", "/123", "/b", "c", "x"};
const std::vector<std::string> concrete_paths{"/", "/a/12", "/b/c", "/v1/x", "/ab/c", "/a/b/c/d", "/zz", "/a", ""};

template <class T>
rc::Gen<std::vector<T>> list_of(rc::Gen<T> g, std::size_t min, std::size_t max) {
  return rc::gen::exec(
      [g, min, max] { return *rc::gen::container<std::vector<T>>(*rc::gen::inRange<std::size_t>(min, max + 1), g); });
}

rc::Gen<std::string> gen_host() {
  return rc::gen::exec([] {
    const bool wildcard = *rc::gen::arbitrary<bool>();
    return *rc::gen::elementOf(wildcard ? wildcard_hosts : plain_hosts) + *rc::gen::elementOf(ports);
  });
}

rc::Gen<std::string> gen_path() {
  return rc::gen::exec([] {
    if (*rc::gen::weightedElement<int>({{3, 1}, {2, 0}}) == 1) {
      return *rc::gen::elementOf(prefix_paths);
    }
    std::string p;
    for (auto n = *rc::gen::inRange(1, 4); n > 0; --n) {
      p += *rc::gen::elementOf(regex_atoms);
    }
    return p;
  });
}

rc::Gen<route> gen_route() {
  return rc::gen::exec([] {
    route r;
    auto present = [] { return *rc::gen::weightedElement<bool>({{2, true}, {3, false}}); };
    if (present()) {
      r.hosts = *list_of(gen_host(), 1, 2);
    }
    if (*rc::gen::weightedElement<bool>({{3, true}, {1, false}})) {
      r.paths = *list_of(gen_path(), 1, 3);
    }
    if (present()) {
      r.methods = *list_of(rc::gen::elementOf(methods), 1, 2);
    }
    if (present()) {
      for (auto n = *rc::gen::inRange(1, 3); n > 0; --n) {
        r.headers.emplace_back(*rc::gen::elementOf(header_names), *list_of(rc::gen::elementOf(header_values), 1, 2));
      }
    }
    if (present()) {
      r.snis = *list_of(rc::gen::elementOf(snis), 1, 2);
    }
    r.regex_priority = *rc::gen::inRange(0, 3);
    r.created_at = *rc::gen::inRange<std::int64_t>(0, 4);
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() && r.snis.empty()) {
      r.paths = {"/"};
    }
    return r;
  });
}

rc::Gen<route_set> gen_route_set() {
  return rc::gen::exec([] {
    route_set s{*list_of(gen_route(), 0, 16)};
    for (std::size_t i = 0; i < s.routes.size(); ++i) {
      s.routes[i].id = static_cast<std::uint32_t>(i + 1);
    }
    return s;
  });
}

/// Requests aimed at the set: fields are mostly copied from one of two
/// routes (wildcards filled in, ports dropped or added, path suffixes
/// appended) so several routes of a category tend to match at once.
rc::Gen<request> gen_request(const std::vector<route>& routes) {
  return rc::gen::exec([routes] {
    request q;
    auto pick = [&routes]() -> const route* {
      if (routes.empty() || !*rc::gen::weightedElement<bool>({{4, true}, {1, false}})) {
        return nullptr;
      }
      return &routes[*rc::gen::inRange<std::size_t>(0, routes.size())];
    };
    const route* r1 = pick();
    const route* r2 = pick();
    auto either = [&] { return *rc::gen::arbitrary<bool>() ? r1 : r2; };

    std::string host = *rc::gen::elementOf(plain_hosts);
    if (const route* r = either(); r != nullptr && !r->hosts.empty()) {
      host = *rc::gen::elementOf(r->hosts);
      if (const auto star = host.find('*'); star != std::string::npos) {
        host.replace(star, 1, *rc::gen::elementOf(std::vector<std::string>{"x", "api", "a.b", "com"}));
      }
      if (const auto colon = host.find(':'); colon != std::string::npos && *rc::gen::arbitrary<bool>()) {
        host.erase(colon);
      }
    }
    if (host.find(':') == std::string::npos) {
      host += *rc::gen::elementOf(ports);
    }
    q.host = host;

    q.path = *rc::gen::elementOf(concrete_paths);
    if (const route* r = either(); r != nullptr && !r->paths.empty()) {
      const std::string p = *rc::gen::elementOf(r->paths);
      if (!gwsim::router::is_regex_path(p)) {
        q.path = p + *rc::gen::elementOf(path_suffixes);
      }
    }
    q.method = *rc::gen::elementOf(methods);
    if (const route* r = either(); r != nullptr && !r->methods.empty()) {
      q.method = *rc::gen::elementOf(r->methods);
    }
    for (auto n = *rc::gen::inRange(0, 3); n > 0; --n) {
      q.headers.emplace_back(*rc::gen::elementOf(header_names), *rc::gen::elementOf(header_values));
    }
    for (const route* r : {r1, r2}) {
      if (r == nullptr) {
        continue;
      }
      for (const auto& [name, values] : r->headers) {
        if (*rc::gen::weightedElement<bool>({{3, true}, {1, false}})) {
          q.headers.emplace_back(name, *rc::gen::elementOf(values));
        }
      }
    }
    q.sni = *rc::gen::elementOf(std::vector<std::string>{"", "a.com", "b.com"});
    if (const route* r = either(); r != nullptr && !r->snis.empty()) {
      q.sni = *rc::gen::elementOf(r->snis);
    }
    q.scheme = *rc::gen::elementOf(std::vector<std::string>{"http", "https"});
    return q;
  });
}

}  // namespace

RC_GTEST_PROP(RadixRouterDifferential, SameRouteAsReference, ()) {
  const auto set = *gen_route_set();
  const auto requests =
      *rc::gen::container<std::vector<request>>(*rc::gen::inRange<std::size_t>(1, 61), gen_request(set.routes));
  const reference_matcher ref(set.routes);
  const radix_router radix(set.routes);
  for (const auto& q : requests) {
    const auto want = id_of(ref.match(q));
    const auto got = id_of(radix.match(q));
    if (got != want) {
      std::ostringstream os;
      showValue(set, os);
      RC_FAIL(describe(q) + " -> route " + std::to_string(got) + ", reference says " + std::to_string(want) + "\n" +
              os.str());
    }
  }
}
