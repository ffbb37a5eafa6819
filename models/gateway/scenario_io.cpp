#include "models/gateway/scenario_io.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <utility>

#include "models/gateway/units.hpp"

namespace gwsim::gateway {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

constexpr numeric_range any_number() {
  return {};
}
constexpr numeric_range at_least(double lo) {
  return {lo, inf, false, false};
}
constexpr numeric_range above(double lo) {
  return {lo, inf, true, false};
}
constexpr numeric_range between(double lo, double hi) {
  return {lo, hi, false, false};
}

// ---------------------------------------------------------------------------
// Small text helpers

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string quote_text(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          constexpr std::string_view hex = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

/// Optimal string alignment distance (Levenshtein plus adjacent
/// transpositions), case-insensitive: enough to catch typos in key names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(n, m);
}

std::pair<std::string_view, std::string_view> split_last(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return {{}, path};
  return {path.substr(0, dot), path.substr(dot + 1)};
}

/// The candidate closest to `wrong`, comparing last path components: the same
/// key in another table first ("[traffic] nodes" -> cluster.nodes), then a
/// typo, then a truncation ("rate" -> rate_per_s); ties prefer the same table.
std::optional<std::string> suggest(std::string_view wrong, const std::vector<std::string>& candidates) {
  const auto [wrong_table, wrong_key] = split_last(wrong);
  std::optional<std::string> best;
  std::pair<std::size_t, int> best_score{SIZE_MAX, 0};
  for (const std::string& c : candidates) {
    if (c == wrong) continue;
    const auto [table, key] = split_last(c);
    std::size_t score = SIZE_MAX;
    if (key == wrong_key) {
      score = 0;
    } else if (const std::size_t dist = edit_distance(wrong_key, key);
               dist <= std::max<std::size_t>(1, std::min<std::size_t>(3, key.size() / 3))) {
      score = 1 + dist;
    } else if (wrong_key.size() >= 3 && (key.starts_with(wrong_key) || wrong_key.starts_with(key))) {
      score = 10 + (key.size() > wrong_key.size() ? key.size() - wrong_key.size() : wrong_key.size() - key.size());
    }
    const std::pair<std::size_t, int> s{score, table == wrong_table ? 0 : 1};
    if (score != SIZE_MAX && s < best_score) {
      best_score = s;
      best = c;
    }
  }
  return best;
}

template <class Names>
std::size_t find_choice(const Names& names, std::string_view text, std::string_view path,
                        std::string_view requirement_text) {
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (names[i] == text) return i;
  }
  std::vector<std::string> candidates;
  for (const auto& n : names) candidates.emplace_back(n);
  std::string msg;
  if (!path.empty()) msg.append(path).append(" = ");
  msg.append(quote_text(text)).append(" is invalid: ").append(requirement_text);
  if (const auto s = suggest(text, candidates)) msg.append("; did you mean ").append(*s).append("?");
  throw scenario_error(std::string(path), msg);
}

template <class Names>
std::string one_of(const Names& names) {
  std::string out = "must be one of: ";
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

// ---------------------------------------------------------------------------
// Building the table

template <class T>
field_value to_value(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v;
  } else if constexpr (std::is_same_v<T, int>) {
    return std::int64_t{v};
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return v;
  } else if constexpr (std::is_same_v<T, double>) {
    return v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v;
  } else {
    static_assert(named_enum<T>, "a scenario member of an unsupported type");
    return std::string(to_string(v));
  }
}

template <class T>
void from_value(const field_value& v, T& out) {
  if constexpr (std::is_same_v<T, int>) {
    out = static_cast<int>(std::get<std::int64_t>(v));  // convert() checked the range
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::uint64_t> || std::is_same_v<T, double> ||
                       std::is_same_v<T, std::string>) {
    out = std::get<T>(v);
  } else {
    out = enum_from_string<T>(std::get<std::string>(v), {});
  }
}

template <class T>
constexpr bool kind_fits(field_kind k) {
  if constexpr (std::is_same_v<T, bool>) return k == field_kind::boolean;
  if constexpr (std::is_same_v<T, int>) return k == field_kind::integer;
  if constexpr (std::is_same_v<T, std::uint64_t>) return k == field_kind::seed;
  if constexpr (std::is_same_v<T, double>) {
    return k == field_kind::real || k == field_kind::duration || k == field_kind::size;
  }
  if constexpr (std::is_same_v<T, std::string>) return k == field_kind::text;
  if constexpr (named_enum<T>) return k == field_kind::choice;
  return false;
}

/// Appends the fields of one section; Section == Owner for fields that are
/// the owner's own (top-level name and strategy, array elements).
template <class Owner, class Section>
class table_builder {
 public:
  using section_type = Section;
  using section_pointer = std::conditional_t<std::is_same_v<Owner, Section>, std::nullptr_t, Section Owner::*>;

  table_builder(std::vector<field<Owner>>& out, std::string_view section, section_pointer sec)
      : out_(out), section_(section), sec_(sec) {}

  template <class T>
  field<Owner>& add(std::string_view key, T Section::*mem, field_kind kind, std::string_view unit, numeric_range range,
                    std::string_view doc) {
    if (!kind_fits<T>(kind)) throw std::logic_error("scenario field table: wrong kind for " + std::string(key));
    field<Owner> f;
    f.section = section_;
    f.key = key;
    f.kind = kind;
    f.unit = unit;
    f.range = range;
    f.doc = doc;
    if constexpr (named_enum<T>) {
      for (const std::string_view n : enum_traits<T>::names) f.choices.emplace_back(n);
    }
    if constexpr (std::is_same_v<Owner, Section>) {
      f.get = [mem](const Owner& o) { return to_value(o.*mem); };
      f.set = [mem](Owner& o, const field_value& v) { from_value(v, o.*mem); };
    } else {
      const auto sec = sec_;
      f.get = [sec, mem](const Owner& o) { return to_value(o.*sec.*mem); };
      f.set = [sec, mem](Owner& o, const field_value& v) { from_value(v, o.*sec.*mem); };
    }
    out_.push_back(std::move(f));
    return out_.back();
  }

  void add_table_array(std::string_view key, std::string_view doc) {
    field<Owner> f;
    f.section = section_;
    f.key = key;
    f.kind = field_kind::table_array;
    f.doc = doc;
    out_.push_back(std::move(f));
  }

 private:
  std::vector<field<Owner>>& out_;
  std::string_view section_;
  section_pointer sec_;
};

