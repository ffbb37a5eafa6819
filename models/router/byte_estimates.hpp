#pragma once
/// Estimates of the heap bytes a router holds, shared by every router so
/// their `bytes()` figures compare like with like: container capacities
/// times element sizes, one node (value, next pointer, cached hash) per hash
/// container element plus its bucket array, and string buffers beyond the
/// short-string capacity. PCRE2's compiled code and JIT memory are not
/// visible from here and are not counted.

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/route.hpp"

namespace gwsim::router::estimate {

inline std::size_t heap_bytes(const std::string& s) {
  /// libstdc++ keeps up to 15 characters inside the object.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

template <class T>
std::size_t flat_bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

inline std::size_t heap_bytes(const std::vector<std::string>& v) {
  std::size_t n = flat_bytes(v);
  for (const auto& s : v) n += heap_bytes(s);
  return n;
}

/// Bucket array plus one node per element.
inline std::size_t hash_overhead(std::size_t buckets, std::size_t size, std::size_t value_size) {
  return buckets * sizeof(void*) + size * (value_size + sizeof(void*) + sizeof(std::size_t));
}

template <class H, class E>
std::size_t heap_bytes(const std::unordered_set<std::string, H, E>& s) {
  std::size_t n = hash_overhead(s.bucket_count(), s.size(), sizeof(std::string));
  for (const auto& x : s) n += heap_bytes(x);
  return n;
}

/// A string-keyed map; vector values count their buffers too.
template <class V, class H, class E>
std::size_t heap_bytes(const std::unordered_map<std::string, V, H, E>& m) {
  std::size_t n = hash_overhead(m.bucket_count(), m.size(), sizeof(typename std::unordered_map<std::string, V, H, E>::value_type));
  for (const auto& [k, v] : m) {
    n += heap_bytes(k);
    if constexpr (requires { v.capacity(); v.data(); }) n += flat_bytes(v);
  }
  return n;
}

/// The heap blocks of one marshalled entry: rule lists that outgrew their
/// inline room and the header rules' strings. Host, uri, method and SNI
/// values are views into the routes (counted with the routes) or into the
/// process-wide table of upper-cased method names (counted by no router).
inline std::size_t marshalled_heap_bytes(const marshalled_route& e) {
  std::size_t n = e.hosts.heap_bytes() + e.uris.heap_bytes() + e.methods.heap_bytes() + e.snis.heap_bytes();
  n += flat_bytes(e.headers);
  for (const auto& h : e.headers) n += heap_bytes(h.name) + heap_bytes(h.values);
  return n;
}

/// The routes as given and their marshalled entries.
inline std::size_t routes_and_entries_bytes(const std::vector<route>& routes,
                                            const std::vector<marshalled_route>& entries) {
  std::size_t n = flat_bytes(routes);
  for (const auto& r : routes) {
    n += heap_bytes(r.hosts) + heap_bytes(r.paths) + heap_bytes(r.methods) + heap_bytes(r.snis);
    n += flat_bytes(r.headers);
    for (const auto& [name, values] : r.headers) n += heap_bytes(name) + heap_bytes(values);
  }
  n += flat_bytes(entries);
  for (const auto& e : entries) n += marshalled_heap_bytes(e);
  return n;
}

/// Compiled patterns: the map, and the regex objects with their pattern
/// strings (and shared_ptr control blocks). A router counts every pattern
/// it holds, including those it shares with the process-wide cache of
/// compiled_regex() (which, like Kong's per-worker regex cache, holds them
/// for the router: the router's rules are what use them); the process-wide
/// cache's own table is counted by no router.
inline std::size_t regex_cache_bytes(const regex_cache& regexes) {
  constexpr std::size_t control_block = 2 * sizeof(long);
  std::size_t n = hash_overhead(regexes.bucket_count(), regexes.size(), sizeof(regex_cache::value_type));
  for (const auto& [pattern, re] : regexes) n += control_block + sizeof(regex) + heap_bytes(re->pattern());
  return n;
}

}  // namespace gwsim::router::estimate
