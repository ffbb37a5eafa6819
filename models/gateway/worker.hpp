#pragma once
/// One nginx worker: a single-CPU event loop serving request slices, router
/// build slices and garbage-collector work; its router (version, build in
/// progress), match cache and Lua heap; and how it learns of new versions.
///
/// CPU is a FIFO: a request's slice (match: cache hit or miss; plugins; the
/// collector work its garbage triggers) runs to completion, then the request
/// waits off-CPU for its upstream. A build reads pages from the database
/// (off-CPU, the worker keeps serving) and decodes each page's rows on the
/// CPU (cost.read_ns_per_route), then runs Router.new: its per-route loops
/// (marshall, categorise, index; cost.build_ns_per_path) and between them
/// the sort of every path (cost.build_ns_per_path_log). Before Kong 2.7
/// Router.new is one slice; from 2.7 the loops yield every
/// build_yield_every routes (slices queued behind the requests waiting for
/// CPU), but the sort is one table.sort call and never yields.
///
/// Memory follows the same order: each page leaves what the build holds
/// until it ends (the decoded routes) and its garbage; the new router is
/// allocated by Router.new's loops, after the last page, beside the old
/// one. A Router.new that does not yield runs as one piece per page of
/// routes, back to back and ahead of any request, so that the pod's limit
/// is checked as the router grows. A design that builds from memory (no
/// page read) grows its router with each step instead.

#include <cstdint>
#include <vector>

#include "models/gateway/context.hpp"
#include "models/memory/gc_heap.hpp"
#include "models/memory/lru_cache.hpp"
#include "models/memory/resident_memory.hpp"
#include "models/gateway/regex_scan.hpp"
#include "sim/log_histogram.hpp"
#include "sim/ring_buffer.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {

class node;

class worker {
 public:
  worker(context& ctx, node& owner, int index);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Takes a request routed to this worker.
  void accept(request* r);
  /// A worker event (or a poll on another node) says the config is at `v`.
  void learn_version(std::uint64_t v);
  /// The OOM killer: in-flight requests fail, memory is gone.
  void kill();
  /// The master forks a fresh worker: empty heap, cold caches, no router
  /// (or, when the pod builds routers outside its workers, the current one).
  void respawn();
  /// Reload: this exited worker's slot becomes a worker of the new
  /// generation (not a restart: nothing died).
  void fork_generation();
  /// A pod-wide table (build_site::node) at version `v` is now the one its
  /// workers match against: the match cache is flushed.
  void adopt(std::uint64_t v);
  /// Reload: stop accepting, answer what is in flight, close long-lived
  /// connections, then exit for good.
  void drain();

  bool alive() const noexcept { return alive_; }
  bool draining() const noexcept { return draining_; }
  /// Exited after draining: gone for good, never respawned.
  bool exited() const noexcept { return exited_; }
  /// Whether nginx hands this worker connections.
  bool accepting() const noexcept;
  bool rebuilding() const noexcept { return building_; }
  bool has_router() const noexcept { return router_built_; }
  std::uint64_t router_version() const noexcept { return router_version_; }
  int index() const noexcept { return index_; }
  /// Changes when the worker is killed: what it held (requests, client
  /// connections) belongs to an older incarnation.
  std::uint32_t incarnation() const noexcept { return incarnation_; }
  double heap_bytes() const noexcept { return alive_ ? heap_.total_bytes() : 0.0; }
  double resident_bytes() const;
  int gc_phase() const noexcept;
  std::size_t queue_length() const noexcept { return cpu_queue_.size() + mutex_waiters_.size(); }
  /// Nothing on its CPU and nothing waiting for it: its event loop is in
  /// epoll_wait, where a new connection can wake it.
  bool idle() const noexcept { return !cpu_busy_ && cpu_queue_.empty(); }

  /// Windowed measures for the time series; reset by take_window().
  struct window {
    sim::log_histogram latency{0.01};
    std::uint64_t errors = 0;
  };
  window& current_window() noexcept { return window_; }
  void reset_window() {
    window_.latency.clear();
    window_.errors = 0;
  }

 private:
  /// request: routing and plugins; response: the upstream's answer passing
  /// back through the event loop; upstream_leg: serving another request's
  /// upstream call (traffic.upstream_on_workers); build_page, build_finish:
  /// a build's slices.
  enum class job_kind : std::uint8_t { request, response, upstream_leg, build_page, build_finish };
  /// A slice of a router build (subject to build contention, cpu_share.hpp).
  static constexpr bool is_build(job_kind k) noexcept { return k == job_kind::build_page || k == job_kind::build_finish; }
  struct job {
    job_kind kind;
    request* req;
  };

  // CPU
  void enqueue(job j);
  void start_next();
  void on_cpu_done();
  double run_request(request* r);  ///< returns CPU seconds
  double run_build_page();
  double run_build_finish();
  /// One page's share of a build's garbage: the held part live, the rest dead at once.
  void allocate_page_garbage(const build_plan& plan, double pages);
  /// The build's held data becomes garbage (it has ended).
  void release_held();
  double charge_gc();
  /// CPU of the pages the heap has grown into for the first time since the
  /// last charge (memory.first_touch_ns_per_byte); after memory_changed().
  double charge_first_touch();
  /// A request aimed at a route, matched through the match cache: its CPU
  /// (the match and the plugins; on a miss, the regex scan too) and, on a
  /// miss, the cache value it stores.
  double match_cached(request* r);
  /// A match-cache miss's regex scan: its CPU; allocates what it compiles.
  double scan_regexes();
  /// The cached patterns' Lua objects as one heap object of their size.
  void size_regex_cache_object();
  /// Native code of compiled patterns, outside the Lua heap.
  [[nodiscard]] double regex_native_bytes() const noexcept;