/// The key is spelled once, as the member itself, so that a key can never
/// point at the wrong member.
#define GWSIM_FIELD(builder, member, ...) \
  (builder).add(#member, &std::remove_reference_t<decltype(builder)>::section_type::member, __VA_ARGS__)

using K = field_kind;

std::vector<field<scenario>> build_scenario_fields() {
  std::vector<field<scenario>> t;

  table_builder<scenario, scenario> top(t, "", nullptr);
  GWSIM_FIELD(top, name, K::text, "", any_number(), "label of the experiment in results and stores");
  GWSIM_FIELD(top, strategy, K::text, "", any_number(), "router rebuild strategy").choices = known_strategies();

  table_builder<scenario, cluster_config> c(t, "cluster", &scenario::cluster);
  GWSIM_FIELD(c, nodes, K::integer, "pods", between(1, 1000), "gateway pods");
  GWSIM_FIELD(c, workers_per_node, K::integer, "workers per pod", between(1, 256),
              "nginx worker processes per pod (nginx_worker_processes)");
  GWSIM_FIELD(c, pod_memory_limit_bytes, K::size, "bytes", above(0),
              "cgroup memory limit per pod; above it the OOM killer kills the largest worker")
      .constraint = "greater than the pod's fixed memory (master + shared dicts + fixed zones)";
  GWSIM_FIELD(c, master_memory_bytes, K::size, "bytes", at_least(0), "resident memory of the nginx master process");
  GWSIM_FIELD(c, mem_cache_dicts, K::integer, "dicts", between(0, 16),
              "mem_cache shared dicts per pod (kong_db_cache and kong_core_db_cache; 4 in DB-less mode)");
  GWSIM_FIELD(c, mem_cache_size_bytes, K::size, "bytes", at_least(0),
              "size of each mem_cache shared dict (mem_cache_size), counted once per pod");
  GWSIM_FIELD(c, fixed_zones_bytes, K::size, "bytes", at_least(0), "the other lua_shared_dicts, counted once per pod");
  GWSIM_FIELD(c, respawn_delay_s, K::duration, "seconds", at_least(0),
              "from a worker's death until the master has forked its replacement");
  GWSIM_FIELD(c, cpu_cores, K::real, "cores", at_least(0),
              "cores the pod's workers share (processor sharing: k busy workers each run at min(1, cores/k)); "
              "0 = a core for every worker (what gwsim analyze's closed forms assume)");
  GWSIM_FIELD(c, build_contention, K::real, "fraction", between(0, 10),
              "extra CPU a build's slice needs per other build running at the same moment on another core (they "
              "share the last-level cache and the memory bus): 0.1 = a build beside another takes 10% more CPU; "
              "0 = none (what gwsim analyze's closed forms assume)");
  GWSIM_FIELD(c, respawn, K::choice, "", any_number(),
              "what a respawned worker does before its router is built (build_before_serving: Kong >= 3.1)");
  GWSIM_FIELD(c, start_heap, K::choice, "", any_number(),
              "the workers' Lua heaps at time 0: collected (long-running workers, live data only) or just_built "
              "(a pod that has just started: in designs whose workers build their own routers, the first build's garbage "
              "that the collector has not freed yet is still there, and the collector is paced from where that build "
              "left it)");

  table_builder<scenario, database_config> d(t, "database", &scenario::database);
  GWSIM_FIELD(d, connections, K::integer, "connections", between(1, 10'000),
              "queries the database serves concurrently; further queries wait");
  GWSIM_FIELD(d, page_size, K::integer, "routes per page", between(1, 10'000'000),
              "routes read per page query during a rebuild (Kong: 1000)");
  GWSIM_FIELD(d, page_latency_s, K::duration, "seconds", at_least(0),
              "wall time of one page query on an unloaded database");
  GWSIM_FIELD(d, page_cpu_s, K::duration, "seconds", at_least(0),
              "database CPU per page query (what its utilisation is made of)");
  GWSIM_FIELD(d, poll_query_s, K::duration, "seconds", at_least(0),
              "wall time of one db_update_frequency poll of the configuration version");

  table_builder<scenario, routes_config> r(t, "routes", &scenario::routes);
  GWSIM_FIELD(r, routes, K::integer, "routes", between(0, 10'000'000), "routes in the configuration");
  GWSIM_FIELD(r, services, K::integer, "services", between(0, 10'000'000),
              "services in the configuration; a build looks up each route's service");
  GWSIM_FIELD(r, paths_per_route, K::real, "paths per route", between(1, 1000),
              "mean paths per route; a build splits routes per path, P = routes * paths_per_route");
  GWSIM_FIELD(r, regex_paths, K::integer, "paths", between(0, 10'000'000),
              "distinct regex paths among the P paths: every match-cache miss tries them in order through ngx.re's "
              "cache of compiled patterns (kong.regex_cache_entries), compiling those it does not hold; at most P");

  table_builder<scenario, traffic_config> tr(t, "traffic", &scenario::traffic);
  GWSIM_FIELD(tr, rate_per_s, K::real, "per second", at_least(0),
              "mean request arrival rate (poisson, periodic; the rate during on periods in on_off)");
  GWSIM_FIELD(tr, mode, K::choice, "", any_number(),
              "arrival process: poisson (constant rate), on_off (bursts with exponential on and off periods) or "
              "periodic (one request every 1/rate_per_s seconds, as a fixed-rate load generator sends them)");
  GWSIM_FIELD(tr, on_s, K::duration, "seconds", above(0), "mean on period (on_off)");
  GWSIM_FIELD(tr, off_s, K::duration, "seconds", above(0), "mean off period (on_off)");
  GWSIM_FIELD(tr, off_rate_per_s, K::real, "per second", at_least(0), "arrival rate during off periods (on_off)");
  GWSIM_FIELD(tr, zipf_s, K::real, "", between(0, 10),
              "Zipf exponent of route popularity over the current routes (0 = uniform); not a duration");
  GWSIM_FIELD(tr, unique_key_fraction, K::real, "", between(0, 1),
              "share of requests whose match-cache key is new (an id in the path): they always miss the router's "
              "LRU cache and still take a slot in it; the rest repeat their route's key");
  GWSIM_FIELD(tr, no_route_fraction, K::real, "", between(0, 1),
              "share of requests aimed at no route (scanners, stale clients): each has a key never seen before, "
              "misses the match cache without taking a slot in it (Kong keeps misses in a separate negative "
              "cache), searches the whole router (match_no_route_cpu_s) and is answered 404 by the gateway "
              "itself, without the upstream; a 404 is an answer, not an error");
  GWSIM_FIELD(tr, client_timeout_s, K::duration, "seconds", above(0),
              "a request not answered by then counts as an error");
  GWSIM_FIELD(tr, upstream_latency_s, K::duration, "seconds", at_least(0),
              "off-CPU time a request waits for its upstream");
  GWSIM_FIELD(tr, upstream_on_workers, K::boolean, "", any_number(),
              "the upstream is served by the gateway's own workers, as the testbed's stub (a server block of the "
              "same nginx) is: each proxied request's upstream leg is a job of upstream_cpu_s on the worker behind "
              "the keepalive connection it goes out on (its worker's most recently freed one, or a new one, which "
              "an idle worker other than the opener accepts, else the worker with the fewest jobs before it), and waits for that worker's event loop (a build "
              "slice, a long match) like any other job; false: an external service, off the gateway's CPU");
  GWSIM_FIELD(tr, upstream_cpu_s, K::duration, "seconds", between(0, 10),
              "worker CPU of serving one upstream leg (upstream_on_workers; not part of plugin_cpu_s)");
  GWSIM_FIELD(tr, plugin_cpu_s, K::duration, "seconds", at_least(0), "worker CPU per request outside routing");
  GWSIM_FIELD(tr, match_hit_cpu_s, K::duration, "seconds", at_least(0),
              "worker CPU of a router match that hits the LRU cache");
  GWSIM_FIELD(tr, regex_compile_cpu_s, K::duration, "seconds", at_least(0),
              "worker CPU to compile one regex path that ngx.re's cache does not hold (PCRE compile and JIT; the "
              "testbed measures about 30 us)");
  GWSIM_FIELD(tr, regex_compile_ns_per_native_mib, K::real, "ns per MiB", between(0, 1e6),
              "extra CPU of each such compile per MiB of compiled-pattern code the worker holds (cached or "
              "awaiting finalizers): PCRE's JIT allocator walks, first fit, a free list that keeps a leftover per "
              "chunk of code held, so compiles slow as evicted patterns pile up; the steady-state analysis "
              "charges the compile without it (the pile has no steady state)");
  GWSIM_FIELD(tr, match_miss_cpu_s, K::duration, "seconds", at_least(0),
              "worker CPU of a router match that misses the cache (category scan)");
  GWSIM_FIELD(tr, match_no_route_cpu_s, K::duration, "seconds", at_least(0),
              "worker CPU of a router match that finds no route (traffic.no_route_fraction): Kong 2.x tries "
              "every category from the request's own on, each one's whole list, so it costs more than a miss "
              "that matches; the testbed measures it apart");
  GWSIM_FIELD(tr, request_garbage_bytes, K::size, "bytes per request", at_least(0), "Lua heap garbage per request");
  GWSIM_FIELD(tr, balance, K::choice, "", any_number(),
              "how requests spread over a pod's workers: random (reuseport hashing), round_robin (ideal) or "
              "connections (a client's persistent connections, each pinned to the worker that accepted it: a request "
              "takes the most recently freed idle one, a new one is opened when all are busy, as the testbed's client "
              "does)");
  GWSIM_FIELD(tr, client_connections, K::integer, "connections", between(1, 100000),
              "balance = connections: connections the client opens at the start; a new connection is accepted by "
              "the first idle worker (nginx's shared listening socket: the same worker keeps winning), else by the "
              "one with the shortest queue");

  table_builder<scenario, kong_config> k(t, "kong", &scenario::kong);
  GWSIM_FIELD(k, worker_consistency, K::choice, "", any_number(),
              "strict: the first request that sees a stale router rebuilds it under a mutex; "
              "eventual: a background timer rebuilds it");
  GWSIM_FIELD(k, worker_state_update_frequency_s, K::duration, "seconds", above(0),
              "eventual: period of the rebuild timer (Kong calls the period a frequency)");
  GWSIM_FIELD(k, db_update_frequency_s, K::duration, "seconds", above(0),
              "period at which each node polls the database for changes made through other nodes");
  GWSIM_FIELD(k, worker_event_delay_s, K::duration, "seconds", at_least(0),
              "propagation of a change to the other workers of the same node (worker events)");
  GWSIM_FIELD(k, build_yield_every, K::integer, "routes", between(0, 10'000'000),
              "a build yields to the event loop every this many routes; 0 = never (Kong < 2.7)");
  GWSIM_FIELD(k, yield_delay_s, K::duration, "seconds", at_least(0),
              "wall time from a build's yield to its next slice, the event loop free meanwhile: 0 for OpenResty's "
              "ngx.sleep(0); about 1 ms where the shortest real sleep stands in for it");
  GWSIM_FIELD(k, rebuild_timeout_s, K::duration, "seconds", above(0),
              "strict: how long a request waits for the rebuild mutex before it fails (pg_timeout)");
  GWSIM_FIELD(k, regex_cache_entries, K::integer, "patterns", between(0, 10'000'000),
              "lua_regex_cache_max_entries: compiled patterns ngx.re keeps per worker, least recently used out "
              "first (1024 in Kong 2.x; 0 keeps none). Fewer than routes.regex_paths: every miss compiles every "
              "regex path (Kong #7482)");

  table_builder<scenario, memory_config> m(t, "memory", &scenario::memory);
  GWSIM_FIELD(m, gc_pause, K::real, "percent", between(100, 1000),
              "LuaJIT setpause: a cycle starts when the heap reaches this % of its size after the last cycle");
  GWSIM_FIELD(m, gc_stepmul, K::real, "percent", between(100, 10'000),
              "LuaJIT setstepmul: collector work per allocated byte, in %");
  GWSIM_FIELD(m, gc_mark_ns_per_byte, K::real, "ns per byte", at_least(0), "CPU to traverse one live byte");
  GWSIM_FIELD(m, gc_sweep_ns_per_byte, K::real, "ns per byte", at_least(0), "CPU to sweep one byte, live or dead");
  GWSIM_FIELD(m, gc_free_ns_per_byte, K::real, "ns per byte", at_least(0),
              "CPU to free one dead byte, on top of sweeping it (it goes back to the allocator; the testbed "
              "measures 0.5-0.8 ns against about 0.2 ns to sweep a live byte)");
  GWSIM_FIELD(m, gc_mean_object_bytes, K::size, "bytes", between(8, 1'073'741'824),
              "mean size of a Lua object in the heap: LuaJIT paces its sweep per object (10 work units each), so "
              "larger objects sweep more bytes per allocated byte (the testbed measures about 150 B)");
  GWSIM_FIELD(m, baseline_heap_bytes, K::size, "bytes", at_least(0), "Lua heap of an idle worker");
  GWSIM_FIELD(m, router_bytes_per_route, K::size, "bytes per route", at_least(0),
              "live router per route, including its per-path objects");
  GWSIM_FIELD(m, build_garbage_per_route_bytes, K::size, "bytes per route", at_least(0),
              "transient garbage a build allocates per route");
  GWSIM_FIELD(m, build_held_per_route_bytes, K::size, "bytes per route", at_least(0),
              "of the build's garbage, what the build holds until it ends (the decoded configuration it reads "
              "before building from it): a collector cycle marking meanwhile keeps it one more cycle");
  GWSIM_FIELD(m, entity_cache_bytes_per_route, K::size, "bytes per route", at_least(0),
              "worker L1 entity cache a build fills, per route");
  GWSIM_FIELD(m, lru_slots, K::integer, "slots", between(1, 10'000'000),
              "router match cache slots (MATCH_LRUCACHE_SIZE)");
  GWSIM_FIELD(m, lru_slot_bytes, K::size, "bytes per slot", at_least(0), "an empty match cache, per slot");
  GWSIM_FIELD(m, lru_value_bytes, K::size, "bytes per entry", at_least(0), "one cached match");
  GWSIM_FIELD(m, non_heap_bytes, K::size, "bytes", at_least(0), "worker resident memory outside the Lua heap");
  GWSIM_FIELD(m, release_delay_s, K::duration, "seconds", at_least(0),
              "freed heap pages stay resident this long (the heap grows back into them first)");
  GWSIM_FIELD(m, first_touch_ns_per_byte, K::real, "ns per byte", between(0, 1000),
              "worker CPU per byte of memory it touches for the first time (a page fault and zeroing per page): the "
              "heap's growth beyond what its allocator holds (memory.release_delay_s), charged to the job that "
              "allocates; the testbed measures about 1 ns per byte");
  GWSIM_FIELD(m, regex_object_bytes, K::size, "bytes per pattern", at_least(0),
              "Lua heap of one compiled pattern in ngx.re's cache (its cdata, key string and cache entry); garbage "
              "when the cache evicts it");
  GWSIM_FIELD(m, regex_native_bytes, K::size, "bytes per pattern", at_least(0),
              "PCRE and JIT code of one compiled pattern, outside the Lua heap: an evicted pattern's is freed by "
              "its finalizer, when a collector cycle that found it dead ends");

  table_builder<scenario, cost_config> co(t, "cost", &scenario::cost);
  GWSIM_FIELD(co, read_ns_per_route, K::real, "ns per route", at_least(0),
              "worker CPU to decode one route's row while a build pages through the routes; runs between page "
              "queries, so requests are served in between in every Kong version");
  GWSIM_FIELD(co, build_ns_per_path, K::real, "ns per path", at_least(0),
              "linear CPU term of a full build: Router.new's per-route loops (marshall, categorise, index), which "
              "yield every kong.build_yield_every routes (Kong >= 2.7)");
  GWSIM_FIELD(co, build_ns_per_path_log, K::real, "ns per path per log2(paths)", at_least(0),
              "P log2 P CPU term of a full build: the sort of every path, one table.sort call that never yields");
  GWSIM_FIELD(co, prefix_sort_ns_per_path_log, K::real, "ns per path per log2(paths)", at_least(0),
              "a second sort that never yields, at the very end of a full build (Kong 2.x sorts its prefix paths "
              "by length once the routes are categorised), per P log2 P of all P paths; 0 = none");
  GWSIM_FIELD(co, incremental_ns_per_change, K::real, "ns per changed route", at_least(0),
              "CPU of the incremental strategy per changed route");
  GWSIM_FIELD(co, calibration, K::text, "", any_number(),
              "calibration file of measured router costs (gwsim_calibrate); each strategy takes the costs of its "
              "router design from it instead of the constants above; empty = the constants. Relative paths are "
              "relative to the working directory")
      .may_be_empty = true;

  table_builder<scenario, design_config> de(t, "design", &scenario::design);
  GWSIM_FIELD(de, shards, K::integer, "shards", between(1, 1'000'000),
              "sharded: route tables per worker, split by host; a change rebuilds only the shards it touches");
  GWSIM_FIELD(de, debounce_s, K::duration, "seconds", at_least(0),
              "coalescing, any strategy: a node releases a new version to its builders only after no change "
              "for this long (Istio: 0.1 s); 0 = at once");
  GWSIM_FIELD(de, debounce_max_s, K::duration, "seconds", above(0),
              "coalescing: a change waits at most this long for a quiet period (Istio: 10 s)");
  GWSIM_FIELD(de, min_interval_s, K::duration, "seconds", at_least(0),
              "at least this long between two released versions (APISIX router_rebuild_min_interval); 0 = none");
  GWSIM_FIELD(de, long_connection_s, K::duration, "seconds", at_least(0),
              "mean life of a long-lived stream (streaming gRPC, websocket): reload's old workers wait for "
              "the last stream open on them, shared_rcu's retired tables for the last stream started on them");
  GWSIM_FIELD(de, long_streams_per_worker, K::real, "streams", between(0, 1e6),
              "long-lived streams open on a worker on average (they start at this / long_connection_s per "
              "second); 0 = none");
  GWSIM_FIELD(de, worker_shutdown_timeout_s, K::duration, "seconds", at_least(0),
              "reload: nginx worker_shutdown_timeout, old workers are stopped after this; 0 = no limit");

  table_builder<scenario, admin_config> a(t, "admin", &scenario::admin);
  a.add_table_array("script", "scripted Admin API operations: an array of tables {at_s, kind, count}");
  GWSIM_FIELD(a, poisson_rate_per_s, K::real, "per second", between(0, 1000),
              "random single writes (no-op updates) at Poisson times");
  a.add_table_array("loops", "continuous admin loops: an array of tables {start_s, stop_s, interval_s}");

  table_builder<scenario, run_config> ru(t, "run", &scenario::run);
  GWSIM_FIELD(ru, duration_s, K::duration, "seconds", above(0), "simulated time");
  GWSIM_FIELD(ru, seed, K::seed, "", any_number(), "root seed of every random stream: same seed, same results");
  GWSIM_FIELD(ru, sample_interval_s, K::duration, "seconds", above(0), "period of the sampled time series").constraint =
      "<= run.duration_s, and at most 10,000,000 samples";
  return t;
}

std::vector<field<admin_op>> build_admin_op_fields() {
  std::vector<field<admin_op>> t;
  table_builder<admin_op, admin_op> b(t, "admin.script", nullptr);
  auto& at = GWSIM_FIELD(b, at_s, K::duration, "seconds", at_least(0), "when the operation starts");
  at.alias = "at";
  at.constraint = "<= run.duration_s; in time order (loaders sort the script)";
  GWSIM_FIELD(b, kind, K::choice, "", any_number(), "the Admin API operation");
  GWSIM_FIELD(b, count, K::integer, "operations", between(1, 1'000'000), "repetitions back to back (a batch)");
  return t;
}

std::vector<field<admin_loop>> build_admin_loop_fields() {
  std::vector<field<admin_loop>> t;
  table_builder<admin_loop, admin_loop> b(t, "admin.loops", nullptr);
  auto& start = GWSIM_FIELD(b, start_s, K::duration, "seconds", at_least(0), "when the loop's first operation starts");
  start.alias = "start";
  start.constraint = "<= run.duration_s";
  auto& stop = GWSIM_FIELD(b, stop_s, K::duration, "seconds", at_least(0),
                           "no operation starts after this; 0 = until the end of the run");
  stop.alias = "stop";
  stop.constraint = "0, or > start_s and <= run.duration_s";
  GWSIM_FIELD(b, interval_s, K::duration, "seconds", at_least(0.001),
              "between operations (create service, create route, list services, delete route, delete service)")
      .alias = "interval";
  return t;
}

#undef GWSIM_FIELD

constexpr std::array<section_info, 11> sections{{
    {"", "What the experiment is called and which rebuild strategy its workers use."},
    {"cluster", "Gateway pods: how many, their workers, and the pod memory outside the workers' Lua heaps."},
    {"database", "The configuration store (Postgres) every full rebuild pages through."},
    {"routes", "The size of the configuration."},
    {"traffic", "Proxy traffic: arrivals, route popularity and the cost of one request."},
    {"kong", "Kong settings that decide when and how routers are rebuilt."},
    {"memory", "Each worker's LuaJIT heap and collector, and what a router costs in it."},
    {"cost",
     "CPU of router builds: a full build of R routes and P paths costs read_ns_per_route * R + "
     "build_ns_per_path * P + build_ns_per_path_log * P * log2(P)."},
    {"design",
     "Parameters of router designs beyond Kong 2.x's: shards, coalescing of changes (a modifier on any "
     "strategy) and the draining of old workers after a reload."},
    {"admin", "The Admin API workload: a script, random writes and continuous loops."},
    {"run", "Length, seed and sampling of the run."},
}};

bool is_section(std::string_view name) {
  return !name.empty() &&
         std::any_of(sections.begin(), sections.end(), [&](const section_info& s) { return s.name == name; });
}

/// Calls f(items, element_fields) for the table_array field `f` (admin.script
/// or admin.loops), so that the two arrays are dispatched in one place.
template <class Scenario, class F>
void with_table_array(Scenario& s, const field_info& f, F&& visit) {
  if (f.key == "script") {
    visit(s.admin.script, admin_op_fields());
  } else {
    visit(s.admin.loops, admin_loop_fields());
  }
}

// ---------------------------------------------------------------------------
// Reading: every format is turned into `input`, then converted per kind.

struct input {
  enum class type { boolean, integer, unsigned_integer, floating, string, table, array, other };
  type t = type::other;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0.0;
  std::string s;
  std::string_view other_name = "a value of another type";

  bool is_number() const { return t == type::integer || t == type::unsigned_integer || t == type::floating; }
  double number() const {
    if (t == type::integer) return static_cast<double>(i);
    if (t == type::unsigned_integer) return static_cast<double>(u);
    return d;
  }
  std::string describe() const {
    switch (t) {
      case type::boolean:
        return b ? "boolean true" : "boolean false";
      case type::integer:
        return "integer " + std::to_string(i);
      case type::unsigned_integer:
        return "integer " + std::to_string(u);
      case type::floating:
        return "number " + format_number(d);
      case type::string:
        return "string " + quote_text(s);
      case type::table:
        return "a table";
      case type::array:
        return "an array";
      case type::other:
        break;
    }
    return std::string(other_name);
  }
};

input string_input(std::string_view text) {
  input in;
  in.t = input::type::string;
  in.s = std::string(text);
  return in;
}

std::string expected_text(const field_info& f) {
  std::string unit = f.unit.empty() ? std::string{} : " (" + std::string(f.unit) + ")";
  switch (f.kind) {
    case field_kind::integer:
      return "an integer" + unit;
    case field_kind::seed:
      return "a non-negative integer";
    case field_kind::real:
      return "a number" + unit;
    case field_kind::duration:
      return "a duration (a number of seconds or a string such as \"250ms\")";
    case field_kind::size:
      return "a size (a number of bytes or a string such as \"4GiB\")";
    case field_kind::choice:
      return "a string, " + one_of(f.choices).substr(std::string_view("must be ").size());
    case field_kind::text:
      return "a string";
    case field_kind::boolean:
      return "true or false";
    case field_kind::table_array:
      return "an array of tables";
  }
  return "a value";
}

[[noreturn]] void type_error(const field_info& f, const input& in, const std::string& path) {
  throw scenario_error(path, path + ": expected " + expected_text(f) + ", got " + in.describe());
}

/// 2^53: the largest range in which every integer is an exact double.
constexpr double exact_integer_limit = 9007199254740992.0;

bool integral(double d) {
  return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= exact_integer_limit;
}

field_value convert(const field_info& f, const input& in, const std::string& path) {
  using T = input::type;
  switch (f.kind) {
    case field_kind::integer: {
      std::int64_t v = 0;
      if (in.t == T::integer) {
        v = in.i;
      } else if (in.t == T::unsigned_integer) {
        v = in.u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(in.u);
      } else if (in.t == T::floating && integral(in.d)) {
        v = static_cast<std::int64_t>(in.d);
      } else {
        type_error(f, in, path);
      }
      if (v < INT_MIN || v > INT_MAX) {
        throw scenario_error(
            path, path + " = " + in.describe().substr(in.describe().find(' ') + 1) + " is invalid: " + requirement(f));
      }
      return v;
    }
    case field_kind::seed: {
      if (in.t == T::unsigned_integer) return in.u;
      if (in.t == T::integer && in.i >= 0) return static_cast<std::uint64_t>(in.i);
      if (in.t == T::floating && integral(in.d) && in.d >= 0) return static_cast<std::uint64_t>(in.d);
      if (in.t == T::string) {
        std::uint64_t v = 0;
        const char* const end = in.s.data() + in.s.size();
        const auto [ptr, ec] = std::from_chars(in.s.data(), end, v);
        if (!in.s.empty() && ec == std::errc{} && ptr == end) return v;
      }
      if (in.t == T::integer || in.t == T::floating) {
        throw scenario_error(
            path, path + " = " + in.describe().substr(in.describe().find(' ') + 1) + " is invalid: " + requirement(f));
      }
      type_error(f, in, path);
    }
    case field_kind::real:
      if (!in.is_number()) type_error(f, in, path);
      return in.number();
    case field_kind::duration:
    case field_kind::size:
      if (in.is_number()) return in.number();
      if (in.t != T::string) type_error(f, in, path);
      try {
        return f.kind == field_kind::duration ? parse_duration_s(in.s, path) : parse_size_bytes(in.s, path);
      } catch (const std::invalid_argument& e) {
        throw scenario_error(path, e.what());
      }
    case field_kind::choice:
      if (in.t != T::string) type_error(f, in, path);
      find_choice(f.choices, in.s, path, requirement(f));
      return in.s;
    case field_kind::text:
      if (in.t != T::string) type_error(f, in, path);
      return in.s;
    case field_kind::boolean:
      if (in.t != T::boolean) type_error(f, in, path);
      return in.b;
    case field_kind::table_array:
      break;
  }
  type_error(f, in, path);
}

/// A position prefix per dotted path, so that validate()'s errors can point
/// into the file.
using position_map = std::map<std::string, std::string, std::less<>>;

struct toml_doc {
  using node = toml::node;

  static std::string where(const toml::source_region& r) {
    if (!r.begin || !r.path || r.path->empty()) return {};
    return *r.path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
  }
  static std::string where(const node& n) { return where(n.source()); }
  static bool is_table(const node& n) { return n.is_table(); }
  static bool is_array(const node& n) { return n.is_array(); }

  template <class F>
  static void each_entry(const node& n, F&& f) {
    for (auto&& [k, v] : *n.as_table()) f(k.str(), where(k.source()), v);
  }
  template <class F>
  static void each_element(const node& n, F&& f) {
    for (const node& e : *n.as_array()) f(e);
  }

  static input read(const node& n) {
    input in;
    using T = input::type;
    switch (n.type()) {
      case toml::node_type::boolean:
        in.t = T::boolean;
        in.b = n.as_boolean()->get();
        break;
      case toml::node_type::integer:
        in.t = T::integer;
        in.i = n.as_integer()->get();
        break;
      case toml::node_type::floating_point:
        in.t = T::floating;
        in.d = n.as_floating_point()->get();
        break;
      case toml::node_type::string:
        in.t = T::string;
        in.s = n.as_string()->get();
        break;
      case toml::node_type::table:
        in.t = T::table;
        break;
      case toml::node_type::array:
        in.t = T::array;
        break;
      case toml::node_type::date:
        in.other_name = "a date";
        break;
      case toml::node_type::time:
        in.other_name = "a time of day";
        break;
      case toml::node_type::date_time:
        in.other_name = "a date-time";
        break;
      case toml::node_type::none:
        break;
    }
    return in;
  }
};

struct json_doc {
  using node = nlohmann::json;

  static std::string where(const node&) { return {}; }
  static bool is_table(const node& n) { return n.is_object(); }
  static bool is_array(const node& n) { return n.is_array(); }

  template <class F>
  static void each_entry(const node& n, F&& f) {
    for (auto it = n.begin(); it != n.end(); ++it) f(std::string_view(it.key()), std::string{}, it.value());
  }
  template <class F>
  static void each_element(const node& n, F&& f) {
    for (const node& e : n) f(e);
  }

  static input read(const node& n) {
    input in;
    using T = input::type;
    using V = nlohmann::json::value_t;
    switch (n.type()) {
      case V::boolean:
        in.t = T::boolean;
        in.b = n.get<bool>();
        break;
      case V::number_integer:
        in.t = T::integer;
        in.i = n.get<std::int64_t>();
        break;
      case V::number_unsigned:
        in.t = T::unsigned_integer;
        in.u = n.get<std::uint64_t>();
        break;
      case V::number_float:
        in.t = T::floating;
        in.d = n.get<double>();
        break;
      case V::string:
        in.t = T::string;
        in.s = n.get<std::string>();
        break;
      case V::object:
        in.t = T::table;
        break;
      case V::array:
        in.t = T::array;
        break;
      case V::null:
        in.other_name = "null";
        break;
      case V::binary:
      case V::discarded:
        break;
    }
    return in;
  }
};

std::vector<std::string> keys_in(std::string_view section) {
  std::vector<std::string> keys;
  for (const auto& f : scenario_fields()) {
    if (f.section == section) keys.emplace_back(f.key);
  }
  return keys;
}

std::vector<std::string> scenario_candidates() {
  std::vector<std::string> out;
  for (const auto& s : sections) {
    if (!s.name.empty()) out.emplace_back(s.name);
  }
  for (const auto& f : scenario_fields()) out.push_back(f.dotted());
  return out;
}

[[noreturn]] void unknown_key(const std::string& path, const std::string& where, std::string_view table,
                              const std::vector<std::string>& candidates, const std::vector<std::string>& known) {
  std::string msg = where + "unknown key " + path;
  if (const auto s = suggest(path, candidates)) {
    msg += ": did you mean " + *s + "?";
  } else {
    msg += " in " + std::string(table) + " (known keys: " + join(known, ", ") + ")";
  }
  throw scenario_error(path, msg);
}

template <class Doc>
class reader {
 public:
  using node = typename Doc::node;

  explicit reader(position_map* positions) : positions_(positions) {}

  void read_root(const node& root, scenario& s) {
    if (!Doc::is_table(root)) {
      throw scenario_error(
          "", Doc::where(root) + "a scenario must be a table of sections, got " + Doc::read(root).describe());
    }
    Doc::each_entry(root, [&](std::string_view key, const std::string& key_where, const node& v) {
      const std::string path(key);
      if (is_section(key)) {
        if (!Doc::is_table(v)) {
          throw scenario_error(path, Doc::where(v) + path + ": expected a table, got " + Doc::read(v).describe());
        }
        read_section(v, key, s);
        return;
      }
      const field<scenario>* f = find_field(path);
      if (f == nullptr) {
        std::vector<std::string> known = keys_in("");
        for (const auto& sec : sections) {
          if (!sec.name.empty()) known.emplace_back(sec.name);
        }
        unknown_key(path, key_where, "the top level", scenario_candidates(), known);
      }
      read_value(*f, v, path, s);
    });
  }

  template <class Elem>
  void read_array(const node& arr, const std::string& path, std::vector<Elem>& out,
                  const std::vector<field<Elem>>& fields) {
    out.clear();
    std::size_t index = 0;
    Doc::each_element(arr, [&](const node& e) {
      const std::string elem_path = path + "[" + std::to_string(index++) + "]";
      if (!Doc::is_table(e)) {
        throw scenario_error(elem_path,
                             Doc::where(e) + elem_path + ": expected a table, got " + Doc::read(e).describe());
      }
      Elem elem{};
      std::vector<std::string_view> given(fields.size());
      Doc::each_entry(e, [&](std::string_view key, const std::string& key_where, const node& v) {
        const auto it = std::find_if(fields.begin(), fields.end(), [&](const field<Elem>& f) {
          return f.key == key || (!f.alias.empty() && f.alias == key);
        });
        if (it == fields.end()) {
          std::vector<std::string> candidates;
          std::vector<std::string> known;
          for (const auto& f : fields) {
            candidates.push_back(elem_path + "." + std::string(f.key));
            known.emplace_back(f.key);
            if (!f.alias.empty()) {
              candidates.push_back(elem_path + "." + std::string(f.alias));
              known.back() += " (or " + std::string(f.alias) + ")";
            }
          }
          unknown_key(elem_path + "." + std::string(key), key_where, elem_path, candidates, known);
        }
        const auto i = static_cast<std::size_t>(it - fields.begin());
        const std::string field_path = elem_path + "." + std::string(it->key);
        if (!given[i].empty()) {
          throw scenario_error(field_path, key_where + field_path + " is given twice (as " + std::string(given[i]) +
                                               " and as " + std::string(key) + ")");
        }
        given[i] = key;
        read_value(*it, v, field_path, elem);
      });
      out.push_back(std::move(elem));
    });
  }

 private:
  void read_section(const node& table, std::string_view section, scenario& s) {
    Doc::each_entry(table, [&](std::string_view key, const std::string& key_where, const node& v) {
      const std::string path = std::string(section) + "." + std::string(key);
      const field<scenario>* f = find_field(path);
      if (f == nullptr)
        unknown_key(path, key_where, "[" + std::string(section) + "]", scenario_candidates(), keys_in(section));
      if (f->kind != field_kind::table_array) {
        read_value(*f, v, path, s);
        return;
      }
      if (!Doc::is_array(v)) {
        throw scenario_error(path,
                             Doc::where(v) + path + ": expected an array of tables, got " + Doc::read(v).describe());
      }
      note(path, Doc::where(v));
      with_table_array(s, *f, [&](auto& items, const auto& fields) { read_array(v, path, items, fields); });
    });
  }

  template <class Owner>
  void read_value(const field<Owner>& f, const node& v, const std::string& path, Owner& owner) {
    try {
      f.set(owner, convert(f, Doc::read(v), path));
    } catch (const scenario_error& e) {
      throw scenario_error(e.field(), Doc::where(v) + e.what());
    }
    note(path, Doc::where(v));
  }

  void note(const std::string& path, std::string where) {
    if (positions_ != nullptr && !where.empty()) (*positions_)[path] = std::move(where);
  }

  position_map* positions_;
};

/// Stable sort by time (NaN last, for validate() to report); positions of
/// moved elements follow them.
void sort_script(std::vector<admin_op>& script, position_map* positions) {
  std::vector<std::size_t> order(script.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto earlier = [&](std::size_t a, std::size_t b) {
    const double ta = script[a].at_s;
    const double tb = script[b].at_s;
    if (std::isnan(ta)) return false;
    if (std::isnan(tb)) return true;
    return ta < tb;
  };
  std::stable_sort(order.begin(), order.end(), earlier);
  if (std::is_sorted(order.begin(), order.end())) return;
  std::vector<admin_op> sorted;
  sorted.reserve(script.size());
  std::vector<std::size_t> new_index(script.size());
  for (std::size_t j = 0; j < order.size(); ++j) {
    sorted.push_back(script[order[j]]);
    new_index[order[j]] = j;
  }
  script = std::move(sorted);
  if (positions == nullptr) return;
  constexpr std::string_view prefix = "admin.script[";
  position_map moved;
  for (auto& [path, where] : *positions) {
    const auto close = path.find(']');
    if (!path.starts_with(prefix) || close == std::string::npos) {
      moved.emplace(path, std::move(where));
      continue;
    }
    const std::size_t old = std::stoul(path.substr(prefix.size(), close - prefix.size()));
    moved.emplace(std::string(prefix) + std::to_string(new_index[old]) + path.substr(close), std::move(where));
  }
  *positions = std::move(moved);
}

void validate_with_positions(const scenario& s, const position_map& positions) {
  try {
    validate(s);
  } catch (const scenario_error& e) {
    const auto it = positions.find(e.field());
    if (it == positions.end()) throw;
    throw scenario_error(e.field(), it->second + e.what());
  }
}

// ---------------------------------------------------------------------------
// Writing

nlohmann::json to_json(const field_value& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

template <class Owner>
nlohmann::json table_to_json(const Owner& o, const std::vector<field<Owner>>& fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : fields) j[std::string(f.key)] = to_json(f.get(o));
  return j;
}

std::string toml_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  std::array<char, 400> buf{};
  const double a = std::fabs(d);
  const auto fmt = (a == 0.0 || (a >= 1e-4 && a < 1e16)) ? std::chars_format::fixed : std::chars_format::scientific;
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d, fmt);
  std::string out(buf.data(), ec == std::errc{} ? ptr : buf.data());
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

/// "4 GiB" or "4 ms" when that reads back exactly and says more than the
/// bare number would; else the number.
std::string toml_measure(const field_info& f, double v) {
  const bool duration = f.kind == field_kind::duration;
  const std::string human = duration ? format_duration(v) : format_size(v);
  if (std::isfinite(v) && !human.ends_with(duration ? " s" : " B")) {
    try {
      if ((duration ? parse_duration_s(human, {}) : parse_size_bytes(human, {})) == v) return quote_text(human);
    } catch (const std::invalid_argument&) {
    }
  }
  return toml_float(v);
}

std::string toml_value(const field_info& f, const field_value& v) {
  switch (f.kind) {
    case field_kind::integer:
      return std::to_string(std::get<std::int64_t>(v));
    case field_kind::seed: {
      const std::uint64_t u = std::get<std::uint64_t>(v);
      return u <= static_cast<std::uint64_t>(INT64_MAX) ? std::to_string(u) : quote_text(std::to_string(u));
    }
    case field_kind::real:
      return toml_float(std::get<double>(v));
    case field_kind::duration:
    case field_kind::size:
      return toml_measure(f, std::get<double>(v));
    case field_kind::choice:
    case field_kind::text:
      return quote_text(std::get<std::string>(v));
    case field_kind::boolean:
      return std::get<bool>(v) ? "true" : "false";
    case field_kind::table_array:
      break;
  }
  return {};
}

template <class Elem>
std::string toml_table_array(std::string_view key, const std::vector<Elem>& items,
                             const std::vector<field<Elem>>& fields) {
  std::string out(key);
  if (items.empty()) return out + " = []\n";
  out += " = [\n";
  for (const Elem& e : items) {
    out += "  {";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      out += i == 0 ? " " : ", ";
      out.append(fields[i].key).append(" = ").append(toml_value(fields[i], fields[i].get(e)));
    }
    out += " },\n";
  }
  return out + "]\n";
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string range_text(const numeric_range& r) {
  const bool lo = std::isfinite(r.min);
  const bool hi = std::isfinite(r.max);
  if (lo && hi) {
    return std::string("in ") + (r.min_open ? "(" : "[") + format_number(r.min) + ", " + format_number(r.max) +
           (r.max_open ? ")" : "]");
  }
  if (lo) return (r.min_open ? "> " : ">= ") + format_number(r.min);
  if (hi) return (r.max_open ? "< " : "<= ") + format_number(r.max);
  return {};
}

std::string allowed_markdown(const field_info& f) {
  std::string out;
  switch (f.kind) {
    case field_kind::integer:
      out = "integer " + range_text(f.range);
      break;
    case field_kind::seed:
      out = "integer in [0, 2^64 - 1]";
      break;
    case field_kind::real:
    case field_kind::duration:
    case field_kind::size:
      out = range_text(f.range);
      break;
    case field_kind::choice:
    case field_kind::text:
      if (f.choices.empty()) {
        out = "non-empty text";
      } else {
        for (std::size_t i = 0; i < f.choices.size(); ++i) out += (i == 0 ? "`" : ", `") + f.choices[i] + "`";
      }
      break;
    case field_kind::boolean:
      out = "`true`, `false`";
      break;
    case field_kind::table_array:
      out = "array of tables, below";
      break;
  }
  if (!f.constraint.empty()) out += (out.empty() ? "" : "; ") + std::string(f.constraint);
  return out;
}

std::string default_markdown(const field_info& f, const std::optional<field_value>& v) {
  if (!v) return "`[]`";
  switch (f.kind) {
    case field_kind::duration:
      return "`" + format_duration(std::get<double>(*v)) + "`";
    case field_kind::size:
      return "`" + format_size(std::get<double>(*v)) + "`";
    default:
      return "`" + format_field_value(f, *v) + "`";
  }
}

template <class Owner>
void markdown_rows(std::string& out, const std::vector<field<Owner>>& fields, const Owner& defaults,
                   std::string_view path_prefix) {
  out += "| key | default | unit | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& f : fields) {
    const std::string path = path_prefix.empty() ? f.dotted() : std::string(path_prefix) + std::string(f.key);
    std::optional<field_value> v;
    if (f.kind != field_kind::table_array) v = f.get(defaults);
    std::string doc(f.doc);
    if (!f.alias.empty()) doc += " (also accepted as `" + std::string(f.alias) + "`)";
    out += "| `" + path + "` | " + default_markdown(f, v) + " | " + std::string(f.unit) + " | " +
           markdown_cell(allowed_markdown(f)) + " | " + markdown_cell(doc) + " |\n";
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

std::size_t choice_index(std::span<const std::string_view> names, std::string_view text, std::string_view field) {
  return find_choice(names, text, field, one_of(names));
}

std::string field_info::dotted() const {
  if (section.empty()) return std::string(key);
  return std::string(section) + "." + std::string(key);
}

const std::vector<field<scenario>>& scenario_fields() {
  static const std::vector<field<scenario>> table = build_scenario_fields();
  return table;
}

const std::vector<field<admin_op>>& admin_op_fields() {
  static const std::vector<field<admin_op>> table = build_admin_op_fields();
  return table;
}

const std::vector<field<admin_loop>>& admin_loop_fields() {
  static const std::vector<field<admin_loop>> table = build_admin_loop_fields();
  return table;
}

const field<scenario>* find_field(std::string_view dotted) {
  const auto [section, key] = split_last(dotted);
  for (const auto& f : scenario_fields()) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

std::span<const section_info> scenario_sections() {
  return sections;
}

std::string requirement(const field_info& f) {
  const std::string unit = f.unit.empty() ? std::string{} : " (" + std::string(f.unit) + ")";
  const std::string range = range_text(f.range);
  switch (f.kind) {
    case field_kind::integer:
      return "must be an integer " + range + unit;
    case field_kind::seed:
      return "must be an integer in [0, 18446744073709551615]";
    case field_kind::real:
    case field_kind::duration:
    case field_kind::size:
      return "must be finite" + (range.empty() ? std::string{} : " and " + range) + unit;
    case field_kind::choice:
      return one_of(f.choices);
    case field_kind::text:
      if (!f.choices.empty()) return one_of(f.choices);
      return f.may_be_empty ? "must be text without control characters" : "must be non-empty text without control characters";
    case field_kind::boolean:
      return "must be true or false";
    case field_kind::table_array:
      return "must be an array of tables";
  }
  return {};
}

std::string format_field_value(const field_info&, const field_value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return format_number(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return quote_text(v);
        } else {
          return std::to_string(v);
        }
      },
      value);
}

std::string check_field(const field_info& f, const field_value& value, std::string_view path) {
  bool ok = true;
  switch (f.kind) {
    case field_kind::integer:
      ok = f.range.contains(static_cast<double>(std::get<std::int64_t>(value)));
      break;
    case field_kind::real:
    case field_kind::duration:
    case field_kind::size: {
      const double d = std::get<double>(value);
      ok = std::isfinite(d) && f.range.contains(d);
      break;
    }
    case field_kind::choice:
    case field_kind::text: {
      const std::string& s = std::get<std::string>(value);
      if (!f.choices.empty()) {
        ok = std::find(f.choices.begin(), f.choices.end(), s) != f.choices.end();
      } else {
        ok = (f.may_be_empty || !s.empty()) && std::none_of(s.begin(), s.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u < 0x20 || u == 0x7f;
        });
      }
      break;
    }
    case field_kind::seed:
    case field_kind::boolean:
    case field_kind::table_array:
      break;
  }
  if (ok) return {};
  return std::string(path) + " = " + format_field_value(f, value) + " is invalid: " + requirement(f);
}

scenario scenario_from_toml(std::string_view text, std::string_view source_name) {
  const std::string source = source_name.empty() ? std::string("<string>") : std::string(source_name);
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    std::string where = toml_doc::where(e.source());
    if (where.empty()) where = source + ": ";
    throw scenario_error("", where + std::string(e.description()));
  }
  scenario s;
  position_map positions;
  reader<toml_doc>(&positions).read_root(root, s);
  sort_script(s.admin.script, &positions);
  validate_with_positions(s, positions);
  return s;
}

scenario scenario_from_json(const nlohmann::json& j) {
  scenario s;
  reader<json_doc>(nullptr).read_root(j, s);
  sort_script(s.admin.script, nullptr);
  validate(s);
  return s;
}

scenario load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open scenario file " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read scenario file " + path);
  const std::string text = buffer.str();

  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (ext == ".toml") return scenario_from_toml(text, path);
  if (ext != ".json") {
    throw scenario_error("", path + ": unknown scenario file type \"" + ext + "\": expected .toml or .json");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Position from the byte offset; the message after nlohmann's own prefix.
    const std::size_t upto = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(upto), '\n');
    const auto line_start = text.rfind('\n', upto == 0 ? 0 : upto - 1);
    const std::size_t column = line_start == std::string::npos || upto == 0 ? upto + 1 : upto - line_start;
    std::string what = e.what();
    if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    throw scenario_error("", path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
  }
  try {
    return scenario_from_json(j);
  } catch (const scenario_error& e) {
    throw scenario_error(e.field(), path + ": " + e.what());
  }
}

