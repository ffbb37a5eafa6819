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
#include "tests/models/router/route_generators.hpp"

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
/// The shared generators: mixed prefix/regex/host/header/method routes
/// with overlapping priorities, and requests aimed at them.
using namespace gwsim::router::testgen;

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
