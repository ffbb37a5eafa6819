#pragma once
/// A gateway experiment as plain data.
///
/// One Scenario describes a cluster of gateway pods, its configuration store,
/// its traffic, its admin workload, the rebuild strategy and the memory model.
/// It converts to and from TOML, JSON and Python dicts (scenario_io.hpp) and
/// is validated in exactly one place (validate()). Units are SI throughout:
/// times in seconds, sizes in bytes, rates per second; the TOML/JSON forms
/// also accept "250ms"-style durations and "4GiB"-style sizes.

#include <cstdint>
#include <string>
#include <vector>

namespace gwsim::gateway {

/// How a worker learns that its router is stale and rebuilds it (Kong's
/// `worker_consistency`).
enum class consistency {
  strict,    ///< the first request that sees a stale router rebuilds it, synchronously, under a mutex
  eventual,  ///< a timer every worker_state_update_frequency rebuilds in the background
};

/// What a respawned worker does before its router is built.
enum class respawn_policy {
  build_before_serving,      ///< Kong >= 3.1: build in init_worker, then accept requests
  serve_errors_until_built,  ///< Kong < 3.1: answer 404 until the first rebuild timer
};

/// What a worker's Lua heap holds when the run starts.
enum class initial_heap {
  /// Long-running workers: the collector has long since freed the garbage of
  /// the build that made their router; the heap is live data only.
  collected,
  /// A pod that has just started (a rollout, a test gateway): every worker
  /// has just built its router from every route, and what that build
  /// allocated and the collector had not yet freed while it ran is still in
  /// the heap, with the collector's pacing where the build left it.
  just_built,
};

enum class arrival_mode {
  poisson,   ///< constant rate
  on_off,    ///< alternating on/off periods (bursts), exponential durations
  periodic,  ///< one request every 1/rate seconds (a fixed-rate load generator such as wrk2's)
};

/// How nginx spreads connections over workers.
enum class balancing {
  random,       ///< each request to a uniformly random worker (reuseport hashing)
  round_robin,  ///< perfect balance (an idealisation, for comparison)
  /// A client's pool of persistent connections, each pinned to the worker
  /// that accepted it; a request takes the most recently freed idle one and
  /// a new one is opened only when all are busy (the testbed's client).
  connections,
};

struct cluster_config {
  int nodes = 1;                                   ///< gateway pods
  int workers_per_node = 4;                        ///< nginx_worker_processes
  double pod_memory_limit_bytes = 4.0 * (1 << 30);  ///< cgroup limit per pod
  double master_memory_bytes = 64.0 * (1 << 20);   ///< nginx master process
  int mem_cache_dicts = 2;                         ///< kong_db_cache and kong_core_db_cache
  double mem_cache_size_bytes = 128.0 * (1 << 20);  ///< each shared dict, counted once per pod
  double fixed_zones_bytes = 16.0 * (1 << 20);     ///< other lua_shared_dicts
  double respawn_delay_s = 1.0;                    ///< master notices the death and forks
  double cpu_cores = 0.0;                          ///< cores the pod's workers share; 0 = one per worker
  double build_contention = 0.0;                   ///< extra CPU of a build per build beside it (cache, memory bus)
  respawn_policy respawn = respawn_policy::serve_errors_until_built;
  initial_heap start_heap = initial_heap::collected;  ///< the workers' heaps at time 0
};

struct database_config {
  int connections = 8;           ///< concurrent queries the database serves
  int page_size = 1000;          ///< routes per page read during a rebuild
  double page_latency_s = 0.004;  ///< wall time of one page query, unloaded
  double page_cpu_s = 0.002;      ///< database CPU per page (its utilisation)
  double poll_query_s = 0.001;    ///< a db_update_frequency poll of the config version
};

struct routes_config {
  int routes = 50'000;
  int services = 50'000;
  double paths_per_route = 1.0;  ///< paths split per route by the build
  /// Distinct regex paths among the P paths: Kong 2.x tries them in order,
  /// through ngx.re's cache of compiled patterns, on every match-cache miss.
  int regex_paths = 0;
};

struct traffic_config {
  double rate_per_s = 200.0;          ///< mean arrival rate (Poisson mode; the on-rate in on_off mode)
  arrival_mode mode = arrival_mode::poisson;
  double on_s = 10.0;                 ///< mean on period (on_off)
  double off_s = 10.0;                ///< mean off period (on_off)
  double off_rate_per_s = 0.0;        ///< arrival rate during off periods
  double zipf_s = 1.0;                ///< route popularity exponent over current routes
  /// Share of requests whose match-cache key (method, host, URI, headers) is
  /// new: an id in the path, a wildcard host's random name. They always miss
  /// and still take a cache slot. The rest repeat their route's key.
  double unique_key_fraction = 0.0;
  /// Share of requests aimed at no route (scanners, stale clients, typos).
  /// Each has a key never seen before: it misses the match cache, searches
  /// the whole router (match_no_route_cpu_s) and is answered 404 by the
  /// gateway itself, without the upstream.
  double no_route_fraction = 0.0;
  double client_timeout_s = 10.0;     ///< a request not answered by then is an error
  double upstream_latency_s = 0.010;  ///< off-CPU time waiting for the upstream
  /// The upstream is served by the gateway's own workers (the testbed's stub
  /// is a server block of the same nginx): each proxied request's upstream
  /// leg is a job of upstream_cpu_s on the worker behind the keepalive
  /// connection it goes out on, and waits for that worker's event loop like
  /// any other job (worker.hpp, upstream_idle_; node::upstream_acceptor).
  /// False: an external service, off the gateway's CPU (Kong's deployments).
  bool upstream_on_workers = false;
  double upstream_cpu_s = 0.0;  ///< worker CPU of serving one upstream leg (upstream_on_workers)
  double plugin_cpu_s = 0.0002;       ///< worker CPU per request outside routing
  double match_hit_cpu_s = 0.000002;  ///< router match, LRU cache hit
  double match_miss_cpu_s = 0.00005;  ///< router match, cache miss (category scan)
  /// Router match that finds nothing: Kong 2.x tries every category from the
  /// request's own on, each one's whole list. Unmeasured, it costs a miss.
  double match_no_route_cpu_s = 0.00005;
  double request_garbage_bytes = 16.0 * 1024;  ///< Lua heap garbage per request
  /// CPU to compile one regex path when ngx.re's cache does not hold it
  /// (PCRE compile and JIT); the testbed measures about 30 us.
  double regex_compile_cpu_s = 0.00003;
  /// Extra CPU of such a compile per MiB of compiled-pattern code the worker
  /// holds (cached or awaiting finalizers): PCRE's JIT allocator walks, first
  /// fit, a free list that keeps a leftover per chunk of code held. 0 = none.
  double regex_compile_ns_per_native_mib = 0.0;
  balancing balance = balancing::random;
  /// balance = connections: connections the client opens at the start.
  int client_connections = 8;
};

struct kong_config {
  consistency worker_consistency = consistency::strict;
  double worker_state_update_frequency_s = 5.0;
  double db_update_frequency_s = 5.0;
  double worker_event_delay_s = 0.5;  ///< same-node propagation through worker events
  int build_yield_every = 0;          ///< yield every K routes during a build; 0 = never (Kong < 2.7)
  /// Wall time from a build's yield to its next slice, the worker's event
  /// loop free meanwhile: 0 for OpenResty's ngx.sleep(0), about 1 ms where
  /// the shortest sleep stands in for it (the testbed's nginx).
  double yield_delay_s = 0.0;
  double rebuild_timeout_s = 5.0;     ///< strict: mutex wait before a request fails (pg_timeout)
  /// lua_regex_cache_max_entries: compiled patterns ngx.re keeps per worker
  /// (an LRU cache; 1,024 in Kong 2.x, 0 = none kept).
  int regex_cache_entries = 1024;
};

struct memory_config {
  double gc_pause = 200.0;    ///< start a cycle at pause% of the heap after the last one
  double gc_stepmul = 200.0;  ///< collector work per allocated byte, in percent
  double gc_mark_ns_per_byte = 0.5;   ///< CPU to traverse a live byte
  double gc_sweep_ns_per_byte = 0.1;  ///< CPU to sweep a byte (live or dead)
  double gc_free_ns_per_byte = 0.0;   ///< CPU to free a dead byte, on top of sweeping it
  double gc_mean_object_bytes = 64.0;  ///< mean Lua object size: LuaJIT paces its sweep per object
  double baseline_heap_bytes = 60.0 * (1 << 20);  ///< Lua heap of an idle worker
  double router_bytes_per_route = 6.0 * 1024;     ///< live router per route (incl. per-path objects)
  double build_garbage_per_route_bytes = 4.0 * 1024;  ///< transient garbage of a build, per route
  double build_held_per_route_bytes = 0.0;  ///< of that garbage, what stays live until the build ends
  double entity_cache_bytes_per_route = 2.0 * 1024;   ///< worker L1 entity cache filled by a build
  int lru_slots = 5000;               ///< MATCH_LRUCACHE_SIZE
  double lru_slot_bytes = 32.0;       ///< empty slot array, per slot
  double lru_value_bytes = 1024.0;    ///< per cached match
  double non_heap_bytes = 40.0 * (1 << 20);  ///< worker RSS outside the Lua heap
  /// CPU per byte of memory the worker touches for the first time (a page
  /// fault and zeroing per page): the heap's growth beyond what its
  /// allocator already holds. 0 = free.
  double first_touch_ns_per_byte = 0.0;
  double release_delay_s = 0.0;       ///< freed heap pages stay resident this long
  /// A compiled pattern in ngx.re's cache: its Lua objects (the cdata, its
  /// key string, the cache's entry) and its PCRE code and JIT code outside
  /// the Lua heap, freed only by the cdata's finalizer.
  double regex_object_bytes = 96.0;
  double regex_native_bytes = 1024.0;
};

/// Rebuild cost model: a full build of R routes and P paths costs
/// cpu = read_ns_per_route * R (decoding the pages, between page queries)
///     + build_ns_per_path * P (Router.new's per-route loops, which yield
///       from Kong 2.7 on) + build_ns_per_path_log * P * log2(P) (the sort of
///       every path: one call that never yields).
struct cost_config {
  double read_ns_per_route = 0.0;  ///< worker CPU to decode one route's row while paging (never blocks requests)
  double build_ns_per_path = 20'000.0;
  double build_ns_per_path_log = 500.0;
  /// A second sort that cannot yield, at the very end of Router.new: Kong
  /// 2.x sorts its prefix paths by length once the routes are categorised.
  /// Per path per log2(paths) of all paths; 0 = none (part of the sort above).
  double prefix_sort_ns_per_path_log = 0.0;
  double incremental_ns_per_change = 50'000.0;  ///< incremental strategy, per changed route
  /// A calibration file (gwsim_calibrate; scenarios/calibration/default.toml)
  /// whose measured costs replace the three constants above; empty = use them.
  std::string calibration = "";
};

/// Parameters of the router designs beyond Kong 2.x's (strategy.hpp).
struct design_config {
  int shards = 16;                  ///< sharded: tables per worker, split by host
  double debounce_s = 0.0;          ///< release a new version only after this quiet period (0 = at once)
  double debounce_max_s = 10.0;     ///< ... but at most this long after the first change waiting
  double min_interval_s = 0.0;      ///< at least this long between two released versions
  double long_connection_s = 60.0;  ///< mean life of a long-lived stream (long_streams.hpp)
  double long_streams_per_worker = 0.0;  ///< long-lived streams open per worker on average (0 = none)
  double worker_shutdown_timeout_s = 0.0;  ///< reload: old workers are stopped after this (0 = no limit)
};

enum class admin_kind {
  create_route,
  delete_route,
  update_route,
  create_service,
  update_service,  ///< changes every route of the service (config_entities.hpp)
  delete_service,
  noop,  ///< a write that changes nothing but still bumps the router version
};

/// One scripted admin operation.
struct admin_op {
  double at_s = 0.0;
  admin_kind kind = admin_kind::noop;
  int count = 1;  ///< repeated back to back (a batch)
};

/// A continuous admin loop: create service, create route, list services,
/// delete route, delete service, repeated every interval.
struct admin_loop {
  double start_s = 0.0;
  double stop_s = 0.0;       ///< 0 = until the end
  double interval_s = 1.0;   ///< between operations of the loop
};

struct admin_config {
  std::vector<admin_op> script;
  double poisson_rate_per_s = 0.0;  ///< random single writes (noop-equivalent updates)
  std::vector<admin_loop> loops;
};

struct run_config {
  double duration_s = 300.0;
  std::uint64_t seed = 1;
  double sample_interval_s = 1.0;  ///< time-series sampling period
};

struct scenario {
  std::string name = "unnamed";
  std::string strategy = "full_rebuild";  ///< a registered rebuild strategy
  cluster_config cluster;
  database_config database;
  routes_config routes;
  traffic_config traffic;
  kong_config kong;
  memory_config memory;
  cost_config cost;
  design_config design;
  admin_config admin;
  run_config run;
};

/// Throws std::invalid_argument naming the first invalid field
/// ("traffic.rate_per_s = -1 is invalid: must be finite and >= 0 (per second)").
void validate(const scenario& s);

}  // namespace gwsim::gateway
