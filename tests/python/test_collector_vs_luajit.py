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

Skips only when libluajit is not installed (scripts/setup.sh installs it with the testbed's packages).
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
