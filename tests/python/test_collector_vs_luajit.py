"""The simulator's collector model (models/memory/gc_heap.hpp, gwsim._core.GcHeap) against LuaJIT's own
collector, in this process: Debian's libluajit (the one nginx's Lua module runs) through ctypes.

A Lua script rebuilds a router-like structure again and again: each build allocates route tables (live
until the next build replaces them) and per-route temporaries (dead at once), and the heap is read after
every rebuild (collectgarbage("count")). The bytes one build allocates and keeps are measured in the same
LuaJIT state with the collector stopped; the model is then driven with exactly those bytes, in the same
order, from the same start (a fully collected heap holding one router). The interpreter runs the script
(jit.off()): compiled traces sink some allocations away, which would make the bytes allocated differ
between the measuring pass and the run.

What the model must reproduce: the heap after the first rebuilds, before the two collectors' phases drift
apart; at LuaJIT's default pause, the rebuilds after which a cycle has freed an old router (the heap falls);
and, for every pause, roughly, the highest heap over the run, which is what a memory limit meets. LuaJIT
seeds its string hashes at random for each state, so its figures move a little from run to run (hundredths of
a MiB, and up to 9% of the highest heap where that moves a cycle's end across a rebuild: 3,000 routes, pause
150); the script grows no hash part key by key, whose resizes would move with the hashes too.

The same check runs on the testbed's own router (testbed/lua/gwsim_testbed/router.lua), its rows read and
decoded as a worker's rebuild reads them, outside nginx.

Skips only when libluajit (or, for the testbed's router, lua-cjson and lua-resty-lrucache) is not installed
(scripts/setup.sh installs them with the testbed's packages).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from pathlib import Path
from typing import Any

import pytest

from gwsim import _core

LUA = r"""
local N, REBUILDS, PAUSE = ...
jit.off()
collectgarbage("setpause", PAUSE)
collectgarbage("setstepmul", 200)
local function build()
  local routes, by_host = {}, {}
  for i = 1, N do
    local r = { id = i, paths = { "/v1/res" .. (i % 977) .. "/item" .. i },
                hosts = { "api-" .. (i % 200) .. ".example.com" }, methods = { "GET", "POST" },
                service = { id = i, port = 80 }, regex_priority = 0 }
    local scratch = { r.paths[1], r.hosts[1], i, i + 1 }  -- dead at once
    -- r dies, its copy lives on. Every table here is sized by its constructor or grows as an array:
    -- a hash part grown key by key resizes where its keys collide, and string hashes are seeded at
    -- random per state, which would make the bytes allocated differ from one run to the next.
    local copy = { id = r.id, paths = r.paths, hosts = r.hosts, methods = r.methods, service = r.service,
                   regex_priority = r.regex_priority }
    routes[i] = copy
    local h = i % 200 + 1
    local list = by_host[h]
    if not list then list = {}; by_host[h] = list end
    list[#list + 1] = copy
  end
  return { routes = routes, by_host = by_host }
end
collectgarbage("collect"); collectgarbage("collect")
local base = collectgarbage("count")
collectgarbage("stop")
local router = build()
local allocated = collectgarbage("count") - base
collectgarbage("restart")
collectgarbage("collect"); collectgarbage("collect")
local live = collectgarbage("count") - base
local heaps = {}
for w = 1, REBUILDS do
  router = build()
  heaps[w] = collectgarbage("count")
end
return base, allocated, live, heaps
"""

REBUILDS = 8
#: Model allocations per build: the live router and the temporaries interleaved in this many pieces.
PIECES = 100


def _luajit() -> Any:
    name = ctypes.util.find_library("luajit-5.1") or "libluajit-5.1.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        pytest.skip(f"libluajit is not installed ({name}); scripts/setup.sh installs it with the testbed's packages")
    lib.luaL_newstate.restype = ctypes.c_void_p
    lib.lua_tolstring.restype = ctypes.c_char_p
    lib.lua_tonumber.restype = ctypes.c_double
    return lib


def luajit_rebuilds(routes: int, pause: int) -> tuple[float, float, float, list[float]]:
    """(baseline, bytes a build allocates, bytes it keeps, heap after each rebuild), all in bytes."""
    lj = _luajit()
    state = ctypes.c_void_p(lj.luaL_newstate())
    try:
        lj.luaL_openlibs(state)
        assert lj.luaL_loadstring(state, LUA.encode()) == 0, lj.lua_tolstring(state, -1, None)
        for v in (routes, REBUILDS, pause):
            lj.lua_pushnumber(state, ctypes.c_double(v))
        if lj.lua_pcall(state, 3, 4, 0) != 0:
            raise RuntimeError(lj.lua_tolstring(state, -1, None).decode())
        base, allocated, live = (lj.lua_tonumber(state, i) * 1024 for i in (-4, -3, -2))
        heaps = []
        for w in range(1, REBUILDS + 1):
            lj.lua_rawgeti(state, -1, w)
            heaps.append(lj.lua_tonumber(state, -1) * 1024)
            lj.lua_settop(state, -2)
    finally:
        lj.lua_close(state)
    return base, allocated, live, heaps


def model_rebuilds(base: float, allocated: float, live: float, pause: int) -> list[float]:
    """The same rebuilds through the collector model: heap after each one, bytes."""
    heap = _core.GcHeap(baseline_bytes=base, pause=pause, stepmul=200)
    current = [heap.allocate(live)]
    heap.full_collect()
    out = []
    for _ in range(REBUILDS):
        pieces = []
        for _ in range(PIECES):
            pieces.append(heap.allocate(live / PIECES))
            heap.allocate_garbage((allocated - live) / PIECES)
        for handle in current:
            heap.release(handle)
        current = pieces
        out.append(heap.total_bytes)
    return out


def falls(heaps: list[float]) -> list[int]:
    """The rebuilds (1-based) after which the heap is lower than after the one before."""
    return [k + 1 for k in range(1, len(heaps)) if heaps[k] < heaps[k - 1]]


@pytest.mark.parametrize("routes", [3000, 12000, 30000])
def test_at_luajits_default_pause_the_model_frees_old_routers_after_the_same_rebuilds(routes: int) -> None:
    base, allocated, live, measured = luajit_rebuilds(routes, 200)
    assert 0 < live < allocated
    predicted = model_rebuilds(base, allocated, live, 200)
    # The first rebuilds, before the phases drift apart: within 10% (+3..+8% when written).
    for k in range(3):
        assert predicted[k] == pytest.approx(measured[k], rel=0.10), (k + 1, predicted, measured)
    # A cycle frees the first old routers after rebuilds 4 and 6 in both.
    assert falls(measured)[:2] == falls(predicted)[:2] == [4, 6], (measured, predicted)


@pytest.mark.parametrize("pause", [100, 150, 200, 300])
@pytest.mark.parametrize("routes", [3000, 12000])
def test_the_models_highest_heap_over_rebuilds_is_luajits_within_40_percent(routes: int, pause: int) -> None:
    base, allocated, live, measured = luajit_rebuilds(routes, pause)
    predicted = model_rebuilds(base, allocated, live, pause)
    # When written: +5..+6% (pause 100, 200), +5..+34% (150), -14..-17% (300). Past the first rebuilds the
    # two collectors' phases drift apart (at pause 300 the model frees after rebuild 5 and LuaJIT after 6), so
    # the heap after a given rebuild can differ by half; the highest over the run stays within 40%, a gross
    # check (the close ones are at the default pause, above).
    assert max(predicted) == pytest.approx(max(measured), rel=0.40), (pause, predicted, measured)


def test_the_models_handles_refuse_reuse() -> None:
    heap = _core.GcHeap(baseline_bytes=1e5)
    handle = heap.allocate(1e6)
    heap.release(handle)
    with pytest.raises(ValueError, match="not a live object"):
        heap.release(handle)
    with pytest.raises(ValueError, match=r"gc_pause = 50 is invalid: must be in \[100, 1000\]"):
        _core.GcHeap(pause=50)


# The testbed's own router (testbed/lua/gwsim_testbed/router.lua) rebuilt in the same way: every rebuild reads
# the routes as the store holds them (one JSON row per route, decoded into fresh tables, as the worker's pages
# are) and builds a new router from them with its match cache; only the old router and the rows die. ngx.re is
# not needed to build (a match compiles its patterns), so the router runs here outside nginx.
ROUTER_LUA = r"""
local ROUTES_JSON, REBUILDS, PAUSE, LUA_DIR = ...
REBUILDS, PAUSE = tonumber(REBUILDS), tonumber(PAUSE)
package.path = LUA_DIR .. "/?.lua;/usr/share/lua/5.1/?.lua;" .. package.path
package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath
local cjson = require "cjson"
local ffi = require "ffi"
ngx = { null = cjson.null, re = { find = function() return nil end } }
local router = require "gwsim_testbed.router"
collectgarbage("setpause", PAUSE)
collectgarbage("setstepmul", 200)
-- The rows outside the Lua heap, as in a shared dict: every read makes fresh strings.
local rows, lens = {}, {}
for i, r in ipairs(cjson.decode(ROUTES_JSON)) do
  local s = cjson.encode(r)
  rows[i] = ffi.new("char[?]", #s)
  ffi.copy(rows[i], s, #s)
  lens[i] = #s
end
ROUTES_JSON = nil
local function read()
  local routes = {}
  for i = 1, #rows do routes[i] = cjson.decode(ffi.string(rows[i], lens[i])) end
  return routes
end
local function bytes() return collectgarbage("count") * 1024 end
local current = router.new(read(), { cache_slots = 5000 })
-- What a read allocates and what of it the build holds, what a build allocates and what it keeps, all
-- with the collector stopped; then the same rebuilds with the collector at its pace, from a full collection.
collectgarbage("collect"); collectgarbage("collect")
collectgarbage("stop")
local b0 = bytes()
local routes = read()
local read_alloc = bytes() - b0
b0 = bytes()
local extra = router.new(routes, { cache_slots = 5000 })
local build_alloc = bytes() - b0
collectgarbage("restart")
collectgarbage("collect")
local with_both = bytes()
routes = nil
collectgarbage("collect")
local held = with_both - bytes()
b0 = bytes()
extra = nil
collectgarbage("collect"); collectgarbage("collect")
local kept = b0 - bytes()
local start = bytes()
local heaps = {}
for w = 1, REBUILDS do
  local rs = read()
  heaps[#heaps + 1] = string.format("%.0f", bytes())
  current = router.new(rs, { cache_slots = 5000 })
  rs = nil
  heaps[#heaps + 1] = string.format("%.0f", bytes())
end
return string.format("%.0f %.0f %.0f %.0f %.0f", start, read_alloc, held, build_alloc, kept), table.concat(heaps, " ")
"""

TESTBED_LUA = Path(__file__).resolve().parents[2] / "testbed" / "lua"


def luajit_router_rebuilds(routes: int, pause: int) -> tuple[list[float], list[float]]:
    """([start, read allocated, read held, build allocated, build kept], heap after each read and each build)."""
    from gwsim.testbed.gateway import _clean_route

    name = ctypes.util.find_library("luajit-5.1") or "libluajit-5.1.so.2"
    try:
        lj = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)  # lua-cjson links against the VM's symbols
    except OSError:
        pytest.skip(f"libluajit is not installed ({name}); scripts/setup.sh installs it with the testbed's packages")
    lj.luaL_newstate.restype = ctypes.c_void_p
    lj.lua_tolstring.restype = ctypes.c_char_p
    data = json.dumps([_clean_route(r) for r in _core.synthetic_routes(routes, seed=7)])
    state = ctypes.c_void_p(lj.luaL_newstate())
    try:
        lj.luaL_openlibs(state)
        assert lj.luaL_loadstring(state, ROUTER_LUA.encode()) == 0, lj.lua_tolstring(state, -1, None)
        for v in (data, str(REBUILDS), str(pause), str(TESTBED_LUA)):
            lj.lua_pushstring(state, v.encode())
        if lj.lua_pcall(state, 4, 2, 0) != 0:
            message = lj.lua_tolstring(state, -1, None).decode()
            if "module 'cjson' not found" in message or "module 'resty.lrucache' not found" in message:
                pytest.skip(f"the testbed's Lua packages are not installed (scripts/setup.sh installs them): {message}")
            raise RuntimeError(message)
        head = [float(x) for x in lj.lua_tolstring(state, -2, None).split()]
        heaps = [float(x) for x in lj.lua_tolstring(state, -1, None).split()]
    finally:
        lj.lua_close(state)
    return head, heaps


def model_router_rebuilds(head: list[float], pause: int) -> list[float]:
    """The same through the collector model: the read's rows (held until the build ends, the rest dead at once),
    then the new router (kept) and the build's garbage, the old router and the rows released at its end."""
    start, read_alloc, held, build_alloc, kept = head
    # 161 bytes per object swept: what the testbed's calibration measures for this router.
    heap = _core.GcHeap(baseline_bytes=start - kept, pause=pause, stepmul=200, mean_object_bytes=161)
    current = [heap.allocate(kept)]
    heap.full_collect()
    out = []
    for _ in range(REBUILDS):
        rows = []
        for _ in range(PIECES):
            rows.append(heap.allocate(held / PIECES))
            heap.allocate_garbage((read_alloc - held) / PIECES)
        out.append(heap.total_bytes)
        new = []
        for _ in range(PIECES):
            new.append(heap.allocate(kept / PIECES))
            heap.allocate_garbage((build_alloc - kept) / PIECES)
        for handle in rows + current:
            heap.release(handle)
        current = new
        out.append(heap.total_bytes)
    return out


def test_on_the_testbeds_own_router_the_model_keeps_luajits_heap_until_the_first_cycle_frees() -> None:
    head, measured = luajit_router_rebuilds(8000, 200)
    start, read_alloc, held, build_alloc, kept = head
    assert 0 < held < read_alloc and 0 < kept < build_alloc
    predicted = model_router_rebuilds(head, 200)
    # Rebuild after rebuild the heap climbs by a router and its garbage until a cycle's sweep frees the old
    # routers. When written: within 2% up to then (36 to 155 MiB over four and a half rebuilds), and both fall
    # at the same read, the fifth.
    first_fall = next(k for k in range(1, len(measured)) if measured[k] < measured[k - 1])
    assert first_fall == next(k for k in range(1, len(predicted)) if predicted[k] < predicted[k - 1]), (
        measured, predicted)
    assert first_fall >= 4
    for k in range(first_fall):
        assert predicted[k] == pytest.approx(measured[k], rel=0.05), (k, predicted, measured)
