/// Differential test: traditional_router must select exactly the route
/// reference_matcher selects, with its cache cold, warm and evicting.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "models/router/incremental_router.hpp"
#include "models/router/radix_router.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/sharded_router.hpp"
#include "models/router/traditional_router.hpp"

namespace gwsim::router {

/// Readable printouts for counterexamples (found by RapidCheck through ADL).
void showValue(const route& r, std::ostream& os) {
  auto list = [&os](const char* name, const std::vector<std::string>& v) {
    if (v.empty()) {
      return;
    }
    os << ' ' << name << "=[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      os << (i == 0 ? "" : ", ") << '"' << v[i] << '"';
    }
    os << ']';
  };
  os << "route{id=" << r.id;
  list("hosts", r.hosts);
  list("paths", r.paths);
  list("methods", r.methods);
  for (const auto& [name, values] : r.headers) {
    os << " header[" << name << ']';
    list("", values);
  }
  list("snis", r.snis);
  os << " regex_priority=" << r.regex_priority << " created_at=" << r.created_at << '}';
}

void showValue(const request& q, std::ostream& os) {
  os << "request{" << q.scheme << "://" << q.host << q.path << ' ' << q.method << " sni=\"" << q.sni << '"';
  for (const auto& [name, value] : q.headers) {
    os << ' ' << name << ": " << value;
  }
  os << '}';
}

}  // namespace gwsim::router

namespace {

using gwsim::router::radix_router;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;
using gwsim::router::traditional_router;

const std::vector<std::string> plain_hosts{"a.com", "b.com", "api.a.com"};
const std::vector<std::string> wildcard_hosts{"*.a.com", "*.com", "a.*"};
const std::vector<std::string> ports{"", "", ":80", ":443"};
/// Overlapping prefixes (and the empty path), so indexes and the radix
/// router's trie split edges and stack entries.
const std::vector<std::string> prefix_paths{"/", "/a", "/a/b", "/ab", "/abc", "/b", "/a/bc", ""};
/// Regex atoms: each pattern is a few of them (so always valid), and is a
/// regex only when some atom has a character outside Kong's prefix set.
const std::vector<std::string> regex_atoms{"/a", "/b", "/\\d+", "/[ab]+", "/(a|v1)", "/.*", "/c$", "/v1"};
const std::vector<std::string> methods{"GET", "get", "POST", "PUT"};
const std::vector<std::string> header_names{"X-Foo", "x-foo", "X-Bar", "host"};
const std::vector<std::string> header_values{"v1", "V1", "v2"};
const std::vector<std::string> snis{"a.com", "b.com"};
const std::vector<std::string> path_suffixes{"", "", "/c", "1", "/123", "/b", "c", "x"};
const std::vector<std::string> concrete_paths{"/", "/a/12", "/b/c", "/v1/x", "/ab/c", "/a/b/c/d", "/zz", "/a", "/c", ""};

rc::Gen<std::string> gen_host() {
  return rc::gen::exec([] {
    const bool wildcard = *rc::gen::arbitrary<bool>();
    const std::string name = *rc::gen::elementOf(wildcard ? wildcard_hosts : plain_hosts);
    return name + *rc::gen::elementOf(ports);
  });
}

rc::Gen<std::string> gen_path() {
  return rc::gen::exec([] {
    if (*rc::gen::arbitrary<bool>()) {
      return *rc::gen::elementOf(prefix_paths);
    }
    const auto atoms = *rc::gen::inRange<std::size_t>(1, 4);
    std::string p;
    for (std::size_t i = 0; i < atoms; ++i) {
      p += *rc::gen::elementOf(regex_atoms);
    }
    return p;
  });
}

template <class T>
rc::Gen<std::vector<T>> small_list(rc::Gen<T> g, std::size_t max) {
  return rc::gen::exec([g, max] {
    const auto n = *rc::gen::inRange<std::size_t>(0, max + 1);
    return *rc::gen::container<std::vector<T>>(n, g);
  });
}

rc::Gen<route> gen_route() {
  return rc::gen::exec([] {
    route r;
    /// Each field is present with probability 2/5, so routes share
    /// categories often.
    auto present = [] { return *rc::gen::weightedElement<bool>({{2, true}, {3, false}}); };
    if (present()) {
      r.hosts = *rc::gen::nonEmpty(small_list(gen_host(), 2));
    }
    if (present()) {
      r.paths = *rc::gen::nonEmpty(small_list(gen_path(), 3));
    }
    if (present()) {
      r.methods = *rc::gen::nonEmpty(small_list(rc::gen::elementOf(methods), 2));
    }
    if (present()) {
      const auto n_headers = *rc::gen::inRange<std::size_t>(1, 3);
      for (std::size_t i = 0; i < n_headers; ++i) {
        r.headers.emplace_back(*rc::gen::elementOf(header_names),
                               *rc::gen::nonEmpty(small_list(rc::gen::elementOf(header_values), 2)));
      }
    }
    if (present()) {
      r.snis = *rc::gen::nonEmpty(small_list(rc::gen::elementOf(snis), 2));
    }
    r.regex_priority = *rc::gen::inRange(0, 3);
    r.created_at = *rc::gen::inRange<std::int64_t>(0, 4);
    if (r.hosts.empty() && r.paths.empty() && r.methods.empty() && r.headers.empty() && r.snis.empty()) {
      r.paths = {"/"};
    }
    return r;
  });
}

rc::Gen<std::vector<route>> gen_routes() {
  return rc::gen::exec([] {
    const auto n = *rc::gen::inRange<std::size_t>(0, 17);
    auto routes = *rc::gen::container<std::vector<route>>(n, gen_route());
    for (std::size_t i = 0; i < routes.size(); ++i) {
      routes[i].id = static_cast<std::uint32_t>(i + 1);
    }
    return routes;
  });
}

/// A request aimed at the route set: each field is mostly taken from one of
/// two routes (so several routes of a category tend to match at once, which
/// is where Kong's reduce step and the sort order matter), with wildcards
/// filled in and ports and path suffixes perturbed.
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
    auto either = [&r1, &r2]() { return *rc::gen::arbitrary<bool>() ? r1 : r2; };

