#include "models/gateway/worker.hpp"

#include <algorithm>
#include <cmath>

#include "models/gateway/long_streams.hpp"
#include "models/gateway/node.hpp"
#include "sim/distributions.hpp"

namespace gwsim::gateway {
namespace {

memory::gc_params gc_params_of(const memory_config& m) {
  memory::gc_params p;
  p.pause = m.gc_pause;
  p.stepmul = m.gc_stepmul;
  p.mark_ns_per_byte = m.gc_mark_ns_per_byte;
  p.sweep_ns_per_byte = m.gc_sweep_ns_per_byte;
  p.free_ns_per_byte = m.gc_free_ns_per_byte;
  p.mean_object_bytes = m.gc_mean_object_bytes;
  return p;
}

}  // namespace

worker::worker(context& ctx, node& owner, int index)
    : ctx_(ctx),
      node_(owner),
      index_(index),
      traits_(ctx.strategy.traits()),
      linger_(ctx.sim, [this] { maybe_exit(); }),
      rng_(ctx.streams.stream("worker", static_cast<std::uint64_t>(owner.index()) * 4096u +
                                            static_cast<std::uint64_t>(index))),
      cpu_done_(ctx.sim, [this] { on_cpu_done(); }),
      tick_(ctx.sim, [this] { on_timer_tick(); }),
      resume_build_(ctx.sim, [this] { enqueue(job{job_kind::build_finish, nullptr}); }),
      heap_(gc_params_of(ctx.s.memory), ctx.s.memory.baseline_heap_bytes),
      lru_(static_cast<std::size_t>(ctx.s.memory.lru_slots)),
      rss_(ctx.s.memory.non_heap_bytes, sim::from_seconds(ctx.s.memory.release_delay_s, "memory.release_delay_s")),
      scans_regexes_(scans_regex_paths(traits_, ctx.s)),
      regexes_(scans_regexes_ ? ctx.s.routes.regex_paths : 0, ctx.s.kong.regex_cache_entries) {
  // The worker has built its router from the initial configuration, filled
  // its entity cache, and has an empty match cache. A pod-wide table
  // (build_site::node) lives outside the workers' heaps.
  const memory_config& m = ctx_.s.memory;
  const double routes = ctx_.store.routes();
  if (ctx_.s.cluster.start_heap == initial_heap::just_built && traits_.site == build_site::worker) {
    // A pod that has just started: the first build is replayed through the
    // heap in the order a build allocates (run_build_page, then the finish),
    // so its garbage, and the collector's phase and threshold, are where
    // that build left them. Its CPU was spent before time 0.
    const build_plan first = ctx_.strategy.plan(worker_router_state{}, ctx_.store, ctx_.s, ctx_.cost);
    const int pages = std::max(1, first.db_pages);
    entity_cache_id_ = heap_.allocate(routes * m.entity_cache_bytes_per_route);
    entity_cache_ = true;
    for (int k = 0; k < pages; ++k) {
      if (!traits_.reads_database) router_chunks_.push_back(heap_.allocate(first.router_bytes / pages));
      allocate_page_garbage(first, pages);
    }
    if (traits_.reads_database) router_chunks_.push_back(heap_.allocate(first.router_bytes));
    release_held();
    router_bytes_ = first.router_bytes;
    slot_array_id_ = heap_.allocate(m.lru_slots * m.lru_slot_bytes);
  } else {
    // Long-running workers: the collector has freed that build's garbage.
    if (traits_.site != build_site::node) {
      router_bytes_ = routes * m.router_bytes_per_route;
      router_chunks_.push_back(heap_.allocate(router_bytes_));
      entity_cache_id_ = heap_.allocate(routes * m.entity_cache_bytes_per_route);
      entity_cache_ = true;
    }
    slot_array_id_ = heap_.allocate(m.lru_slots * m.lru_slot_bytes);
    // Requests have run: ngx.re's cache holds what it can.
    regexes_.warm();
    size_regex_cache_object();
    heap_.full_collect();
  }
  (void)heap_.take_gc_cpu_s();
  (void)heap_.take_freed_bytes();
  // The process touched its starting heap before time 0.
  (void)rss_.resident_bytes(heap_.total_bytes(), ctx_.sim.now());
  (void)rss_.take_grown_bytes();
  gc_cycles_seen_ = heap_.cycles_completed();
  router_built_ = true;
  router_version_ = known_version_ = ctx_.store.version();
  if (rebuilds_on_timer()) {
    // Workers start at different moments: their timers are not in phase.
    const double period = ctx_.s.kong.worker_state_update_frequency_s;
    tick_.arm_in(sim::from_seconds(period * sim::uniform01(rng_), "kong.worker_state_update_frequency_s"));
  }
}

bool worker::rebuilds_on_request() const noexcept {
  return traits_.site == build_site::worker && (traits_.trigger == build_trigger::first_request ||
                                                ctx_.s.kong.worker_consistency == consistency::strict);
}

bool worker::rebuilds_on_timer() const noexcept {
  return traits_.site == build_site::worker && traits_.trigger == build_trigger::consistency &&
         ctx_.s.kong.worker_consistency == consistency::eventual;
}

bool worker::accepting() const noexcept {
  if (!alive_ || draining_) return false;
  return router_built_ || ctx_.s.cluster.respawn == respawn_policy::serve_errors_until_built;
}

double worker::resident_bytes() const {
  return alive_ ? rss_.resident_bytes(heap_.total_bytes(), ctx_.sim.now()) + regex_native_bytes() : 0.0;
}

int worker::gc_phase() const noexcept {
  if (!alive_) return 0;
  switch (heap_.phase()) {
    case memory::gc_phase::pause:
      return 0;
    case memory::gc_phase::propagate:
      return 1;
    case memory::gc_phase::sweep:
      return 2;
  }
  return 0;
}

// ---------------------------------------------------------------- requests --

void worker::accept(request* r) {
  r->owner = this;
  r->incarnation = incarnation_;
  r->known_at_arrival = known_version_;
  if (traits_.site == build_site::node) {
    // The request holds the pod's current table until it is answered.
    r->holds_table = true;
    r->table = node_.acquire_table();
  }
  if (!router_built_ && !rebuilds_on_request()) {
    // No router yet and nothing builds one on the request path: Kong < 3.1
    // answers 404 until the first timer tick has built it.
    fail(r);
    return;
  }
  enqueue(job{job_kind::request, r});
}

void worker::fail(request* r) {
  ctx_.stats.error();
  ++window_.errors;
  release(r);
}

void worker::release(request* r) {
  if (r->on_connection) node_.connection_freed(*this, *r);
  if (r->holds_table) {
    r->holds_table = false;
    node_.release_table(r->table);
  }
  ctx_.requests.release(r);
  if (draining_) maybe_exit();
}

void worker::complete(request* r) {
  const double latency = sim::to_seconds(ctx_.sim.now() - r->arrival);
  if (latency > ctx_.s.traffic.client_timeout_s) {
    fail(r);  // the client gave up before the answer came
    return;
  }
  ctx_.stats.completed(latency);
  window_.latency.add(latency);
  release(r);
}

void worker::on_upstream_done(request* r) {
  worker* w = r->owner;
  if (r->incarnation != w->incarnation_) {
    // Its worker was killed meanwhile; the failure was counted then.
    w->release(r);
    return;
  }
  --w->upstream_;
  // The connection goes back to the keepalive cache (the oldest one closed
  // when it is full).
  if (r->upstream != nullptr && r->upstream->incarnation_ == r->upstream_incarnation && r->upstream->alive_) {
    if (w->upstream_idle_.size() >= upstream_keepalive) w->upstream_idle_.erase(w->upstream_idle_.begin());
    w->upstream_idle_.push_back({r->upstream, r->upstream_incarnation});
  }
  r->upstream = nullptr;
  // nginx hands the upstream's response to the client from the same event
  // loop (Kong runs its header_filter, body_filter and log phases there):
  // the response waits for the CPU like everything else. Its CPU is part
  // of traffic.plugin_cpu_s, charged with the request.
  w->enqueue(job{job_kind::response, r});
}

void worker::on_upstream_call(request* r) {
  worker* w = r->owner;
  if (r->incarnation != w->incarnation_) {
    w->release(r);  // its worker was killed meanwhile; the failure was counted then
    return;
  }
  if (r->upstream->incarnation_ != r->upstream_incarnation) {
    upstream_leg_lost(r);  // the worker behind the connection died: reset
    return;
  }
  r->upstream->enqueue(job{job_kind::upstream_leg, r});
}

void worker::pick_upstream_connection(request* r) {
  while (!upstream_idle_.empty()) {
    const upstream_connection c = upstream_idle_.back();
    upstream_idle_.pop_back();
    // A connection whose worker died was closed by the kernel; nginx drops
    // it from its cache when it notices.
    if (c.server->incarnation_ == c.incarnation && c.server->alive_) {
      r->upstream = c.server;
      r->upstream_incarnation = c.incarnation;
      return;
    }
  }
  worker* server = node_.upstream_acceptor(*this);
  r->upstream = server;
  r->upstream_incarnation = server->incarnation_;
}

void worker::upstream_leg_lost(request* r) {
  worker* w = r->owner;
  if (r->incarnation != w->incarnation_) {
    w->release(r);
    return;
  }
  // The upstream's connection broke: the gateway answers 502.
  --w->upstream_;
  w->fail(r);
}

double worker::run_request(request* r) {
  const traffic_config& t = ctx_.s.traffic;
  if (traits_.site == build_site::worker && router_version_ < r->known_at_arrival) ctx_.stats.stale_match();
  double cpu = 0;
  if (r->no_route) {
    // Aimed at no route, with a key never seen before: it misses the match
    // cache, searches the whole router (and its regex paths) and leaves the
    // match cache as it was. Kong keeps the miss in a negative cache of its
    // own, which such a key never hits again; its few bytes per entry are
    // left out.
    ctx_.stats.not_found();
    cpu = t.match_no_route_cpu_s + t.plugin_cpu_s;
    if (scans_regexes_) cpu += scan_regexes();
  } else {
    cpu = match_cached(r);
  }
  heap_.allocate_garbage(t.request_garbage_bytes);
  cpu += charge_gc();
  memory_changed();
  return cpu + charge_first_touch();
}

double worker::match_cached(request* r) {
  const traffic_config& t = ctx_.s.traffic;
  const memory_config& m = ctx_.s.memory;
  const std::size_t cached = lru_.size();
  const bool hit = lru_.access(r->cache_key);
  ctx_.stats.cache_access(hit);
  double cpu = (hit ? t.match_hit_cpu_s : t.match_miss_cpu_s) + t.plugin_cpu_s;
  if (hit) return cpu;
  if (scans_regexes_) cpu += scan_regexes();
  if (lru_.size() > cached) {
    // The cache grows by one value.
    cache_values_bytes_ += m.lru_value_bytes;
    if (cache_values_id_ == memory::object_id{}) {
      cache_values_id_ = heap_.allocate(cache_values_bytes_);
    } else {
      heap_.resize(cache_values_id_, cache_values_bytes_);
    }
  } else {
    // An eviction: the evicted value dies, a new one is allocated.
    heap_.allocate_garbage(m.lru_value_bytes);
  }
  return cpu;
}

// --------------------------------------------------------------------- CPU --

void worker::enqueue(job j) {
  cpu_queue_.push_back(j);
  if (!cpu_busy_) start_next();
}

void worker::start_next() {
  const bool on_request = rebuilds_on_request();
  while (!cpu_busy_ && !cpu_queue_.empty()) {
    const job j = cpu_queue_.pop_front();
    double cpu = 0;
    switch (j.kind) {
      case job_kind::request:
        if (on_request && (!router_built_ || known_version_ > router_version_)) {
          // Strict consistency: the request must not be matched against a
          // stale router. The first one builds it (under the mutex); the
          // others wait for the mutex. Lazy (first_request): the first one
          // builds it in its own path and the others wait behind it.
          j.req->parked_at = ctx_.sim.now();
          j.req->observed = known_version_;
          mutex_waiters_.push_back(j.req);
          if (!building_) start_build();
          continue;
        }
        cpu = run_request(j.req);
        break;
      case job_kind::build_page:
        cpu = run_build_page();
        break;
      case job_kind::build_finish:
        cpu = run_build_finish();
        break;
      case job_kind::response:
        break;
      case job_kind::upstream_leg:
        // A call whose own worker has died meanwhile is answered to nobody.
        if (j.req->incarnation != j.req->owner->incarnation_) {
          j.req->owner->release(j.req);
          continue;
        }
        cpu = ctx_.s.traffic.upstream_cpu_s;
        break;
    }
    current_ = j;
    cpu_busy_ = true;
    node_.cpu().start(cpu_done_, cpu, is_build(j.kind));
  }
}

void worker::on_cpu_done() {
  const double contended = node_.cpu().stop(cpu_done_);
  cpu_busy_ = false;
  const job j = current_;
  if (is_build(j.kind)) {
    // Builds beside builds: the CPU they took beyond their own is the build's.
    build_cpu_s_ += contended;
  }
  switch (j.kind) {
    case job_kind::request: {
      const double upstream = ctx_.s.traffic.upstream_latency_s;
      if (upstream <= 0 || j.req->no_route) {
        // No upstream (or no route: the gateway answers 404 itself): the
        // worker answers from this slice.
        complete(j.req);
        break;
      }
      ++upstream_;
      const double wait = -upstream * std::log(sim::uniform_open01(rng_));
      request* r = j.req;
      if (ctx_.s.traffic.upstream_on_workers) {
        // The call goes out on a keepalive connection from this event-loop
        // turn; the worker that accepted that connection serves it.
        pick_upstream_connection(r);
        ctx_.sim.schedule_in(sim::from_seconds(wait, "traffic.upstream_latency_s"), [r] { on_upstream_call(r); });
      } else {
        ctx_.sim.schedule_in(sim::from_seconds(wait, "traffic.upstream_latency_s"), [r] { on_upstream_done(r); });
      }
      break;
    }
    case job_kind::response:
      complete(j.req);
      break;
    case job_kind::upstream_leg:
      on_upstream_done(j.req);
      break;
    case job_kind::build_page:
      if (--pages_left_ > 0) {
        request_page();
      } else {
        cpu_queue_.push_back(job{job_kind::build_finish, nullptr});
      }
      break;
    case job_kind::build_finish:
      if (--finish_slices_left_ > 0) {
        // A yielding build goes to the back of the queue: the requests that
        // arrived meanwhile run first. With a yield delay it comes back only
        // once the delay is over, the loop free for other work meanwhile.
        // Pieces of a Router.new that does not yield continue at once.
        const double delay = ctx_.s.kong.yield_delay_s;
        if (per_route_slices_ == 0) {
          cpu_queue_.push_front(job{job_kind::build_finish, nullptr});
        } else if (delay > 0) {
          resume_build_.arm_in(sim::from_seconds(delay, "kong.yield_delay_s"));
        } else {
          cpu_queue_.push_back(job{job_kind::build_finish, nullptr});
        }
      } else {
        finish_build();
      }
      break;
  }
  start_next();
}

double worker::charge_gc() {
  const double gc = heap_.take_gc_cpu_s();
  ctx_.stats.gc_cpu(gc);
  const std::uint64_t cycles = heap_.cycles_completed();
  if (cycles > gc_cycles_seen_) {
    ctx_.stats.gc_cycles(cycles - gc_cycles_seen_);
    ctx_.stats.log(ctx_.sim.now(), "gc_cycle_end", node_.index(), index_, heap_.total_bytes());
    // The finalizers of the patterns those cycles found dead free their
    // native code; a second cycle also frees what the first kept.
    for (std::uint64_t k = gc_cycles_seen_; k < cycles && (native_due_ > 0 || native_later_ > 0); ++k) {
      native_due_ = native_later_;
      native_later_ = 0;
    }
    gc_cycles_seen_ = cycles;
  }
  const double freed = heap_.take_freed_bytes();
  if (freed > 0) rss_.on_freed(freed, heap_.total_bytes(), ctx_.sim.now());
  return gc;
}

void worker::memory_changed() { node_.memory_changed(*this); }

double worker::charge_first_touch() {
  // memory_changed() has had the resident size computed: the heap's growth
  // into pages the process never held costs a fault and zeroing each.
  return rss_.take_grown_bytes() * ctx_.s.memory.first_touch_ns_per_byte * 1e-9;
}

double worker::scan_regexes() {
  const memory_config& m = ctx_.s.memory;
  // Code held before the scan; each compile adds a pattern and each eviction
  // moves one to the finalizers' account, so the pile grows through it.
  const double held_before = regex_native_bytes();
  const regex_scan::result r = regexes_.on_miss();
  if (r.compiles <= 0) return 0.0;
  // Each evicted pattern's Lua objects die at once; its native code waits
  // for a cycle that finds it dead (one that has not started marking yet).
  if (r.evicted > 0) {
    heap_.allocate_garbage(r.evicted * m.regex_object_bytes);
    (heap_.phase() == memory::gc_phase::pause ? native_due_ : native_later_) += r.evicted * m.regex_native_bytes;
  }
  size_regex_cache_object();
  // The JIT allocator's walk grows with the code held: charged at the
  // scan's mean pile (the first compile sees held_before, the last all).
  const double mean_held_mib = 0.5 * (held_before + regex_native_bytes()) / (1024.0 * 1024.0);
  const traffic_config& t = ctx_.s.traffic;
  return r.compiles * (t.regex_compile_cpu_s + t.regex_compile_ns_per_native_mib * 1e-9 * mean_held_mib);
}

void worker::size_regex_cache_object() {
  const double bytes = regexes_.cached() * ctx_.s.memory.regex_object_bytes;
  if (regex_cache_id_ == memory::object_id{}) {
    if (bytes > 0) regex_cache_id_ = heap_.allocate(bytes);
  } else if (bytes != heap_.object_bytes(regex_cache_id_)) {
    heap_.resize(regex_cache_id_, bytes);
  }
}

double worker::regex_native_bytes() const noexcept {
  return regexes_.cached() * ctx_.s.memory.regex_native_bytes + native_due_ + native_later_;
}

void worker::set_router_bytes(double bytes) {
  bytes = std::max(0.0, bytes);
  if (router_chunks_.empty()) {
    router_chunks_.push_back(heap_.allocate(bytes));
  } else {
    // Grow or shrink the router in place: the last chunk takes the change.
    const memory::object_id last = router_chunks_.back();
    heap_.resize(last, std::max(0.0, heap_.object_bytes(last) + bytes - router_bytes_));
  }
  router_bytes_ = bytes;
}

// ------------------------------------------------------------------ builds --

void worker::learn_version(std::uint64_t v) {
  if (!alive_) return;
  known_version_ = std::max(known_version_, v);
}

void worker::on_timer_tick() {
  maybe_start_build();
  tick_.arm_in(sim::from_seconds(ctx_.s.kong.worker_state_update_frequency_s, "kong.worker_state_update_frequency_s"));
}

void worker::maybe_start_build() {
  if (alive_ && !building_ && (!router_built_ || known_version_ > router_version_)) start_build();
}

void worker::start_build() {
  building_ = true;
  build_started_ = ctx_.sim.now();
  build_cpu_s_ = 0;
  plan_ = ctx_.strategy.plan(worker_router_state{router_built_, router_version_}, ctx_.store, ctx_.s, ctx_.cost);
  build_target_ = ctx_.store.version();
  pages_left_ = std::max(1, plan_.db_pages);
  // After the pages: Router.new's per-route loops (marshall, categorise,
  // index) and the sort of every path between them. Kong >= 2.7 yields in
  // the loops every build_yield_every routes; table.sort is one call that
  // cannot yield, so the sort is always one slice. Before 2.7 the whole of
  // Router.new is one slice.
  const int yield_every = ctx_.s.kong.build_yield_every;
  const int routes = ctx_.store.routes();
  per_route_cpu_s_ = std::max(1, plan_.db_pages) * ctx_.cost.page_cpu_s(plan_.page_routes, ctx_.s.routes.paths_per_route);
  per_route_slices_ =
      yield_every > 0 && plan_.replace_router ? std::max(1, (routes + yield_every - 1) / yield_every) : 0;
  // A Router.new that does not yield still grows its router a little at a
  // time, and the pod's limit can be crossed part of the way: it runs as one
  // piece per page of routes, back to back, ahead of every request.
  const bool grows_in_pieces = per_route_slices_ == 0 && plan_.replace_router && traits_.reads_database;
  finish_slices_left_ = per_route_slices_ > 0 ? per_route_slices_ + 1 : grows_in_pieces ? pages_left_ : 1;
  finish_slices_total_ = finish_slices_left_;
  ctx_.stats.log(build_started_, "rebuild_start", node_.index(), index_, static_cast<double>(build_target_));
  request_page();
}

void worker::request_page() {
  const std::uint32_t incarnation = incarnation_;
  if (!traits_.reads_database) {
    // The routes are in the worker already: the page is there at once.
    enqueue(job{job_kind::build_page, nullptr});
    return;
  }
  ctx_.store.query(ctx_.store.page_latency_s(), ctx_.store.page_cpu_s(), [this, incarnation] {
    if (incarnation != incarnation_) return;  // the worker died meanwhile
    enqueue(job{job_kind::build_page, nullptr});
  });
}

double worker::run_build_page() {
  const memory_config& m = ctx_.s.memory;
  const double pages = std::max(1, plan_.db_pages);
  // Reading and decoding the page's rows (Kong's DAO page loop).
  double cpu = traits_.reads_database ? ctx_.s.cost.read_ns_per_route * plan_.page_routes * 1e-9 : 0.0;
  if (plan_.replace_router && !traits_.reads_database) {
    // A router built from the routes in memory grows as the loop goes
    // while the old one still serves: both are live until the build ends.
    // One that reads the database grows only in Router.new, after the
    // pages (run_build_finish).
    new_router_chunks_.push_back(heap_.allocate(plan_.router_bytes / pages));
  }
  if (!entity_cache_) {
    entity_cache_id_ = heap_.allocate(ctx_.store.routes() * m.entity_cache_bytes_per_route);
    entity_cache_ = true;
  }
  allocate_page_garbage(plan_, pages);
  cpu += charge_gc();
  memory_changed();
  cpu += charge_first_touch();
  build_cpu_s_ += cpu;
  return cpu;
}

void worker::allocate_page_garbage(const build_plan& plan, double pages) {
  // What the page decodes stays live until the build ends (Kong's build
  // reads every route before it builds from them); the rest dies at once.
  if (plan.held_bytes > 0) held_chunks_.push_back(heap_.allocate(plan.held_bytes / pages));
  const double transient = plan.garbage_bytes - plan.held_bytes;
  if (transient > 0) heap_.allocate_garbage(transient / pages);
}

void worker::release_held() {
  for (auto id : held_chunks_) heap_.release(id);
  held_chunks_.clear();
}

double worker::run_build_finish() {
  const int slice = finish_slices_total_ - finish_slices_left_;
  double cpu = 0;
  // Kong's build_router reads every page into a list of routes and only
  // then calls Router.new, whose per-route loops allocate the new router
  // (marshalled routes, categories, indexes) while the routes read and the
  // old router are all live.
  const bool grows_here = plan_.replace_router && traits_.reads_database;
  if (per_route_slices_ == 0) {
    // Router.new without a yield: one piece, or one of the pieces it is cut
    // into to grow the router (start_build).
    const double pieces = finish_slices_total_;
    cpu = (per_route_cpu_s_ + plan_.finish_cpu_s) / pieces;
    if (grows_here) new_router_chunks_.push_back(heap_.allocate(plan_.router_bytes / pieces));
  } else if (slice == per_route_slices_ / 2) {
    cpu = plan_.finish_cpu_s;  // the sort, between the marshalling and the categorising loops
  } else {
    cpu = per_route_cpu_s_ / per_route_slices_;
    if (grows_here) new_router_chunks_.push_back(heap_.allocate(plan_.router_bytes / per_route_slices_));
  }
  if (finish_slices_left_ == 1) {
    // The last slice ends Router.new (Kong 2.x sorts its prefix paths there,
    // without yielding) and swaps routers and caches.
    cpu += plan_.last_slice_cpu_s;
    const memory_config& m = ctx_.s.memory;
    release_held();
    if (plan_.replace_router) {
      for (auto id : router_chunks_) heap_.release(id);
      router_chunks_ = std::move(new_router_chunks_);
      new_router_chunks_.clear();
      router_bytes_ = plan_.router_bytes;
    } else {
      set_router_bytes(plan_.router_bytes);
    }
    if (plan_.cache != cache_policy::reuse) {
      if (cache_values_id_ != memory::object_id{}) heap_.release(cache_values_id_);
      cache_values_id_ = {};
      cache_values_bytes_ = 0;
      lru_.flush();
    }
    if (plan_.cache == cache_policy::new_per_build) {
      heap_.release(slot_array_id_);
      slot_array_id_ = heap_.allocate(m.lru_slots * m.lru_slot_bytes);
    }
  }
  cpu += charge_gc();
  memory_changed();
  cpu += charge_first_touch();
  build_cpu_s_ += cpu;
  return cpu;
}

void worker::finish_build() {
  const sim::time_ns now = ctx_.sim.now();
  const std::uint64_t previous = router_version_;
  const bool had_router = router_built_;
  router_version_ = build_target_;
  router_built_ = true;
  building_ = false;
  ctx_.stats.rebuild_done(build_cpu_s_);
  ctx_.stats.log(now, "rebuild_end", node_.index(), index_, static_cast<double>(router_version_));
  if (had_router && router_version_ > previous) {
    ctx_.stats.staleness(sim::to_seconds(now - ctx_.store.written_at(previous + 1)));
  }
  // Requests parked on the mutex go first, in the order they came.
  if (!mutex_waiters_.empty()) {
    sim::ring_buffer<job> rest;
    while (!cpu_queue_.empty()) rest.push_back(cpu_queue_.pop_front());
    const sim::time_ns timeout = sim::from_seconds(ctx_.s.kong.rebuild_timeout_s, "kong.rebuild_timeout_s");
    while (!mutex_waiters_.empty()) {
      request* r = mutex_waiters_.pop_front();
      if (traits_.trigger == build_trigger::consistency && now - r->parked_at > timeout) {
        fail(r);  // the mutex wait timed out (HTTP 500)
      } else {
        cpu_queue_.push_back(job{job_kind::request, r});
      }
    }
    while (!rest.empty()) cpu_queue_.push_back(rest.pop_front());
  }
  node_.router_built(*this);
}

// ------------------------------------------------------------ kill/respawn --

void worker::kill() {
  if (!alive_) return;
  alive_ = false;
  ++incarnation_;
  if (cpu_busy_) {
    node_.cpu().stop(cpu_done_);
  }
  tick_.cancel();
  resume_build_.cancel();
  const auto holds_request = [](const job& j) { return j.kind == job_kind::request || j.kind == job_kind::response; };
  if (cpu_busy_ && holds_request(current_)) fail(current_.req);
  if (cpu_busy_ && current_.kind == job_kind::upstream_leg) upstream_leg_lost(current_.req);
  cpu_busy_ = false;
  // The queue may hold upstream legs of this worker's own requests: their
  // requests fail below with the upstream count, so count them first.
  while (!cpu_queue_.empty()) {
    const job j = cpu_queue_.pop_front();
    if (holds_request(j)) fail(j.req);
    if (j.kind == job_kind::upstream_leg) upstream_leg_lost(j.req);
  }
  while (!mutex_waiters_.empty()) fail(mutex_waiters_.pop_front());
  // Requests waiting for their upstream lose their connection too; their
  // pending completions are recognised as stale by the incarnation.
  for (; upstream_ > 0; --upstream_) {
    ctx_.stats.error();
    ++window_.errors;
  }
  upstream_idle_.clear();  // its connections closed with it
  building_ = false;
  router_built_ = false;
  router_chunks_.clear();
  router_bytes_ = 0;
  new_router_chunks_.clear();
  held_chunks_.clear();
  cache_values_id_ = {};
  cache_values_bytes_ = 0;
  entity_cache_ = false;
  lru_.flush();
  rss_.reset();
  // The process is gone, with its compiled patterns.
  regexes_.reset();
  regex_cache_id_ = {};
  native_due_ = 0;
  native_later_ = 0;
}

void worker::respawn() {
  ctx_.stats.restart();
  ctx_.stats.log(ctx_.sim.now(), "respawn", node_.index(), index_, 0.0);
  start_fresh();
}

void worker::fork_generation() {
  draining_ = false;
  exited_ = false;
  linger_.cancel();
  start_fresh();
}

void worker::start_fresh() {
  alive_ = true;
  heap_.reset(ctx_.s.memory.baseline_heap_bytes);
  // A new process: ngx.re's cache starts empty.
  regexes_.reset();
  regex_cache_id_ = {};
  native_due_ = 0;
  native_later_ = 0;
  gc_cycles_seen_ = heap_.cycles_completed();
  slot_array_id_ = heap_.allocate(ctx_.s.memory.lru_slots * ctx_.s.memory.lru_slot_bytes);
  (void)heap_.take_gc_cpu_s();
  (void)heap_.take_freed_bytes();
  known_version_ = ctx_.store.version();
  router_version_ = 0;
  if (traits_.site == build_site::node) {
    // The pod's table is there: the new worker matches against it at once.
    router_built_ = true;
    router_version_ = known_version_ = node_.table_version();
  } else if (traits_.site == build_site::generation) {
    // Forked from the master, which holds the parsed configuration.
    const double routes = ctx_.store.routes();
    set_router_bytes(routes * ctx_.s.memory.router_bytes_per_route);
    entity_cache_id_ = heap_.allocate(routes * ctx_.s.memory.entity_cache_bytes_per_route);
    entity_cache_ = true;
    router_built_ = true;
    router_version_ = known_version_ = node_.table_version();
  } else if (ctx_.s.cluster.respawn == respawn_policy::build_before_serving) {
    start_build();  // in init_worker, before accepting connections
  }
  if (rebuilds_on_timer()) {
    tick_.arm_in(sim::from_seconds(ctx_.s.kong.worker_state_update_frequency_s, "kong.worker_state_update_frequency_s"));
  }
  memory_changed();
}

}  // namespace gwsim::gateway