  // requests
  void fail(request* r);
  void complete(request* r);
  void release(request* r);
  static void on_upstream_done(request* r);
  /// traffic.upstream_on_workers: `r`'s upstream call reaches the worker
  /// behind the connection it was sent on (request::upstream).
  static void on_upstream_call(request* r);
  /// The keepalive connection to the upstream a call of this worker goes
  /// out on: the most recently freed live one, else a new one (accepted by
  /// node::upstream_acceptor). Sets r->upstream.
  void pick_upstream_connection(request* r);
  /// An upstream leg this worker held is lost (it was killed): the request's
  /// own worker answers it with an error.
  static void upstream_leg_lost(request* r);

  // builds
  /// Whether a request that finds the router stale builds it (strict, lazy).
  bool rebuilds_on_request() const noexcept;
  /// Whether a background timer rebuilds stale routers (eventual).
  bool rebuilds_on_timer() const noexcept;
  void maybe_start_build();
  void start_build();
  void request_page();
  void on_page_read();
  void finish_build();
  void on_timer_tick();

  // memory
  void memory_changed();
  void set_router_bytes(double bytes);

  /// A fresh process in this slot: empty heap, cold caches (respawn, fork).
  void start_fresh();

  // reload
  void maybe_exit();
  std::size_t in_flight() const noexcept;

  context& ctx_;
  node& node_;
  int index_;
  strategy_traits traits_;
  bool alive_ = true;
  bool draining_ = false;
  bool exited_ = false;
  sim::time_ns linger_until_ = 0;  ///< draining: when the last long-lived connection closes
  sim::time_ns shutdown_at_ = -1;  ///< draining: worker_shutdown_timeout, or -1 for none
  sim::timer linger_;
  std::uint32_t incarnation_ = 1;
  sim::rng rng_;

  // CPU
  sim::ring_buffer<job> cpu_queue_;
  bool cpu_busy_ = false;
  job current_{job_kind::request, nullptr};
  sim::timer cpu_done_;
  std::uint64_t upstream_ = 0;  ///< requests waiting for their upstream
  /// traffic.upstream_on_workers: this worker's idle keepalive connections
  /// to the upstream (nginx's keepalive cache: the most recently freed on
  /// top, at most upstream_keepalive of them), each to the worker, in the
  /// incarnation, that accepted it.
  struct upstream_connection {
    worker* server;
    std::uint32_t incarnation;
  };
  static constexpr std::size_t upstream_keepalive = 64;  ///< the testbed's `keepalive 64`
  std::vector<upstream_connection> upstream_idle_;

  // router
  bool router_built_ = false;
  std::uint64_t router_version_ = 0;
  std::uint64_t known_version_ = 0;
  bool building_ = false;
  build_plan plan_;
  std::uint64_t build_target_ = 0;
  int pages_left_ = 0;
  int finish_slices_left_ = 0;
  int finish_slices_total_ = 1;
  int per_route_slices_ = 0;     ///< slices of the per-route loops (0: Router.new does not yield)
  double per_route_cpu_s_ = 0;  ///< CPU of Router.new's per-route loops
  double build_cpu_s_ = 0;
  sim::time_ns build_started_ = 0;
  sim::ring_buffer<request*> mutex_waiters_;
  sim::timer tick_;
  sim::timer resume_build_;  ///< a yielded build's next slice, kong.yield_delay_s after the yield

  // memory
  memory::gc_heap heap_;
  memory::lru_cache lru_;
  /// Mutable: reading it drops freed pages whose release delay has passed.
  mutable memory::resident_memory rss_;
  std::vector<memory::object_id> router_chunks_;
  double router_bytes_ = 0;  ///< sum over router_chunks_
  std::vector<memory::object_id> new_router_chunks_;
  /// What the build under way holds until it ends (build_plan::held_bytes), one chunk per page.
  std::vector<memory::object_id> held_chunks_;
  memory::object_id slot_array_id_{};
  memory::object_id cache_values_id_{};
  double cache_values_bytes_ = 0;
  memory::object_id entity_cache_id_{};
  bool entity_cache_ = false;
  std::uint64_t gc_cycles_seen_ = 0;

  // ngx.re's compiled patterns (traditional router only)
  bool scans_regexes_ = false;
  regex_scan regexes_;
  memory::object_id regex_cache_id_{};  ///< the cached patterns' Lua objects
  /// Native code of evicted patterns awaiting their finalizers: freed when
  /// the next cycle to end ends (evicted while no cycle ran), or the one
  /// after (evicted while a cycle ran: it may have marked them already).
  double native_due_ = 0;
  double native_later_ = 0;

  window window_;
};

}  // namespace gwsim::gateway