nlohmann::json scenario_to_json(const scenario& s) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : scenario_fields()) {
    nlohmann::json& target = f.section.empty() ? j : j[std::string(f.section)];
    if (f.kind != field_kind::table_array) {
      target[std::string(f.key)] = to_json(f.get(s));
      continue;
    }
    nlohmann::json items = nlohmann::json::array();
    with_table_array(s, f, [&](const auto& elems, const auto& fields) {
      for (const auto& e : elems) items.push_back(table_to_json(e, fields));
    });
    target[std::string(f.key)] = std::move(items);
  }
  return j;
}

std::string scenario_to_toml(const scenario& s) {
  std::string out;
  std::string_view current;
  for (const auto& f : scenario_fields()) {
    if (f.section != current) {
      current = f.section;
      out.append("\n[").append(current).append("]\n");
    }
    if (f.kind == field_kind::table_array) {
      with_table_array(s, f,
                       [&](const auto& elems, const auto& fields) { out += toml_table_array(f.key, elems, fields); });
      continue;
    }
    out.append(f.key).append(" = ").append(toml_value(f, f.get(s))).append("\n");
  }
  return out;
}

void apply_override(scenario& s, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string_view key = trim(assignment.substr(0, eq));
  if (eq == std::string_view::npos || key.empty()) {
    throw scenario_error("", "override " + quote_text(assignment) + " is not section.key=value");
  }
  const std::string_view text = trim(assignment.substr(eq + 1));

  // The value as TOML ("v = <text>"), or else the bare text as a string.
  std::optional<toml::table> doc;
  try {
    std::string line = "v = ";
    line.append(text).append("\n");
    toml::table t = toml::parse(line);
    if (t.size() == 1 && t.contains("v")) doc = std::move(t);
  } catch (const toml::parse_error&) {
  }
  const toml::node* node = doc ? doc->get("v") : nullptr;
  const auto scalar = [&](const field_info& f) {
    input in = node != nullptr ? toml_doc::read(*node) : string_input(text);
    const bool wants_text = f.kind == field_kind::text || f.kind == field_kind::choice;
    if ((wants_text && in.t != input::type::string) || in.t == input::type::other) in = string_input(text);
    return in;
  };

  // admin.script[2].count=5: one element's key.
  if (const auto open = key.find('['); open != std::string_view::npos) {
    const auto close = key.find(']', open);
    const std::string array_path(key.substr(0, open));
    const field<scenario>* af = find_field(array_path);
    std::size_t index = 0;
    const std::string_view index_text =
        close == std::string_view::npos ? std::string_view{} : key.substr(open + 1, close - open - 1);
    const auto [ptr, ec] = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
    if (af == nullptr || af->kind != field_kind::table_array || close == std::string_view::npos || index_text.empty() ||
        ec != std::errc{} || ptr != index_text.data() + index_text.size() || close + 1 >= key.size() ||
        key[close + 1] != '.') {
      throw scenario_error(std::string(key), "override " + quote_text(assignment) +
                                                 ": expected admin.script[N].key=value or admin.loops[N].key=value");
    }
    const std::string_view elem_key = key.substr(close + 2);
    const std::string elem_path(key.substr(0, close + 1));
    const auto apply = [&](auto& items, const auto& fields) {
      if (index > items.size()) {
        throw scenario_error(elem_path, elem_path + ": no such element; " + array_path + " has " +
                                            std::to_string(items.size()) + " (index " + std::to_string(items.size()) +
                                            " appends one)");
      }
      const auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) {
        return f.key == elem_key || (!f.alias.empty() && f.alias == elem_key);
      });
      if (it == fields.end()) {
        std::vector<std::string> candidates;
        std::vector<std::string> known;
        for (const auto& f : fields) {
          candidates.push_back(elem_path + "." + std::string(f.key));
          known.emplace_back(f.key);
        }
        unknown_key(std::string(key), "", elem_path, candidates, known);
      }
      const std::string path = elem_path + "." + std::string(it->key);
      const field_value v = convert(*it, scalar(*it), path);
      if (index == items.size()) items.emplace_back();
      it->set(items[index], v);
    };
    with_table_array(s, *af, apply);
    return;
  }

  const std::string path(key);
  const field<scenario>* f = find_field(path);
  if (f == nullptr) {
    const auto [section, k] = split_last(path);
    unknown_key(path, "", section.empty() ? "the top level" : "[" + std::string(section) + "]", scenario_candidates(),
                keys_in(section));
  }
  if (f->kind == field_kind::table_array) {
    if (node == nullptr || !node->is_array()) {
      throw scenario_error(path, path +
                                     ": expected an array of tables such as [{at = \"30s\", kind = \"noop\"}], got " +
                                     (node != nullptr ? toml_doc::read(*node).describe() : quote_text(text)));
    }
    with_table_array(s, *f, [&](auto& items, const auto& fields) {
      reader<toml_doc>(nullptr).read_array(*node, path, items, fields);
    });
    sort_script(s.admin.script, nullptr);
    return;
  }
  f->set(s, convert(*f, scalar(*f), path));
}

std::string field_reference_markdown() {
  std::string out;
  const scenario defaults;
  for (const section_info& sec : sections) {
    out += sec.name.empty() ? "### Top level\n\n" : "### `[" + std::string(sec.name) + "]`\n\n";
    out += std::string(sec.doc) + "\n\n";
    std::vector<field<scenario>> rows;
    for (const auto& f : scenario_fields()) {
      if (f.section == sec.name) rows.push_back(f);
    }
    markdown_rows(out, rows, defaults, {});
    out += "\n";
    if (sec.name == "admin") {
      out += "#### `[[admin.script]]`: one element of `admin.script`\n\n";
      markdown_rows(out, admin_op_fields(), admin_op{}, "admin.script[].");
      out += "\n#### `[[admin.loops]]`: one element of `admin.loops`\n\n";
      markdown_rows(out, admin_loop_fields(), admin_loop{}, "admin.loops[].");
      out += "\n";
    }
  }
  out.pop_back();  // one trailing newline
  return out;
}

}  // namespace gwsim::gateway