namespace gwsim::gateway {

// ------------------------------------------------------- shared and reload --

void worker::adopt(std::uint64_t v) {
  if (!alive_) return;
  const std::uint64_t previous = router_version_;
  router_version_ = known_version_ = v;
  router_built_ = true;
  if (cache_values_id_ != memory::object_id{}) heap_.release(cache_values_id_);
  cache_values_id_ = {};
  cache_values_bytes_ = 0;
  lru_.flush();
  (void)previous;
  memory_changed();
}

std::size_t worker::in_flight() const noexcept {
  return cpu_queue_.size() + mutex_waiters_.size() + (cpu_busy_ ? 1u : 0u) + upstream_;
}

void worker::drain() {
  if (!alive_ || draining_) return;
  draining_ = true;
  tick_.cancel();
  // The last long-lived connection closes after an exponential time; nginx
  // stops the worker at worker_shutdown_timeout whatever is still open.
  const design_config& d = ctx_.s.design;
  const sim::time_ns now = ctx_.sim.now();
  const double linger = last_stream_closes_s(rng_, d.long_streams_per_worker, d.long_connection_s);
  linger_until_ = now + sim::from_seconds(linger, "design.long_connection_s");
  shutdown_at_ = d.worker_shutdown_timeout_s > 0
                     ? now + sim::from_seconds(d.worker_shutdown_timeout_s, "design.worker_shutdown_timeout_s")
                     : -1;
  maybe_exit();
}

void worker::maybe_exit() {
  if (!draining_ || exited_ || !alive_) return;
  const sim::time_ns now = ctx_.sim.now();
  const bool forced = shutdown_at_ >= 0 && now >= shutdown_at_;
  if (!forced && (now < linger_until_ || in_flight() > 0)) {
    // Wake up when the connections have closed or the timeout strikes;
    // answered requests call back in between.
    sim::time_ns wake = now < linger_until_ ? linger_until_ : -1;
    if (shutdown_at_ >= 0 && (wake < 0 || shutdown_at_ < wake)) wake = shutdown_at_;
    if (wake >= 0 && !linger_.armed()) linger_.arm_at(wake);
    return;
  }
  linger_.cancel();
  ctx_.stats.log(now, "worker_exit", node_.index(), index_, resident_bytes());
  kill();  // at a shutdown timeout, whatever is still in flight fails
  exited_ = true;
  memory_changed();
}

}  // namespace gwsim::gateway
