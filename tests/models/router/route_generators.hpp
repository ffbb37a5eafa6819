#pragma once
/// RapidCheck generators for routes and requests aimed at them, shared by the
/// router property tests: small vocabularies (overlapping prefixes, a few
/// wildcard hosts, regex atoms that always compile) so that generated routes
/// collide and share Kong's categories, and requests built mostly from the
/// fields of one or two of the routes so that they match something.

#include <rapidcheck.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/router/route.hpp"

namespace gwsim::router::testgen {

inline const std::vector<std::string> plain_hosts{"a.com", "b.com", "api.a.com"};
inline const std::vector<std::string> wildcard_hosts{"*.a.com", "*.com", "a.*"};
inline const std::vector<std::string> ports{"", "", ":80", ":443"};
/// Overlapping prefixes (and the empty path), so indexes and the radix
/// router's trie split edges and stack entries.
inline const std::vector<std::string> prefix_paths{"/", "/a", "/a/b", "/ab", "/abc", "/b", "/a/bc", ""};
/// Regex atoms: each pattern is a few of them (so always valid), and is a
/// regex only when some atom has a character outside Kong's prefix set.
inline const std::vector<std::string> regex_atoms{"/a", "/b", "/\\d+", "/[ab]+", "/(a|v1)", "/.*", "/c$", "/v1"};
inline const std::vector<std::string> methods{"GET", "get", "POST", "PUT"};
inline const std::vector<std::string> header_names{"X-Foo", "x-foo", "X-Bar", "host"};
inline const std::vector<std::string> header_values{"v1", "V1", "v2"};
inline const std::vector<std::string> snis{"a.com", "b.com"};
inline const std::vector<std::string> path_suffixes{"", "", "/c", "1", "/123", "/b", "c", "x"};
inline const std::vector<std::string> concrete_paths{"/",        "/a/12", "/b/c", "/v1/x", "/ab/c",
                                                     "/a/b/c/d", "/zz",   "/a",   "/c",    ""};

inline rc::Gen<std::string> gen_host() {
  return rc::gen::exec([] {
    const bool wildcard = *rc::gen::arbitrary<bool>();
    const std::string name = *rc::gen::elementOf(wildcard ? wildcard_hosts : plain_hosts);
    return name + *rc::gen::elementOf(ports);
  });
}

inline rc::Gen<std::string> gen_path() {
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
inline rc::Gen<std::vector<T>> small_list(rc::Gen<T> g, std::size_t max) {
  return rc::gen::exec([g, max] {
    const auto n = *rc::gen::inRange<std::size_t>(0, max + 1);
    return *rc::gen::container<std::vector<T>>(n, g);
  });
}

inline rc::Gen<route> gen_route() {
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

inline rc::Gen<std::vector<route>> gen_routes() {
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
inline rc::Gen<request> gen_request(const std::vector<route>& routes) {
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
      if (!is_regex_path(p)) {
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

/// The id of a match result, 0 for no match.
inline std::uint32_t id_of(const route* r) { return r == nullptr ? 0U : r->id; }

}  // namespace gwsim::router::testgen
