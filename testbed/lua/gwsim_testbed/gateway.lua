-- One nginx worker of the testbed gateway: its own router, rebuilt from the
-- config store (store.lua) when the store's version moves, as a Kong 2.x
-- worker does, and the proxy's access handler that matches every request.
--
-- Settings (init(), from the generated nginx.conf):
--   mode              "strict": the first request that sees a stale router
--                     rebuilds it before it is routed, under a per-worker
--                     mutex (other requests wait up to lock_timeout_s);
--                     "eventual": a timer every update_frequency_s rebuilds
--                     in the background and the stale router keeps serving
--   update_frequency_s  eventual mode's timer period (Kong:
--                     worker_state_update_frequency, 5 s)
--   yield_every       0: the build never yields (Kong before 2.7: the
--                     worker's event loop is blocked for the whole build);
--                     n > 0: it yields (ngx.sleep(0)) every n routes, as
--                     Kong 2.7+ does every 1,000
--   cache_slots       slots of the new match cache each build allocates
--   gc_pause, gc_stepmul  LuaJIT collector settings (collectgarbage)
--   router            "traditional": every version is a full build of
--                     router.lua (Kong 2.x); "incremental": the routes the
--                     store's change log names are added, updated or removed
--                     in place (incremental_router.lua, Kong 3.x's design),
--                     a full build only at start, when the log says "all"
--                     (a replaced configuration, a service update) or when
--                     it no longer reaches back to the worker's version
--   lock_timeout_s    strict mode's wait for the rebuild (Kong: pg_timeout)
--   stats_interval_s  how often the worker publishes its figures
--   routes_file       JSON array of the routes the store starts with, loaded
--                     by the master before the workers start (every
--                     worker builds its first router at start; a respawned
--                     one waits for its rebuild timer, see init_worker)
--
-- Every worker publishes, every stats_interval_s and after every build, a
-- JSON record in the shared dict gwsim_stats under "worker:<pid>": its Lua
-- heap (collectgarbage("count")), router version, builds, build times and
-- match counters; admin.lua's GET /status returns them all.

local cjson = require "cjson.safe"
local irouter = require "gwsim_testbed.incremental_router"
local router = require "gwsim_testbed.router"
local semaphore = require "ngx.semaphore"
local store = require "gwsim_testbed.store"

local _M = {}

local settings = {
  mode = "eventual",
  update_frequency_s = 5,
  yield_every = 1000,
  cache_slots = 5000,
  gc_pause = 200,
  gc_stepmul = 200,
  lock_timeout_s = 5,
  stats_interval_s = 0.1,
  routes_file = "",
  router = "traditional",
}

-- Per-worker state.
local current = nil        -- the router
local current_version = -1 -- the store version it was built from
local current_has_headers = false -- whether some route has a header rule
local building = false
local mutex = nil          -- strict mode: one rebuild at a time
local stats = {
  builds = 0,        -- router versions adopted (full builds and in-place updates)
  full_builds = 0,
  build_errors = 0,
  last_build_ms = 0,
  last_build_cpu_ms = 0, -- the worker's CPU over the last build's wall time
                         -- (the build, the collector, requests served
                         -- between its slices)
  last_build_yields = 0, -- times the last build handed the event loop back
  last_build_own_cpu_ms = 0, -- last_build_cpu_ms less what ran while it was
                             -- yielded: the build and the collector steps
                             -- its own allocations triggered
  build_ms_total = 0,
  max_build_ms = 0,
  matched = 0,
  not_found = 0,
  matched_select_cpu_s = 0,   -- CPU of the selects that found a route (cache
                              -- hits and misses) and of those that found none
  not_found_select_cpu_s = 0,
  waited = 0,
  wait_timeouts = 0,
  started_at = 0,
}

function _M.init(opts)
  for k, v in pairs(opts or {}) do
    if settings[k] == nil then
      error("unknown testbed setting " .. k)
    end
    settings[k] = v
  end
  if settings.mode ~= "strict" and settings.mode ~= "eventual" then
    error("mode must be strict or eventual, got " .. tostring(settings.mode))
  end
  if settings.router ~= "traditional" and settings.router ~= "incremental" then
    error("router must be traditional or incremental, got " .. tostring(settings.router))
  end
  if settings.routes_file ~= "" then
    local f, err = io.open(settings.routes_file, "rb")
    if not f then
      error("cannot read routes_file: " .. tostring(err))
    end
    local routes, derr = cjson.decode(f:read("*a"))
    f:close()
    if type(routes) ~= "table" then
      error("routes_file " .. settings.routes_file .. " is not a JSON array: " .. tostring(derr))
    end
    -- The patterns are checked as the Admin API checks a written route.
    for _, r in ipairs(routes) do
      local ok, perr = router.check_patterns(r)
      if not ok then
        error("routes_file " .. settings.routes_file .. ": " .. perr)
      end
    end
    store.replace(routes)
  end
end

local function publish()
  local record = {
    pid = ngx.worker.pid(),
    lua_kb = collectgarbage("count"),
    version = current_version,
    paths = current and current.paths or 0,
    building = building,
    updated_at = ngx.now(),
  }
  for k, v in pairs(stats) do
    record[k] = v
  end
  ngx.shared.gwsim_stats:set("worker:" .. record.pid, cjson.encode(record), 60)
end

-- Kong 2.7+ yields with ngx.sleep(0), which needs OpenResty's "delayed
-- events" patch to hand the event loop over; Debian's nginx lacks it (and
-- warns on every call), so the shortest real sleep is used instead: each
-- yield costs the build about a millisecond of wall time (the worker serves
-- other requests meanwhile). The calibration measures it per yield.
local yields = 0 -- yields of the build under way
local yielded_cpu = 0 -- the worker's CPU while the build was yielded (other requests)
local function yield()
  yields = yields + 1
  local c = os.clock()
  ngx.sleep(0.001)
  yielded_cpu = yielded_cpu + (os.clock() - c)
end

local function has_header_rule(r)
  return type(r.headers) == "table" and next(r.headers) ~= nil
end

-- The incremental router: applies the changes the store logged since
-- current_version in place. False when a full build is needed (no router
-- yet, a write changed "all", the log no longer reaches back, a change
-- failed).
local function apply_changes(target)
  if not current or current_version < 0 then
    return false
  end
  local touched, seen = {}, {}
  for v = current_version + 1, target do
    local changed = store.changes(v)
    if changed == nil or changed == "all" then
      return false
    end
    for _, id in ipairs(changed) do
      if not seen[id] then
        seen[id] = true
        touched[#touched + 1] = id
      end
    end
  end
  for _, id in ipairs(touched) do
    local route = store.get(id)
    local ok, err = true, nil
    if route then
      current_has_headers = current_has_headers or has_header_rule(route)
      if current.routes[id] then
        ok, err = current:update(route)
      else
        ok, err = current:add(route)
      end
    elseif current.routes[id] then
      ok, err = current:remove(id)
    end
    if not ok then
      ngx.log(ngx.WARN, "in-place change of route ", id, " failed (", err, "): full build")
      return false
    end
  end
  return true
end

local function adopted(target, t0, c0)
  ngx.update_time()
  local ms = (ngx.now() - t0) * 1000
  current_version = target
  stats.builds = stats.builds + 1
  stats.last_build_ms = ms
  stats.last_build_cpu_ms = (os.clock() - c0) * 1000
  stats.last_build_yields = yields
  stats.last_build_own_cpu_ms = stats.last_build_cpu_ms - yielded_cpu * 1000
  ngx.shared.gwsim_stats:set("built:" .. ngx.worker.id(), true)
  stats.build_ms_total = stats.build_ms_total + ms
  if ms > stats.max_build_ms then
    stats.max_build_ms = ms
  end
  publish()
end

-- Reads every page of the store and builds a new router; the old one
-- becomes garbage once `current` points to the new one. The incremental
-- router first tries the logged changes in place.
local function rebuild()
  local target = store.version()
  if target == current_version then
    return true
  end
  building = true
  yields, yielded_cpu = 0, 0
  ngx.update_time()
  local t0 = ngx.now()
  local c0 = os.clock()
  if settings.router == "incremental" then
    local ok, applied = pcall(apply_changes, target)
    if ok and applied then
      building = false
      adopted(target, t0, c0)
      return true
    end
  end
  local routes = {}
  local n = 0
  local has_headers = false
  local yielding = settings.yield_every > 0
  store.each_page(function(page)
    for _, r in ipairs(page) do
      n = n + 1
      routes[n] = r
      has_headers = has_headers or has_header_rule(r)
    end
    if yielding then
      yield()
    end
  end)
  local design = settings.router == "incremental" and irouter or router
  local new, err = design.new(routes, {
    cache_slots = settings.cache_slots,
    yield_every = yielding and settings.yield_every or nil,
    yield = yielding and yield or nil,
  })
  building = false
  if not new then
    stats.build_errors = stats.build_errors + 1
    ngx.log(ngx.ERR, "router build for version ", target, " failed: ", err)
    current_version = target -- do not retry the same broken version on every request
    publish()
    return false
  end
  current = new
  current_has_headers = has_headers
  stats.full_builds = stats.full_builds + 1
  adopted(target, t0, c0)
  return true
end

local function background_check(premature)
  if premature or building then
    return
  end
  if store.version() ~= current_version then
    local ok, err = pcall(rebuild)
    if not ok then
      building = false
      ngx.log(ngx.ERR, "rebuild failed: ", err)
    end
  end
end

function _M.init_worker()
  collectgarbage("setpause", settings.gc_pause)
  collectgarbage("setstepmul", settings.gc_stepmul)
  stats.started_at = ngx.now()
  mutex = semaphore.new(1)
  -- A worker's first build runs at once. A worker the master respawned (its
  -- slot has built before: the OOM killer took its predecessor) does as a
  -- Kong 2.x worker does (Kong #8828, fixed in 3.1): it has no router and
  -- answers 503 until its next rebuild timer (eventual) or its first
  -- request (strict) builds one.
  if not ngx.shared.gwsim_stats:get("built:" .. ngx.worker.id()) then
    ngx.timer.at(0, background_check)
  end
  if settings.mode == "eventual" then
    ngx.timer.every(settings.update_frequency_s, background_check)
  end
  ngx.timer.every(settings.stats_interval_s, function(premature)
    if not premature then
      publish()
    end
  end)
end

local function full_collect()
  collectgarbage("collect")
  collectgarbage("collect")
  return collectgarbage("count") * 1024
end

-- Resident memory of this process (/proc/self/statm), in bytes.
local function resident_bytes()
  local f = io.open("/proc/self/statm", "r")
  if not f then
    return 0
  end
  local line = f:read("*l") or ""
  f:close()
  local rss = line:match("^%d+%s+(%d+)")
  return (tonumber(rss) or 0) * 4096
end

-- Calibration of ngx.re's cache of compiled patterns past its capacity
-- (admin POST /measure_regex): `patterns`, more than
-- lua_regex_cache_max_entries of them, are tried in order with the
-- matcher's options ("ajo") on a path none of them matches, as the
-- router's regex scan tries its regex paths on a miss. The first pass fills
-- the cache; in each of the `passes` after it every pattern was evicted
-- since its last use, so every find compiles. With the collector stopped,
-- per find of those passes:
--   compile_cpu_s  CPU of one find that compiles (PCRE compile, JIT, match)
--   object_bytes   Lua heap it allocates (the cdata, its cache key and entry)
--   native_bytes   resident memory beyond that: the pattern's PCRE and JIT
--                  code, freed only by the evicted cdata's finalizer
function _M.measure_regex(patterns, passes)
  passes = passes or 3
  local subject = "/zz-nomatch/calibration"
  local find = ngx.re.find
  full_collect()
  collectgarbage("stop")
  for i = 1, #patterns do
    find(subject, patterns[i], "ajo")
  end
  local kb0, rss0 = collectgarbage("count"), resident_bytes()
  local c0 = os.clock()
  for _ = 1, passes do
    for i = 1, #patterns do
      find(subject, patterns[i], "ajo")
    end
  end
  local cpu = os.clock() - c0
  local lua_bytes = (collectgarbage("count") - kb0) * 1024
  local rss = resident_bytes() - rss0
  collectgarbage("restart")
  full_collect()
  local n = passes * #patterns
  return {
    patterns = #patterns,
    finds = n,
    compile_cpu_s = cpu / n,
    object_bytes = lua_bytes / n,
    native_bytes = math.max(0, rss - lua_bytes) / n,
  }
end

-- The CPU of memory the worker touches for the first time: `mib` MiB of
-- small tables (as a router is made of) allocated with the collector
-- stopped, timed, dropped and collected, then allocated again into the
-- pages the allocator kept. Only a worker that has never held that much
-- memory measures first touches: the harness asks a fresh one.
--   first_cpu_s, again_cpu_s  CPU of the two allocations
--   bytes                     heap bytes each allocated
--   resident_first_bytes      the worker's resident growth over the first
--   resident_again_bytes      and over the second (pages kept: about 0)
function _M.measure_first_touch(mib)
  local function allocate()
    local t, n = {}, 0
    local target = collectgarbage("count") + mib * 1024
    while collectgarbage("count") < target do
      for _ = 1, 1000 do
        n = n + 1
        t[n] = { n, n + 1, n + 2, tostring(n) }
      end
    end
    return t
  end
  local function pass()
    full_collect()
    collectgarbage("stop")
    local before, rss = collectgarbage("count") * 1024, resident_bytes()
    local c0 = os.clock()
    local t = allocate()
    local cpu = os.clock() - c0
    local bytes = collectgarbage("count") * 1024 - before
    local grown = resident_bytes() - rss
    t = nil
    collectgarbage("restart")
    full_collect()
    return cpu, bytes, grown
  end
  local first_cpu, bytes, first_grown = pass()
  local again_cpu, _, again_grown = pass()
  return {
    first_cpu_s = first_cpu,
    again_cpu_s = again_cpu,
    bytes = bytes,
    resident_first_bytes = first_grown,
    resident_again_bytes = again_grown,
  }
end

-- ngx.re's cache past its capacity as evicted patterns pile up (admin POST
-- /measure_regex_growth). The native code of evicted patterns, freed only by
-- their cdata finalizers, piles up between collector cycles, and every
-- compile slows: PCRE's JIT allocator (sljit) finds room for new code by
-- walking, first fit, a list of free blocks that keeps a leftover per chunk
-- of code held. `patterns` are tried in order `passes` times, as
-- measure_regex does, with the collector stopped so that nothing is freed
-- (the pile alone). Per pass:
--   cpu_s            CPU of one find, averaged over the pass
--   resident_bytes   the worker's resident memory at the end of the pass
--   heap_bytes       its Lua heap then
function _M.measure_regex_growth(patterns, passes)
  local subject = "/zz-nomatch/calibration"
  local find = ngx.re.find
  full_collect()
  collectgarbage("stop")
  local cpu, resident, heap = {}, {}, {}
  for _ = 1, passes do
    local c0 = os.clock()
    for i = 1, #patterns do
      find(subject, patterns[i], "ajo")
    end
    cpu[#cpu + 1] = (os.clock() - c0) / #patterns
    resident[#resident + 1] = resident_bytes()
    heap[#heap + 1] = collectgarbage("count") * 1024
  end
  collectgarbage("restart")
  full_collect()
  return { patterns = #patterns, cpu_s = cpu, resident_bytes = resident, heap_bytes = heap }
end

-- Calibration (admin POST /measure; run it on a one-worker gateway so the
-- worker measured is the worker serving): builds a second router from the
-- store beside the current one and measures, in this worker,
--   heap_bytes        Lua heap after full collections, current router alive
--   router_bytes      what the new router keeps alive (heap with it minus
--                     heap once it is dropped, full collections each time)
--   build_alloc_bytes every byte the build allocated (collector stopped), so
--                     build_alloc_bytes - router_bytes is the build's garbage
--   read_alloc_bytes  every byte reading and decoding the pages allocated
--   held_bytes        of those, what stays live until the build ends (the
--                     decoded routes the build reads before building)
--   read_cpu_s, build_cpu_s  CPU of reading the pages and of building
--   sort_cpu_s        the part of build_cpu_s spent in the sort of all paths
--                     (one table.sort call, which cannot yield)
--   prefix_sort_cpu_s, prefixes  the second sort (the prefix paths, by
--                     length; as unyieldable) and how many it sorted
--   miss_cpu_s, hit_cpu_s    CPU of one select() on `requests` with the new
--                     router's cache empty (of those that found a route:
--                     each select timed on its own), then again with the
--                     cache warm (the whole pass)
--   select_cpu_s      the cold pass's mean over all of `requests`
--   no_route_share    share of `requests` that found no route
--   no_route_cpu_s    CPU of one select() that finds no route, the mean over
--                     `no_route_requests` (Kong 2.x tries every category
--                     from the request's own on, each one's whole list);
--                     no_route_requests_found counts those that did match
--   select_alloc_bytes bytes one miss select() allocates (collector stopped)
--   paths             entries (route paths) of the new router
--   incremental_change_cpu_s, incremental_change_alloc_bytes  CPU and bytes
--                     of one in-place change of the incremental router
--   incremental_router_bytes  what the incremental router keeps alive
--   collect_live_cpu_s  CPU of a full collection of the heap with both routers
--                     alive and no garbage
--   collect_garbage_cpu_s  the same once the new router is garbage
--   gc_phase_*        one cycle stepped by hand with a dropped router as
--                     garbage: heap at its start, CPU of marking and of
--                     sweeping, bytes it freed
-- `requests`, `no_route_requests`: arrays of {method, host, path, headers =
-- {[name] = value}}.
function _M.measure(requests, no_route_requests)
  local heap = full_collect()
  collectgarbage("stop")
  local before = collectgarbage("count") * 1024
  local c0 = os.clock()
  local routes = {}
  store.each_page(function(page)
    for _, r in ipairs(page) do
      routes[#routes + 1] = r
    end
  end)
  local read_cpu = os.clock() - c0
  local read_alloc = collectgarbage("count") * 1024 - before
  -- What the build holds until it ends: the decoded routes (the router keeps
  -- deep copies of them), live beside the current router. A full collection
  -- also resets the collector's threshold: stop it again.
  local held = full_collect() - heap
  collectgarbage("stop")
  before = collectgarbage("count") * 1024
  c0 = os.clock()
  local new, err = router.new(routes, { cache_slots = settings.cache_slots })
  local build_cpu = os.clock() - c0
  local build_alloc = collectgarbage("count") * 1024 - before
  collectgarbage("restart")
  if not new then
    return nil, err
  end
  local n = #requests
  local miss_cpu, hit_cpu, select_alloc, select_cpu, no_route_share = 0, 0, 0, 0, 0
  -- CPU seconds of one pass of select() over `list`; with `each`, also the
  -- CPU of the selects that found a route and of those that found none,
  -- each timed on its own, and how many found none.
  local function pass(list, each)
    local start = os.clock()
    local found, none, nones = 0, 0, 0
    for i = 1, #list do
      local q = list[i]
      local c = each and os.clock()
      local route = new:select(q.method, q.host, q.path, q.headers, q.scheme or "http", q.sni)
      if each then
        if route then
          found = found + (os.clock() - c)
        else
          none = none + (os.clock() - c)
          nones = nones + 1
        end
      end
    end
    return os.clock() - start, found, none, nones
  end
  if n > 0 then
    collectgarbage("stop")
    before = collectgarbage("count") * 1024
    local all, found, _, nones = pass(requests, true)
    select_alloc = (collectgarbage("count") * 1024 - before) / n
    collectgarbage("restart")
    select_cpu = all / n
    miss_cpu = nones < n and found / (n - nones) or 0
    no_route_share = nones / n
    hit_cpu = pass(requests) / n
  end
  -- Requests aimed at no route, on a cold cache of their own keys.
  local no_route_cpu, no_route_found = 0, 0
  local m = #no_route_requests
  if m > 0 then
    local _, found, none, nones = pass(no_route_requests, true)
    no_route_cpu = nones > 0 and none / nones or 0
    no_route_found = m - nones
  end
  -- The incremental router: CPU and bytes of one in-place change (an
  -- update of a route to itself, the cache flushed), over `changes` routes.
  local change_cpu, change_alloc, inc_bytes = 0, 0, 0
  if routes then
    local without_inc = full_collect()
    local inc = irouter.new(routes, { cache_slots = settings.cache_slots })
    inc_bytes = full_collect() - without_inc
    local k = math.min(200, #routes)
    if inc and k > 0 then
      local step = math.max(1, math.floor(#routes / k))
      collectgarbage("stop")
      before = collectgarbage("count") * 1024
      local c2 = os.clock()
      for i = 1, k do
        inc:update(routes[(i - 1) * step + 1])
      end
      change_cpu = (os.clock() - c2) / k
      change_alloc = (collectgarbage("count") * 1024 - before) / k
      collectgarbage("restart")
    end
    inc = nil
  end
  -- The collector's two phases, timed apart: a third router is built and
  -- dropped, then one cycle runs a step at a time (collectgarbage("step", 0)
  -- is one LuaJIT step). Nothing is freed before the sweep starts, so the
  -- steps before the heap first shrinks are marking (the atomic step
  -- included) and the rest sweeping, which frees the dropped router.
  local phase = {}
  if routes then
    local extra = router.new(routes, { cache_slots = settings.cache_slots })
    full_collect()
    extra = nil
    local count = collectgarbage("count")
    phase.heap = count * 1024
    phase.mark, phase.sweep = 0, 0
    phase.mark_steps, phase.sweep_steps = 0, 0
    local sweeping = false
    local steps = 0
    repeat
      local c = os.clock()
      local done = collectgarbage("step", 0)
      local dt = os.clock() - c
      local now = collectgarbage("count")
      sweeping = sweeping or now < count
      if sweeping then
        phase.sweep = phase.sweep + dt
        phase.sweep_steps = phase.sweep_steps + 1
      else
        phase.mark = phase.mark + dt
        phase.mark_steps = phase.mark_steps + 1
      end
      count = now
      steps = steps + 1
    until done or steps > 10000000
    phase.freed = phase.heap - collectgarbage("count") * 1024
  end
  routes = nil
  local with_new = full_collect()
  -- The collector's cost: one full cycle over the live heap with no
  -- garbage, then one over what stays live once the new router is dropped
  -- plus that router as garbage.
  local c1 = os.clock()
  collectgarbage("collect")
  local live_collect = os.clock() - c1
  local paths = new.paths
  local sort_cpu = new.sort_cpu_s
  local prefix_sort_cpu, prefixes = new.prefix_sort_cpu_s, new.prefixes
  new = nil
  c1 = os.clock()
  collectgarbage("collect")
  local garbage_collect = os.clock() - c1
  local without = full_collect()
  return {
    held_bytes = held,
    incremental_change_cpu_s = change_cpu,
    incremental_change_alloc_bytes = change_alloc,
    incremental_router_bytes = inc_bytes,
    collect_live_cpu_s = live_collect,
    collect_garbage_cpu_s = garbage_collect,
    gc_phase_heap_bytes = phase.heap,
    gc_phase_mark_cpu_s = phase.mark,
    gc_phase_sweep_cpu_s = phase.sweep,
    gc_phase_freed_bytes = phase.freed,
    gc_phase_mark_steps = phase.mark_steps,
    gc_phase_sweep_steps = phase.sweep_steps,
    gc_stepmul = settings.gc_stepmul,
    heap_bytes = heap,
    router_bytes = with_new - without,
    build_alloc_bytes = build_alloc,
    read_alloc_bytes = read_alloc,
    read_cpu_s = read_cpu,
    build_cpu_s = build_cpu,
    sort_cpu_s = sort_cpu,
    prefix_sort_cpu_s = prefix_sort_cpu,
    prefixes = prefixes,
    miss_cpu_s = miss_cpu,
    hit_cpu_s = hit_cpu,
    select_cpu_s = select_cpu,
    no_route_share = no_route_share,
    no_route_cpu_s = no_route_cpu,
    no_route_requests_found = no_route_found,
    select_alloc_bytes = select_alloc,
    paths = paths,
    cache_slots = settings.cache_slots,
  }
end

-- Strict mode: rebuild before routing when the store has moved on.
local function ensure_fresh()
  if store.version() == current_version and current then
    return
  end
  local ok = mutex:wait(settings.lock_timeout_s)
  if not ok then
    stats.wait_timeouts = stats.wait_timeouts + 1
    return
  end
  stats.waited = stats.waited + 1
  local built, err = pcall(rebuild)
  mutex:post(1)
  if not built then
    building = false
    ngx.log(ngx.ERR, "rebuild failed: ", err)
  end
end

-- access_by_lua: route the request or answer 404 (no route) / 503 (no
-- router yet). The matched route's id goes upstream and back to the client
-- in X-Gwsim-Route.
function _M.access()
  if settings.mode == "strict" then
    ensure_fresh()
  end
  if not current then
    return ngx.exit(503)
  end
  local var = ngx.var
  -- Kong reads the request headers only when some route has a header rule.
  local headers = current_has_headers and ngx.req.get_headers() or nil
  -- Kong matches the raw request URI without its query, not nginx's
  -- decoded and normalised $uri.
  local method, host, uri = ngx.req.get_method(), var.http_host or "", router.strip_query(var.request_uri)
  local c0 = os.clock()
  local route = current:select(method, host, uri, headers, var.scheme, var.ssl_server_name)
  local cpu = os.clock() - c0
  if not route then
    stats.not_found = stats.not_found + 1
    stats.not_found_select_cpu_s = stats.not_found_select_cpu_s + cpu
    return ngx.exit(404)
  end
  stats.matched = stats.matched + 1
  stats.matched_select_cpu_s = stats.matched_select_cpu_s + cpu
  ngx.header["X-Gwsim-Route"] = route.id
  ngx.req.set_header("X-Gwsim-Route", route.id)
end

return _M