    std::string host = *rc::gen::elementOf(plain_hosts);
    if (const route* r = either(); r != nullptr && !r->hosts.empty()) {
      host = *rc::gen::elementOf(r->hosts);
      const auto star = host.find('*');
      if (star != std::string::npos) {
        host.replace(star, 1, *rc::gen::elementOf(std::vector<std::string>{"x", "api", "a.b", "com"}));
      }
      const auto colon = host.find(':');
      if (colon != std::string::npos && *rc::gen::arbitrary<bool>()) {
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
    const auto n_headers = *rc::gen::inRange<std::size_t>(0, 3);
    for (std::size_t i = 0; i < n_headers; ++i) {
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

std::uint32_t id_of(const route* r) {
  return r == nullptr ? 0U : r->id;
}

void check(std::size_t round, const char* how, const request& q, std::uint32_t got, std::uint32_t want) {
  if (got != want) {
    std::ostringstream os;
    gwsim::router::showValue(q, os);
    RC_FAIL("round " + std::to_string(round) + " (" + how + "): " + os.str() + " -> route " + std::to_string(got) +
            ", reference says " + std::to_string(want));
  }
}

}  // namespace

RC_GTEST_PROP(TraditionalRouterDifferential, SameRouteAsReferenceColdWarmAndEvicting, ()) {
  const auto routes = *gen_routes();
  const auto requests =
      *rc::gen::container<std::vector<request>>(*rc::gen::inRange<std::size_t>(1, 81), gen_request(routes));

  const reference_matcher ref(routes);
  traditional_router big(routes);
  traditional_router tiny(routes, 3);  /// evicts constantly

  std::vector<std::uint32_t> expected;
  for (const auto& q : requests) {
    expected.push_back(id_of(ref.match(q)));
  }
  for (std::size_t round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& q = requests[i];
      check(round, "uncached", q, id_of(big.match_uncached(q)), expected[i]);
      check(round, "5000 slots", q, id_of(big.match(q)), expected[i]);
      check(round, "3 slots", q, id_of(tiny.match(q)), expected[i]);
    }
  }
  /// Every request after the first round was a repeat of one already cached
  /// in the large cache.
  RC_ASSERT(big.cache_hits() >= 2 * requests.size());
}

RC_GTEST_PROP(TraditionalRouterDifferential, CacheHitEqualsFreshMatchAfterFlush, ()) {
  const auto routes = *gen_routes();
  const auto q = *gen_request(routes);
  const reference_matcher ref(routes);
  traditional_router router(routes);
  const auto cold = id_of(router.match(q));
  const auto warm = id_of(router.match(q));
  router.flush_cache();
  const auto flushed = id_of(router.match(q));
  RC_ASSERT(cold == id_of(ref.match(q)));
  RC_ASSERT(warm == cold);
  RC_ASSERT(flushed == cold);
  RC_ASSERT(router.cache_hits() == 1U);
  RC_ASSERT(router.cache_misses() == 2U);
}

RC_GTEST_PROP(RadixRouterDifferential, SameRouteAsReference, ()) {
  const auto routes = *gen_routes();
  const auto requests =
      *rc::gen::container<std::vector<request>>(*rc::gen::inRange<std::size_t>(1, 81), gen_request(routes));
  const reference_matcher ref(routes);
  const radix_router radix(routes);
  for (const auto& q : requests) check(0, "radix", q, id_of(radix.match(q)), id_of(ref.match(q)));
}

RC_GTEST_PROP(UpdatableRouterDifferential, IncrementalAndShardedSameRouteAsReference, ()) {
  const auto routes = *gen_routes();
  const auto requests =
      *rc::gen::container<std::vector<request>>(*rc::gen::inRange<std::size_t>(1, 81), gen_request(routes));
  const reference_matcher ref(routes);
  gwsim::router::incremental_router incremental(routes);
  gwsim::router::sharded_router sharded(routes);
  for (std::size_t round = 0; round < 2; ++round) {
    for (const auto& q : requests) {
      const auto want = id_of(ref.match(q));
      check(round, "incremental", q, id_of(incremental.match(q)), want);
      check(round, "incremental uncached", q, id_of(incremental.match_uncached(q)), want);
      check(round, "sharded", q, id_of(sharded.match(q)), want);
      check(round, "sharded uncached", q, id_of(sharded.match_uncached(q)), want);
    }
  }
}
