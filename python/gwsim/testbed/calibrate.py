"""``gwsim testbed calibrate``: fit the simulator's parameters for the testbed gateway.

For each route count of a matrix, a one-worker testbed gateway is started
with the synthetic route set of that size, its worker measures itself
(admin ``POST /measure``, ``gateway.measure`` in ``testbed/lua``: router
bytes, bytes a build allocates, build and read CPU, match CPU on cache
misses and hits, bytes a match allocates, the heap without a router) and the
harness adds resident memory from /proc and the per-request CPU and latency
of a short quiet load. Each quantity is then fitted against the route count
with the calibration's least squares (``gwsim._core.fit_cost``, Eigen; the
fit quality is kept) and turned into the simulator's scenario fields
(:data:`PARAMETERS`), which :func:`scenario_for` combines with an
experiment configuration into a simulator scenario.

CPU times scatter on a shared machine, and its speed drifts over minutes:
measured one route count after another, each count's CPU figures would come
from a different stretch of time and the fits would bend with the machine.
So the CPU figures of ``POST /measure`` are sampled apart
(:func:`sample_cpu`): one gateway per route count, all running, and rounds
that each measure every count once; each figure is the median of its
rounds, and the calibration keeps every sample and prints their spread.

Builds on two cores at once slow each other (they share the last-level
cache and the memory bus): :func:`measure_contention` times the same build
on two one-worker gateways, one at a time and both at once, and the CPU the
pair takes beyond the lone builds becomes ``cluster.build_contention``.

The collector's per-byte costs come from two full collections the worker
times (:func:`gc_costs`). ngx.re's cache of compiled patterns past its
capacity (what a find that compiles costs in CPU, Lua heap and native code)
is measured once, on patterns more numerous than the cache
(:func:`measure_regex`).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from .gateway import REGEX_CACHE_ENTRIES, Gateway, GatewaySettings

__all__ = ["CPU_FIGURES", "CPU_ROUNDS", "MATRIX_FULL", "MATRIX_QUICK", "PARAMETERS", "calibrate", "cpu_spread", "fit_points", "gc_costs", "mean_object_bytes",
           "measure", "measure_changes", "measure_contention", "measure_first_touch", "sample_cpu", "scenario_for", "write_calibration", "read_calibration"]

#: Route counts of the fitting matrix. The full one stops at 20,000 synthetic
#: routes: above about that many, the distinct regex paths outnumber
#: lua_regex_cache_max_entries (1,024, Kong 2.x's setting) and every regex
#: match recompiles its pattern (Kong #7482): at 50,000 routes a cache miss
#: costs about 130 ms of CPU and allocates about 150 KB in the testbed, a
#: cliff no a + b N fit describes. The simulator models it as a mechanism of
#: its own (routes.regex_paths, kong.regex_cache_entries); this fit stays
#: below it.
MATRIX_QUICK = (1000, 4000, 16000)
MATRIX_FULL = (1000, 2500, 5000, 10000, 20000)

#: The figures of ``POST /measure`` that are CPU times, sampled in rounds (:func:`sample_cpu`).
CPU_FIGURES = ("read_cpu_s", "build_cpu_s", "sort_cpu_s", "prefix_sort_cpu_s", "miss_cpu_s", "hit_cpu_s",
               "select_cpu_s", "no_route_cpu_s",
               "incremental_change_cpu_s", "collect_live_cpu_s", "collect_garbage_cpu_s", "gc_phase_mark_cpu_s",
               "gc_phase_sweep_cpu_s")
#: Rounds of :func:`sample_cpu`: each measures every route count once.
CPU_ROUNDS = 5
#: Requests aimed at no route that ``POST /measure`` times apart (each one searches the whole router).
NO_ROUTE_REQUESTS = 50
#: In-place changes per route count of :func:`measure_changes`.
CHANGES = 12

#: Route count (at most: the matrix's largest below it) and rounds of :func:`measure_contention` (each round:
#: both gateways alone, then both at once).
CONTENTION_ROUTES = 10000
CONTENTION_ROUNDS = 10

#: How long the calibration watches a worker's resident memory after its heap shrank (seconds).
RELEASE_WAIT_S = 2.0
#: memory.release_delay_s when the worker kept most of its freed pages that long: they stay resident for
#: the rest of an experiment (the heap grows back into them first, see models/memory/resident_memory.hpp).
HELD_FOR_THE_RUN_S = 3600.0

#: The simulator fields a calibration sets (see scenarios/README.md), with what each is fitted from.
PARAMETERS = {
    "memory.router_bytes_per_route": "slope of router bytes against routes",
    "memory.incremental_router_bytes_per_route": "slope of the incremental router's bytes against routes (it "
                                                 "keeps indexes for changes in place: more per route); "
                                                 "memory.router_bytes_per_route of its experiments",
    "memory.lru_slot_bytes": "router bytes at zero routes (the empty match caches) per cache slot",
    "memory.lru_value_bytes": "0: a cached match holds references to live routes; its key is in the per-request garbage",
    "memory.build_garbage_per_route_bytes": "slope of (bytes read and build allocate - router bytes) against routes",
    "memory.build_held_per_route_bytes": "slope against routes of what the build holds until it ends (the decoded "
                                         "routes: heap with them beside the current router, full collections, "
                                         "less the heap without them); at most the build's garbage",
    "memory.entity_cache_bytes_per_route": "0: the testbed has no entity cache",
    "memory.baseline_heap_bytes": "median Lua heap without a router",
    "memory.non_heap_bytes": "the quiet worker's proportional set size less its Lua heap, fitted against the "
                             "routes: the value at zero routes (the rest grows with the first build's freed pages "
                             "the allocator keeps)",
    "cluster.master_memory_bytes": "fit of the master's proportional set size against routes (it loads the "
                                   "route set into its own heap and the store), at the experiment's routes",
    "memory.first_touch_ns_per_byte": "median over three fresh one-worker gateways of the CPU of "
                                      "allocating 64 MiB of small tables into pages the worker never "
                                      "held, less the same allocation into the pages the allocator kept, per "
                                      "byte (measure_first_touch)",
    "memory.release_delay_s": "0 if a worker gives back to the OS at least half of the pages it freed within "
                              "RELEASE_WAIT_S, else HELD_FOR_THE_RUN_S: freed pages stay resident and the heap "
                              "grows back into them",
    "cost.read_ns_per_route": "CPU of reading and decoding the pages per route, as measured at each route count, "
                              "interpolated at the experiment's routes (it grows with the route count)",
    "cost.build_ns_per_path": "idem: the build's CPU less its two sorts, per path",
    "cost.build_ns_per_path_log": "idem: the sort's CPU (timed inside the build) per P log2 P of the P paths",
    "cost.prefix_sort_ns_per_path_log": "idem: the second sort's (the prefix paths by length, at the build's end) "
                                        "per P log2 P of all P paths",
    "traffic.match_miss_cpu_s": "match CPU on cache misses of requests that find a route, as the worker times "
                                "each select during the quiet load (every key once), at each route count, "
                                "interpolated at the experiment's routes (it grows faster than the routes, the "
                                "regex list scanned with a heap that outgrows the caches). POST /measure's "
                                "back-to-back passes (miss_cpu_s) run with warmer caches: 20-50% less",
    "traffic.match_no_route_cpu_s": "idem, of the NO_ROUTE_REQUESTS requests aimed at no route spread through that "
                                    "load (the router tries every category from the request's own on, each one's "
                                    "whole list, and the whole prefix list: several times a miss that finds a "
                                    "route; POST /measure times them back to back too, no_route_cpu_s)",
    "traffic.match_hit_cpu_s": "median match CPU on cache hits",
    "traffic.request_garbage_bytes": "fit of bytes a match allocates against routes, at the experiment's routes",
    "traffic.plugin_cpu_s": "worker CPU per request under quiet load, less the match (the mean of the selects "
                            "the worker timed during that load), as measured at each route count, interpolated at "
                            "the experiment's routes",
    "traffic.upstream_latency_s": "median quiet latency less the worker CPU per request",
    "traffic.upstream_cpu_s": "worker CPU per request of the same quiet load sent to the upstream stub's port "
                              "straight (the stub is a server block of the gateway's own nginx, so a worker serves "
                              "every upstream leg), median over the points; left out of traffic.plugin_cpu_s",
    "memory.gc_mark_ns_per_byte": "median over the points of one collector cycle the worker steps through by "
                                  "hand: marking CPU per live byte (see gc_costs)",
    "memory.gc_sweep_ns_per_byte": "idem: sweeping CPU per byte present when the sweep starts, live or dead, "
                                   "less the freeing (see gc_costs)",
    "memory.gc_free_ns_per_byte": "median over the points of the freeing CPU per dead byte, on top of sweeping "
                                  "it: from the two timed full collections, with and without a router as "
                                  "garbage (see gc_costs)",
    "memory.gc_mean_object_bytes": "idem: the heap at the sweep's start over the objects swept (LuaJIT charges "
                                   "10 work units per object swept and a step does stepmul / 10 units per 100 bytes "
                                   "of GCSTEPSIZE, so objects = sweep steps x stepmul)",
    "cost.incremental_ns_per_change": "fit against routes of the CPU of an in-place change as a one-worker "
                                      "gateway with the incremental router applies it, one route update per "
                                      "write (medians of CHANGES; see measure_changes), at the experiment's "
                                      "routes",
    "kong.yield_delay_s": "median over the points of a lone rebuild's wall time less its CPU per yield (the "
                          "testbed yields with ngx.sleep(0.001), as Debian's nginx cannot hand the loop over with "
                          "ngx.sleep(0)); also the page reads' latency, as the build yields after every page",
    "cluster.cpu_cores": "the cores the gateway's processes may run on (their CPU affinity): the testbed's "
                         "workers share them, with the harness's load generator and sampler",
    "cluster.build_contention": "the CPU of two builds at once on two one-worker gateways over that of one at a "
                                "time, less 1 (median of CONTENTION_ROUNDS rounds' ratios at CONTENTION_ROUTES "
                                "routes or the matrix's largest count below it, the collector stopped; see "
                                "measure_contention)",
    "traffic.regex_compile_cpu_s": "median CPU of a find through ngx.re's cache that compiles: the distinct regex "
                                   "paths of REGEX_ROUTES synthetic routes (more than lua_regex_cache_max_entries) "
                                   "tried in order on a path none matches, as the router's scan tries them, "
                                   "collector stopped (see measure_regex)",
    "memory.regex_object_bytes": "idem: Lua heap each such find allocates (the cdata, its cache key and entry)",
    "memory.regex_native_bytes": "idem: resident memory each such find adds beyond the Lua heap (the pattern's "
                                 "PCRE and JIT code, freed by the evicted cdata's finalizer)",
    "traffic.regex_compile_ns_per_native_mib": "least-squares slope of the CPU of such a find against the native "
                                               "code the worker holds, as REGEX_GROWTH_PASSES passes over those "
                                               "paths pile it up with the collector stopped (see "
                                               "measure_regex_growth; 0 when not measured)",
}

#: Routes of the synthetic set whose distinct regex paths measure ngx.re's
#: cache past its capacity (about 2,200 paths, twice lua_regex_cache_max_entries).
REGEX_ROUTES = 50000

#: Kong's rule (router.lua): a path holding any other character is a regex.
_PLAIN_PATH = re.compile(r"[a-zA-Z0-9.\-_~/%]*")


def regex_paths(route_set: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct regex paths of a route set, in the order they first appear."""
    seen: dict[str, None] = {}
    for r in route_set:
        for p in r.get("paths") or ():
            if _PLAIN_PATH.fullmatch(p) is None:
                seen.setdefault(p, None)
    return list(seen)


def _clean_request(q: Mapping[str, Any]) -> dict[str, Any]:
    out = {"method": q["method"], "host": q["host"], "path": q["path"], "scheme": q.get("scheme") or "http",
           "headers": {str(k).lower(): v for k, v in q.get("headers", [])}}
    if q.get("sni"):
        out["sni"] = q["sni"]
    return out


def _figure(point: Mapping[str, Any], *names: str) -> float:
    """The first of `names` the point holds as a finite number (figures added later fall back on older ones)."""
    for name in names:
        v = point.get(name)
        if isinstance(v, (int, float)) and math.isfinite(v):
            return float(v)
    raise ValueError(f"calibration point at {point.get('routes')} routes lacks {names[-1]}")


def _quiet_stream(raw: Sequence[Mapping[str, Any]], no_route: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The calibration's quiet load: `raw` without repeated keys, the requests `no_route` spread evenly among
    them (every match a miss)."""
    from .load import Request
    from .workload import cache_key

    def request(q: Mapping[str, Any]) -> Request:
        headers = q["headers"].items() if isinstance(q["headers"], Mapping) else q["headers"]
        return Request(path=q["path"], method=q["method"], host=q["host"], headers=tuple((k, v) for k, v in headers))

    found = list({cache_key(r): r for r in map(request, raw)}.values())
    none = list({cache_key(r): r for r in map(request, no_route)}.values())
    step = len(found) / max(1, len(none))
    placed = [(float(i), r) for i, r in enumerate(found)] + [((j + 0.5) * step, r) for j, r in enumerate(none)]
    return [r for _, r in sorted(placed, key=lambda p: p[0])]


def _load_select_cpu(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, float]:
    """The worker's own timing of the selects of a load, from its figures before and after: CPU per select that
    found a route (``load_miss_cpu_s``), that found none (``load_no_route_cpu_s``) and of all of them
    (``load_select_cpu_s``); NaN without any."""
    out: dict[str, float] = {}
    total_n, total_cpu = 0, 0.0
    for kind, name in (("matched", "load_miss_cpu_s"), ("not_found", "load_no_route_cpu_s")):
        n = int(after.get(kind, 0)) - int(before.get(kind, 0))
        cpu = float(after.get(f"{kind}_select_cpu_s", 0.0)) - float(before.get(f"{kind}_select_cpu_s", 0.0))
        out[name] = cpu / n if n > 0 else float("nan")
        total_n, total_cpu = total_n + n, total_cpu + cpu
    out["load_selects"] = total_n
    out["load_select_cpu_s"] = total_cpu / total_n if total_n > 0 else float("nan")
    return out


def _measure_body(raw: Sequence[Mapping[str, Any]], routes: int, seed: int) -> dict[str, Any]:
    """The body of ``POST /measure``: the requests `raw` and NO_ROUTE_REQUESTS aimed at no route."""
    from .. import _core

    none = _core.synthetic_requests(routes, NO_ROUTE_REQUESTS, seed=seed + 3, route_seed=seed, miss_fraction=1.0)
    return {"requests": [_clean_request(q) for q in raw], "no_route_requests": [_clean_request(q) for q in none]}


def _cores() -> int:
    """Cores this process (and the gateway it starts) may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc/<pid>/stat)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _pss(pid: int) -> int:
    """Proportional set size: resident bytes with pages shared among processes split between them.

    Summed over the gateway's processes it counts every page once, as the pod's cgroup does; resident
    sizes would count nginx's and LuaJIT's shared pages once per process.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return _rss(pid)


def measure(routes: int, seed: int = 1, requests: int = 200, cache_slots: int = 5000,
            load_rate_per_s: float = 100.0, repeats: int = 3) -> dict[str, Any]:
    """One calibration point: the figures of a one-worker gateway holding `routes` synthetic routes.

    The gateway measures itself `repeats` times (1-20); each figure is the median.
    """
    if not 1 <= repeats <= 20:
        raise ValueError(f"repeats must be in [1, 20], got {repeats!r}")
    from .. import _core
    from .load import run_open_loop

    route_set = _core.synthetic_routes(routes, seed=seed)
    raw = _core.synthetic_requests(routes, requests, seed=seed + 1, route_seed=seed)
    # The timer finds nothing to do until the rebuilds at the end (a store
    # version check every 0.2 s).
    settings = GatewaySettings(workers=1, update_frequency_s=0.2, cache_slots=cache_slots)
    with Gateway(settings).start(route_set, timeout_s=600) as gw:
        # Memory of the quiet gateway, before the measurements below build
        # and drop routers of their own.
        time.sleep(0.3)
        worker = gw.worker_pids()[0]
        quiet = gw.workers()[0]
        quiet_pss = {"worker": _pss(worker), "master": _pss(gw.process.pid)}
        # Matching on misses grows with the regex count (and recompiles every
        # pattern once they outnumber lua_regex_cache_max_entries): allow time.
        # CPU times on a shared machine vary by tens of percent from one
        # build to the next: each figure is the median of `repeats` runs.
        body = _measure_body(raw, routes, seed)
        runs = [gw._admin("POST", "/measure", body, timeout_s=1800) for _ in range(repeats)]
        figures = {k: (statistics.median(float(r[k]) for r in runs) if isinstance(v, (int, float)) else v)
                   for k, v in runs[0].items()}
        figures["quiet_heap_bytes"] = float(quiet["lua_kb"]) * 1024
        figures["quiet_worker_pss_bytes"] = quiet_pss["worker"]
        figures["master_pss_bytes"] = quiet_pss["master"]
        # The measurements leave the heap small (full collections) after
        # routers of hundreds of MB: what the allocator keeps of them, at
        # once and a while later, says whether freed pages go back to the OS.
        figures["worker_rss_bytes"] = _rss(worker)
        figures["master_rss_bytes"] = _rss(gw.process.pid)
        figures["after_heap_bytes"] = float(gw.workers()[0]["lua_kb"]) * 1024
        figures["after_worker_pss_bytes"] = _pss(worker)
        time.sleep(RELEASE_WAIT_S)
        figures["later_heap_bytes"] = float(gw.workers()[0]["lua_kb"]) * 1024
        figures["later_worker_pss_bytes"] = _pss(worker)
        figures["routes"] = routes
        figures["services"] = len({r["service"] for r in route_set})
        figures["store_bytes"] = len(json.dumps(route_set))
        # A short quiet load: worker CPU and latency per request, and the
        # match's CPU as the worker times it between requests (caches colder
        # than in POST /measure's back-to-back passes): every key once, so
        # every match misses, with the requests aimed at no route spread
        # among those that find one.
        stream = _quiet_stream(raw, body["no_route_requests"])
        before_load = gw.workers()[0]
        cpu0 = _proc_cpu_s(worker)
        outcomes = run_open_loop(gw.ports.proxy, stream, load_rate_per_s, len(stream) / load_rate_per_s)
        cpu = _proc_cpu_s(worker) - cpu0
        figures.update(_load_select_cpu(before_load, gw.workers()[0]))
        latencies = [o.latency_s for o in outcomes if o.latency_s is not None]
        figures["request_cpu_s"] = cpu / max(1, len(outcomes))
        figures["quiet_latency_p50_s"] = statistics.median(latencies) if latencies else float("nan")
        figures["proxied_share"] = sum(1 for o in outcomes if o.status not in (0, 404)) / max(1, len(outcomes))
        # The upstream stub is a server block of the same nginx: the worker
        # serves every proxied request's upstream leg too. The same load sent
        # to the stub's port straight gives that leg's CPU alone.
        cpu0 = _proc_cpu_s(worker)
        direct = run_open_loop(gw.ports.upstream, stream, load_rate_per_s, len(stream) / load_rate_per_s)
        figures["upstream_cpu_s"] = (_proc_cpu_s(worker) - cpu0) / max(1, len(direct))
        # Whole rebuilds as the gateway runs them (no-op writes), the collector
        # at its pace: a check of the model on a lone worker, not a fit.
        walls, cpus, yields = [], [], []
        for _ in range(repeats + 2):
            version = gw.write("noop")
            w = gw.wait_until_built(version, timeout_s=600)[0]
            walls.append(float(w["last_build_ms"]) / 1e3)
            cpus.append(float(w["last_build_cpu_ms"]) / 1e3)
            yields.append(float(w.get("last_build_yields", 0)))
            time.sleep(0.3)
        figures["rebuild_wall_s"] = statistics.median(walls)
        figures["rebuild_cpu_s"] = statistics.median(cpus)
        figures["rebuilds"] = len(cpus)
        # A lone build's wall time beyond its CPU is its yields' (nothing else
        # runs on the worker): the time each one takes to come back.
        figures["rebuild_yields"] = statistics.median(yields)
        figures["yield_delay_s"] = statistics.median(
            max(0.0, wall - cpu) / y for wall, cpu, y in zip(walls, cpus, yields) if y > 0) if any(yields) else 0.0
    return figures


def sample_cpu(counts: Sequence[int], seed: int = 1, rounds: int = CPU_ROUNDS, requests: int = 200,
               cache_slots: int = 5000, progress: Optional[Callable[[str], None]] = None
               ) -> dict[int, dict[str, list[float]]]:
    """The CPU figures of ``POST /measure`` (:data:`CPU_FIGURES`), `rounds` samples (1-20) per route count.

    One one-worker gateway per route count runs for the whole sampling, and each round measures every count
    once, starting one count further along than the round before, so that every count's samples spread
    over the same stretch of time and a slow minute of the machine falls on all counts alike. The
    gateways measure one at a time (a build beside another can take more CPU: they share the last-level
    cache and the memory bus, see :func:`measure_contention`). Returns ``{routes: {figure: [sample, ...]}}``.
    """
    if not 1 <= rounds <= 20:
        raise ValueError(f"rounds must be in [1, 20], got {rounds!r}")
    from contextlib import ExitStack

    from .. import _core

    counts = sorted(set(int(c) for c in counts))
    out: dict[int, dict[str, list[float]]] = {n: {k: [] for k in CPU_FIGURES} for n in counts}
    settings = GatewaySettings(workers=1, update_frequency_s=0.2, cache_slots=cache_slots)
    with ExitStack() as stack:
        gateways, bodies = [], []
        for n in counts:
            gateways.append(stack.enter_context(Gateway(settings).start(_core.synthetic_routes(n, seed=seed),
                                                                        timeout_s=600)))
            raw = _core.synthetic_requests(n, requests, seed=seed + 1, route_seed=seed)
            bodies.append(_measure_body(raw, n, seed))
        for r in range(rounds):
            if progress:
                progress(f"CPU round {r + 1} of {rounds} over {len(counts)} route counts")
            for j in range(len(counts)):
                k = (r + j) % len(counts)
                figures = gateways[k]._admin("POST", "/measure", bodies[k], timeout_s=1800)
                for name in CPU_FIGURES:
                    out[counts[k]][name].append(float(figures[name]))
    return out


def measure_changes(routes: int, seed: int = 1, changes: int = CHANGES) -> dict[str, Any]:
    """In-place changes as the incremental router's worker applies them: one route update per write.

    A one-worker gateway with the incremental router and `routes` synthetic routes takes `changes` route
    updates (each route written as it is), a third of a second apart, and reports each one's CPU as the
    worker timed it: reading the store's change log and the route, the change, the flush. One change on
    its own costs several times the average of many back to back, the figure ``POST /measure`` gives
    (incremental_change_cpu_s; 0.18-0.47 against 0.05 ms at 8,000 routes): its code and data are cold.
    Returns ``{"change_cpu_s": median, "samples": [...]}``.
    """
    if not 1 <= changes <= 100:
        raise ValueError(f"changes must be in [1, 100], got {changes!r}")
    from .. import _core

    route_set = _core.synthetic_routes(routes, seed=seed)
    settings = GatewaySettings(workers=1, update_frequency_s=0.2, router="incremental")
    samples = []
    with Gateway(settings).start(route_set, timeout_s=600) as gw:
        step = max(1, len(route_set) // changes)
        for k in range(changes):
            route = route_set[(k * step) % len(route_set)]
            version = gw.write("update_route", id=route["id"], body=route)
            w = gw.wait_until_built(version, timeout_s=60)[0]
            samples.append(float(w["last_build_own_cpu_ms"]) / 1e3)
            time.sleep(0.3)
    return {"change_cpu_s": statistics.median(samples), "samples": samples}


def measure_contention(routes: int = CONTENTION_ROUTES, seed: int = 1, rounds: int = CONTENTION_ROUNDS,
                       progress: Optional[Callable[[str], None]] = None) -> dict[str, Any]:
    """How much more CPU a build takes while another build runs on the other core.

    Two one-worker gateways hold the same `routes` synthetic routes. Each round (1-20) has both measure a
    build (``POST /measure``: reading the pages and ``Router.new``, the collector stopped) one at a time,
    then both at once, in an order that alternates between rounds. Each round's ratio is the mean CPU of
    its two paired builds over that of its two lone ones, taken within seconds of each other so that the
    machine's drift cancels; ``contention`` is the median ratio less 1 (0 when the pair took no more): the
    extra CPU a build needs per other build beside it (``cluster.build_contention``). A lone build's CPU
    scatters by about 15%, so single rounds range widely (0.8-1.5 at 10,000 routes); the samples are kept.
    """
    if not 1 <= rounds <= 20:
        raise ValueError(f"rounds must be in [1, 20], got {rounds!r}")
    import threading

    from .. import _core

    route_set = _core.synthetic_routes(routes, seed=seed)
    settings = GatewaySettings(workers=1, update_frequency_s=0.2)
    # No requests: the matches are not what contends here.
    body: dict[str, Any] = {"requests": []}

    def build_cpu(figures: Mapping[str, Any]) -> float:
        return float(figures["read_cpu_s"]) + float(figures["build_cpu_s"])

    lone: list[float] = []
    paired: list[float] = []
    ratios: list[float] = []
    with Gateway(settings).start(route_set, timeout_s=600) as a, Gateway(settings).start(route_set, timeout_s=600) as b:
        for gw in (a, b):  # a first build each, not kept: the code paths get compiled
            gw._admin("POST", "/measure", body, timeout_s=600)
        for r in range(rounds):
            if progress:
                progress(f"builds alone and side by side, round {r + 1} of {rounds} ({routes:,} routes)")
            for together in ((False, True) if r % 2 == 0 else (True, False)):
                if not together:
                    lone.extend(build_cpu(gw._admin("POST", "/measure", body, timeout_s=600)) for gw in (a, b))
                    continue
                results: list[Any] = [None, None]
                errors: list[BaseException] = []

                def run(k: int, gw: Gateway) -> None:
                    try:
                        results[k] = gw._admin("POST", "/measure", body, timeout_s=600)
                    except BaseException as e:  # noqa: BLE001 - re-raised below
                        errors.append(e)

                threads = [threading.Thread(target=run, args=(k, gw)) for k, gw in enumerate((a, b))]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                if errors:
                    raise errors[0]
                paired.extend(build_cpu(x) for x in results)
            ratios.append(sum(paired[-2:]) / sum(lone[-2:]))
    return {"routes": routes, "rounds": rounds, "lone_cpu_s": lone, "paired_cpu_s": paired, "ratios": ratios,
            "contention": max(0.0, statistics.median(ratios) - 1.0)}


def cpu_spread(point: Mapping[str, Any], figure: str = "build_cpu_s") -> tuple[float, float, float]:
    """A calibration point's CPU figure: (median, lowest, highest) of its samples (the figure alone if none)."""
    samples = point.get("cpu_samples", {}).get(figure) or [float(point[figure])]
    return statistics.median(samples), min(samples), max(samples)


def measure_regex(seed: int = 1, passes: int = 3, repeats: int = 3) -> dict[str, float]:
    """ngx.re's cache past its capacity, measured by a one-worker gateway (admin ``POST /measure_regex``).

    The distinct regex paths of :data:`REGEX_ROUTES` synthetic routes are tried in order, `passes` times after
    a first pass that fills the cache; each figure is the median of `repeats` measurements.
    """
    if not 1 <= repeats <= 20:
        raise ValueError(f"repeats must be in [1, 20], got {repeats!r}")
    from .. import _core
    from .gateway import REGEX_CACHE_ENTRIES

    patterns = regex_paths(_core.synthetic_routes(REGEX_ROUTES, seed=seed))
    if len(patterns) <= REGEX_CACHE_ENTRIES:
        raise ValueError(f"{REGEX_ROUTES} synthetic routes give {len(patterns)} regex paths, not more than "
                         f"lua_regex_cache_max_entries = {REGEX_CACHE_ENTRIES}")
    settings = GatewaySettings(workers=1, update_frequency_s=1.0)
    with Gateway(settings).start(_core.synthetic_routes(1000, seed=seed), timeout_s=120) as gw:
        runs = [gw._admin("POST", "/measure_regex", {"patterns": patterns, "passes": passes}, timeout_s=600)
                for _ in range(repeats)]
    return {k: statistics.median(float(r[k]) for r in runs) for k in runs[0]}


#: measure_regex_growth's passes over the patterns (each adds about 4.5 MiB of native code).
REGEX_GROWTH_PASSES = 150


def measure_first_touch(seed: int = 1, mib: int = 64, gateways: int = 3) -> dict[str, Any]:
    """The CPU of memory a worker touches for the first time (admin ``POST /measure_first_touch``).

    Each of `gateways` (1-9) fresh one-worker gateways (1,000 routes) allocates `mib` MiB (8-1024) of small
    Lua tables with its collector stopped, then, once they are collected, the same again into the pages its
    allocator kept: the CPU difference over the difference in new resident bytes (the allocator gives part of
    what it freed back) is the page faults and zeroing of new memory. Returns every gateway's figures
    (``runs``) and the median ``ns_per_byte`` (``memory.first_touch_ns_per_byte``). RuntimeError when no
    gateway's second allocation touched at least 8 MiB fewer new pages than its first.
    """
    if not (isinstance(gateways, int) and 1 <= gateways <= 9):
        raise ValueError(f"gateways must be an integer in [1, 9], got {gateways!r}")
    if not (isinstance(mib, int) and 8 <= mib <= 1024):
        raise ValueError(f"mib must be an integer in [8, 1024], got {mib!r}")
    from .. import _core

    runs = []
    for _ in range(gateways):
        with Gateway(GatewaySettings(workers=1, update_frequency_s=1.0)).start(
                _core.synthetic_routes(1000, seed=seed), timeout_s=120) as gw:
            r = gw._admin("POST", "/measure_first_touch", {"mib": mib}, timeout_s=300)
        r = {k: float(v) for k, v in r.items()}
        # The allocator gives part of what it freed back to the kernel, so the second allocation touches some
        # new pages too: the CPU difference is divided by the difference in new resident bytes.
        new_pages = r["resident_first_bytes"] - r["resident_again_bytes"]
        r["ns_per_byte"] = (max(0.0, r["first_cpu_s"] - r["again_cpu_s"]) * 1e9 / new_pages
                            if new_pages >= (8 << 20) else float("nan"))
        runs.append(r)
    valid = [r["ns_per_byte"] for r in runs if math.isfinite(r["ns_per_byte"])]
    if not valid:
        raise RuntimeError("measure_first_touch: the second allocation touched as many new pages as the first in "
                           f"every gateway ({runs!r}); cannot separate the cost of new memory")
    return {"mib": mib, "runs": runs, "ns_per_byte": statistics.median(valid)}


def measure_regex_growth(seed: int = 1, passes: int = REGEX_GROWTH_PASSES) -> dict[str, Any]:
    """How finds that compile slow down as evicted patterns' code piles up (admin ``POST /measure_regex_growth``).

    A one-worker gateway tries the patterns of :func:`measure_regex` in order `passes` times with its
    collector stopped, so that nothing is freed and the native code held grows by every find's. Every find
    compiles and adds its pattern's code; PCRE's JIT allocator finds room for the next by walking, first fit,
    a free list that keeps a leftover per chunk of code, so the finds slow as the pile grows.

    Returns every pass (``cpu_s`` per find, ``resident_bytes`` and ``heap_bytes`` after it, and
    ``native_mib``: resident memory gained since the first pass less heap gained, the code added), the
    median CPU per find over the first and the last fifth of the passes (``cpu_s_first``, ``cpu_s_last``)
    and a least-squares line of the CPU per find against ``native_mib``: ``cpu_s_at_first`` +
    ``ns_per_native_mib`` * 1e-9 * MiB, with its R^2 (``traffic.regex_compile_ns_per_native_mib``).
    """
    if not (isinstance(passes, int) and 5 <= passes <= 500):
        raise ValueError(f"passes must be an integer in [5, 500], got {passes!r}")
    import numpy as np

    from .. import _core

    patterns = regex_paths(_core.synthetic_routes(REGEX_ROUTES, seed=seed))
    settings = GatewaySettings(workers=1, update_frequency_s=1.0)
    with Gateway(settings).start(_core.synthetic_routes(1000, seed=seed), timeout_s=120) as gw:
        r = gw._admin("POST", "/measure_regex_growth", {"patterns": patterns, "passes": passes}, timeout_s=900)
    heap0, resident0 = float(r["heap_bytes"][0]), float(r["resident_bytes"][0])
    rows = [{"cpu_s": float(c), "resident_bytes": float(m), "heap_bytes": float(h),
             "native_mib": max(0.0, (float(m) - resident0) - (float(h) - heap0)) / 2**20}
            for c, m, h in zip(r["cpu_s"], r["resident_bytes"], r["heap_bytes"])]
    cpu = np.array([p["cpu_s"] for p in rows])
    mib = np.array([p["native_mib"] for p in rows])
    (a, b), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(mib), mib]), cpu, rcond=None)
    spread = float(np.sum((cpu - cpu.mean()) ** 2))
    r2 = 1.0 - float(np.sum((cpu - (a + b * mib)) ** 2)) / spread if spread > 0 else 0.0
    fifth = max(1, len(rows) // 5)
    return {"patterns": int(r["patterns"]), "passes": rows,
            "cpu_s_first": statistics.median(p["cpu_s"] for p in rows[:fifth]),
            "cpu_s_last": statistics.median(p["cpu_s"] for p in rows[-fifth:]),
            "native_mib_last": rows[-1]["native_mib"],
            "cpu_s_at_first": float(a), "ns_per_native_mib": max(0.0, float(b) * 1e9), "r2": r2}


def mean_object_bytes(point: Mapping[str, Any]) -> float:
    """Mean Lua object size from the stepped cycle: the heap at its start over the objects its sweep visited.

    A LuaJIT step does (GCSTEPSIZE / 100) * stepmul = 10.24 * stepmul units of work (1,024-byte steps,
    stepmul in percent; LuaJIT computes 10 * stepmul in integers) and sweeping costs 10 units per object,
    so a sweep of k steps visits k * stepmul objects. 64 B (the model's default) when the point has no
    stepped cycle.
    """
    steps = float(point.get("gc_phase_sweep_steps") or 0.0)
    heap = float(point.get("gc_phase_heap_bytes") or 0.0)
    stepmul = float(point.get("gc_stepmul") or 0.0)
    if steps <= 0 or heap <= 0 or stepmul <= 0:
        return 64.0
    return min(1 << 30, max(8.0, heap / (steps * stepmul)))


def gc_costs(point: Mapping[str, Any]) -> tuple[float, float, float]:
    """(mark, sweep, free) CPU in ns per byte: per live byte marked, per byte swept (live or dead) and per dead
    byte freed, on top of sweeping it (a dead object goes back to the allocator, a live one only has its mark
    flipped).

    Marking comes from one collector cycle the worker stepped through by hand with a dropped router as garbage
    (``gc_phase_*``): it walks the bytes that stay live (the heap at the cycle's start less what it freed).
    Freeing comes from the two timed full collections: with W bytes live and none dead a collection costs
    T1 = (m + s) W; once the new router (R bytes) is garbage it costs T2 = m (W - R) + s W + f R, hence
    f = m + (T2 - T1) / R. Sweeping is the stepped cycle's sweep less its freeing: s = (S - f F) / H for the
    H bytes present at its start, of which it freed F. Points without the stepped cycle fall back on the two
    collections alone, with f = 0: s = (T2 - T1 (W - R) / W) / R and m = T1 / W - s. Each value is clamped
    at 0 (timer noise).
    """
    w = float(point["heap_bytes"] + point["router_bytes"])
    r = float(point["router_bytes"])
    t1 = float(point["collect_live_cpu_s"]) * 1e9
    t2 = float(point["collect_garbage_cpu_s"]) * 1e9
    heap = float(point.get("gc_phase_heap_bytes") or 0.0)
    freed = float(point.get("gc_phase_freed_bytes") or 0.0)
    if heap > 0 and heap > freed >= 0 and point.get("gc_phase_mark_cpu_s") is not None:
        mark = max(0.0, float(point["gc_phase_mark_cpu_s"]) * 1e9 / (heap - freed))
        free = max(0.0, mark + (t2 - t1) / r) if r > 0 else 0.0
        sweep = max(0.0, (float(point["gc_phase_sweep_cpu_s"]) * 1e9 - free * freed) / heap)
        return mark, sweep, free
    if w <= 0 or r <= 0:
        return 0.0, 0.0, 0.0
    sweep = max(0.0, (t2 - t1 * (w - r) / w) / r)
    mark = max(0.0, t1 / w - sweep)
    return mark, sweep, 0.0


def _non_heap(points: Sequence[Mapping[str, Any]], fits: Mapping[str, Mapping[str, Any]]) -> float:
    """Worker memory outside the Lua heap: the quiet fit's value at zero routes (calibrations made before
    the quiet figures existed: the median of resident memory less the heap)."""
    if all("quiet_worker_pss_bytes" in p for p in points):
        return max(0.0, float(fits["quiet_non_heap_bytes"]["a"]))
    return statistics.median(max(0, p["worker_rss_bytes"] - p["heap_bytes"]) for p in points)


def release_delay_s(points: Sequence[Mapping[str, Any]]) -> float:
    """memory.release_delay_s from what the workers kept of their freed pages (see PARAMETERS)."""
    kept = []
    for p in points:
        if "later_worker_pss_bytes" not in p:
            continue
        after = p["after_worker_pss_bytes"] - p["after_heap_bytes"]
        later = p["later_worker_pss_bytes"] - p["later_heap_bytes"]
        if after > 0:
            kept.append(later / after)
    if not kept:
        return 0.0
    return HELD_FOR_THE_RUN_S if statistics.median(kept) >= 0.5 else 0.0


def calibrate(counts: Sequence[int] = MATRIX_QUICK, seed: int = 1,
              progress: Optional[Callable[[str], None]] = None, rounds: int = CPU_ROUNDS,
              regex_growth: bool = False) -> dict[str, Any]:
    """Measure every route count of `counts` and fit the simulator's parameters.

    The memory figures and the whole rebuilds come from :func:`measure`, one route count at a time; the
    CPU figures of ``POST /measure`` are replaced by the medians of `rounds` samples per count
    (:func:`sample_cpu`), kept in each point's ``cpu_samples``.

    Returns ``{"points": [...], "fits": {name: fit}, "parameters": {field: value or {a, b}}}``;
    ``parameters`` values that depend on the route count are ``{"a": .., "b": ..}`` (value = a + b N).
    With `regex_growth`, :func:`measure_regex_growth` (about half a minute) gives
    ``traffic.regex_compile_ns_per_native_mib`` and is kept as ``regex_growth``; without it that is 0 and listed
    as not measured.
    """
    counts = sorted(set(int(c) for c in counts))
    if len(counts) < 2 or counts[0] < 1:
        raise ValueError(f"counts must hold at least two distinct route counts >= 1, got {counts!r}")
    if not 1 <= rounds <= 20:
        raise ValueError(f"rounds must be in [1, 20], got {rounds!r}")
    points = []
    for n in counts:
        if progress:
            progress(f"measuring {n:,} routes")
        point = measure(n, seed=seed)
        if progress:
            progress(f"in-place changes at {n:,} routes")
        changes = measure_changes(n, seed=seed)
        point["change_cpu_s"], point["change_cpu_samples"] = changes["change_cpu_s"], changes["samples"]
        points.append(point)
    samples = sample_cpu(counts, seed=seed, rounds=rounds, progress=progress)
    for point in points:
        point["cpu_samples"] = samples[point["routes"]]
        for name, values in point["cpu_samples"].items():
            point[name] = statistics.median(values)
    if progress:
        progress("measuring ngx.re's cache past its capacity")
    contention = measure_contention(min(CONTENTION_ROUTES, counts[-1]), seed=seed, progress=progress)
    if progress:
        progress("measuring memory touched for the first time")
    first_touch = measure_first_touch(seed)
    growth = None
    if regex_growth:
        if progress:
            progress("measuring finds that compile as native code piles up")
        growth = measure_regex_growth(seed)
    out = fit_points(points, seed, regex=measure_regex(seed), contention=contention, regex_growth=growth,
                     first_touch=first_touch)
    # CPU costs drift with the machine: the report of a validation says how old its calibration is.
    out["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return out


#: The simulator's own defaults for the regex-cache constants, for points saved without measure_regex.
_REGEX_DEFAULTS = {"compile_cpu_s": 30e-6, "object_bytes": 96.0, "native_bytes": 1024.0}


def fit_points(points: Sequence[Mapping[str, Any]], seed: int = 1,
               regex: Optional[Mapping[str, float]] = None,
               contention: Optional[Mapping[str, Any]] = None,
               regex_growth: Optional[Mapping[str, Any]] = None,
               first_touch: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """The fits and parameters of :func:`calibrate` from its measured points (e.g. a saved calibration's),
    :func:`measure_regex`'s figures, :func:`measure_contention`'s and :func:`measure_regex_growth`'s (the
    simulator's defaults when None, listed under ``not_measured``)."""
    from .. import _core

    points = sorted(points, key=lambda p: p["routes"])
    counts = [int(p["routes"]) for p in points]
    if len(set(counts)) < 2:
        raise ValueError(f"points must cover at least two distinct route counts, got {counts!r}")
    N = [float(p["routes"]) for p in points]
    P = [float(p["paths"]) for p in points]

    def fit(name: str, x: Sequence[float], y: Sequence[float], form: str) -> dict[str, Any]:
        # The fit needs y > 0 (relative residuals) and as many distinct sizes as terms.
        y = [max(v, 1e-12) for v in y]
        if form == "nlogn" and len(set(x)) < 3:
            form = "linear"
        result = _core.fit_cost(list(x), list(y), form)
        result["quantity"] = name
        return result

    fits = {
        "router_bytes": fit("router_bytes", N, [p["router_bytes"] for p in points], "linear"),
        "incremental_router_bytes": fit("incremental_router_bytes", N,
                                        [p.get("incremental_router_bytes", p["router_bytes"]) for p in points],
                                        "linear"),
        "build_garbage_bytes": fit("build_garbage_bytes", N,
                                   [p["read_alloc_bytes"] + p["build_alloc_bytes"] - p["router_bytes"] for p in points],
                                   "linear"),
        "held_bytes": fit("held_bytes", N, [p.get("held_bytes", 0.0) for p in points], "linear"),
        "build_ns": fit("build_ns", P, [(p["read_cpu_s"] + p["build_cpu_s"]) * 1e9 for p in points], "nlogn"),
        # The fits' quality is reported; the simulator reads the build's CPU
        # per unit as measured, interpolated at the experiment's size
        # (_measured_per_unit): the CPU per route grows with the route count,
        # faster than any a + b N + c N log2 N describes, as the heap outgrows
        # the caches (per path, 6.2 us at 1,000 routes and 9.4 us at 20,000).
        "read_ns": fit("read_ns", N, [p["read_cpu_s"] * 1e9 for p in points], "nlogn"),
        "loops_ns": fit("loops_ns", P, [(p["build_cpu_s"] - p["sort_cpu_s"] - p.get("prefix_sort_cpu_s", 0.0)) * 1e9
                                        for p in points], "nlogn"),
        "sort_ns": fit("sort_ns", P, [p["sort_cpu_s"] * 1e9 for p in points], "nlogn"),
        "miss_cpu_s": fit("miss_cpu_s", N, [p["miss_cpu_s"] for p in points], "linear"),
        "select_alloc_bytes": fit("select_alloc_bytes", N, [p["select_alloc_bytes"] for p in points], "linear"),
        "store_bytes": fit("store_bytes", N, [p["store_bytes"] for p in points], "linear"),
        "master_bytes": fit("master_bytes", N, [p.get("master_pss_bytes", p["master_rss_bytes"]) for p in points],
                            "linear"),
        "quiet_non_heap_bytes": fit("quiet_non_heap_bytes", N,
                                    [p.get("quiet_worker_pss_bytes", p["worker_rss_bytes"])
                                     - p.get("quiet_heap_bytes", p["heap_bytes"]) for p in points], "linear"),
        # A change as the worker applies it, one write at a time (points saved before it was measured:
        # the back-to-back average of POST /measure).
        "incremental_change_ns": fit("incremental_change_ns", N,
                                     [p.get("change_cpu_s", p["incremental_change_cpu_s"]) * 1e9 for p in points],
                                     "linear"),
    }
    slots = points[0]["cache_slots"]
    # The match as the worker timed it during the load (points saved before it did: as POST /measure timed it;
    # before that timed the selects apart, their mean over all was miss_cpu_s).
    # Less the upstream legs the worker served during that load (points measured before those were timed
    # apart keep them in the plugins' share).
    per_request_cpu = [max(0.0, p["request_cpu_s"] - _figure(p, "load_select_cpu_s", "select_cpu_s", "miss_cpu_s")
                           - p.get("upstream_cpu_s", 0.0) * p.get("proxied_share", 0.0))
                       for p in points]
    parameters: dict[str, Any] = {
        "memory.router_bytes_per_route": fits["router_bytes"]["b"],
        "memory.lru_slot_bytes": fits["router_bytes"]["a"] / slots,
        "memory.incremental_router_bytes_per_route": fits["incremental_router_bytes"]["b"],
        "memory.lru_value_bytes": 0.0,
        "memory.build_garbage_per_route_bytes": fits["build_garbage_bytes"]["b"],
        "memory.build_held_per_route_bytes": min(max(0.0, fits["held_bytes"]["b"]), fits["build_garbage_bytes"]["b"]),
        "memory.entity_cache_bytes_per_route": 0.0,
        "memory.baseline_heap_bytes": statistics.median(p["heap_bytes"] - p["router_bytes"] for p in points),
        "memory.non_heap_bytes": _non_heap(points, fits),
        "cluster.master_memory_bytes": {"a": fits["master_bytes"]["a"], "b": fits["master_bytes"]["b"]},
        "memory.release_delay_s": release_delay_s(points),
        "cost.read_ns_per_route": _measured_per_unit(N, [p["read_cpu_s"] * 1e9 / p["routes"] for p in points]),
        "cost.build_ns_per_path": _measured_per_unit(
            N, [(p["build_cpu_s"] - p["sort_cpu_s"] - p.get("prefix_sort_cpu_s", 0.0)) * 1e9 / p["paths"]
                for p in points]),
        "cost.build_ns_per_path_log": _measured_per_unit(
            N, [p["sort_cpu_s"] * 1e9 / (p["paths"] * math.log2(max(2.0, p["paths"]))) for p in points]),
        "cost.prefix_sort_ns_per_path_log": _measured_per_unit(
            N, [p.get("prefix_sort_cpu_s", 0.0) * 1e9 / (p["paths"] * math.log2(max(2.0, p["paths"])))
                for p in points]),
        "traffic.match_miss_cpu_s": _measured_per_unit(N, [_figure(p, "load_miss_cpu_s", "miss_cpu_s") for p in points]),
        "traffic.match_no_route_cpu_s": _measured_per_unit(
            N, [_figure(p, "load_no_route_cpu_s", "no_route_cpu_s", "miss_cpu_s") for p in points]),
        "traffic.match_hit_cpu_s": statistics.median(p["hit_cpu_s"] for p in points),
        "traffic.request_garbage_bytes": {"a": fits["select_alloc_bytes"]["a"], "b": fits["select_alloc_bytes"]["b"]},
        "traffic.plugin_cpu_s": _measured_per_unit(N, per_request_cpu),
        "traffic.upstream_latency_s": statistics.median(
            max(0.0, p["quiet_latency_p50_s"] - p["request_cpu_s"]) for p in points),
        "traffic.upstream_cpu_s": statistics.median(p.get("upstream_cpu_s", 0.0) for p in points),
        "cost.incremental_ns_per_change": {"a": fits["incremental_change_ns"]["a"],
                                           "b": fits["incremental_change_ns"]["b"]},
        "memory.gc_mark_ns_per_byte": statistics.median(gc_costs(p)[0] for p in points),
        "memory.gc_sweep_ns_per_byte": statistics.median(gc_costs(p)[1] for p in points),
        "memory.gc_free_ns_per_byte": statistics.median(gc_costs(p)[2] for p in points),
        "memory.gc_mean_object_bytes": statistics.median(mean_object_bytes(p) for p in points),
        "kong.yield_delay_s": statistics.median(p.get("yield_delay_s", 0.0) for p in points),
        "cluster.cpu_cores": float(_cores()),
        "store_bytes_per_route": fits["store_bytes"]["b"],
        "paths_per_route": statistics.median(p["paths"] / p["routes"] for p in points),
        "build_ns_constant": fits["build_ns"]["a"],
    }
    figures = dict(regex) if regex is not None else dict(_REGEX_DEFAULTS)
    parameters["traffic.regex_compile_cpu_s"] = float(figures["compile_cpu_s"])
    parameters["memory.regex_object_bytes"] = float(figures["object_bytes"])
    parameters["memory.regex_native_bytes"] = float(figures["native_bytes"])
    parameters["cluster.build_contention"] = float(contention["contention"]) if contention is not None else 0.0
    parameters["traffic.regex_compile_ns_per_native_mib"] = (
        float(regex_growth["ns_per_native_mib"]) if regex_growth is not None else 0.0)
    parameters["memory.first_touch_ns_per_byte"] = float(first_touch["ns_per_byte"]) if first_touch is not None else 0.0
    out = {"points": list(points), "fits": fits, "parameters": parameters, "counts": counts, "seed": seed,
           "regex": figures}
    if contention is not None:
        out["contention"] = dict(contention)
    if regex_growth is not None:
        out["regex_growth"] = dict(regex_growth)
    if first_touch is not None:
        out["first_touch"] = dict(first_touch)
    not_measured = []
    if regex is None:
        not_measured += ["traffic.regex_compile_cpu_s", "memory.regex_object_bytes", "memory.regex_native_bytes"]
    if contention is None:
        not_measured.append("cluster.build_contention")
    if regex_growth is None:
        not_measured.append("traffic.regex_compile_ns_per_native_mib")
    if first_touch is None:
        not_measured.append("memory.first_touch_ns_per_byte")
    if any("no_route_cpu_s" not in p for p in points):
        not_measured.append("traffic.match_no_route_cpu_s")
    if any("upstream_cpu_s" not in p for p in points):
        not_measured.append("traffic.upstream_cpu_s")
    if not_measured:
        out["not_measured"] = not_measured
    return out


def write_calibration(cal: Mapping[str, Any], path: Any) -> None:
    """Write a calibration as JSON (points, fits with R^2 and residuals, parameters)."""
    out = {
        "about": "gwsim testbed calibration: the simulator's parameters fitted for the testbed gateway "
                 "(nginx + LuaJIT, testbed/). Written by gwsim testbed calibrate; read by gwsim testbed validate.",
        "not_measured": [],
        "parameter_sources": PARAMETERS,
        **cal,
    }
    Path(path).write_text(json.dumps(out, indent=2, allow_nan=False))


#: Parameters a calibration written before they existed may lack: read as not measured, with the value each
#: function gives from the calibration's other parameters. A calibration that did not time requests aimed at no
#: route apart charged them the mean miss, its traffic.match_miss_cpu_s.
_ADDED_LATER: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "traffic.regex_compile_ns_per_native_mib": lambda p: 0.0,
    "memory.first_touch_ns_per_byte": lambda p: 0.0,
    "traffic.match_no_route_cpu_s": lambda p: p["traffic.match_miss_cpu_s"],
    # The stub's CPU stayed in traffic.plugin_cpu_s, charged with the request.
    "traffic.upstream_cpu_s": lambda p: 0.0,
}


def read_calibration(path: Any) -> dict[str, Any]:
    """A calibration written by :func:`write_calibration`; ValueError naming what is missing.

    Parameters added since a calibration was written (:data:`_ADDED_LATER`) take their defaults and are listed
    under ``not_measured``."""
    data = json.loads(Path(path).read_text())
    parameters = data.get("parameters", {})
    missing = [k for k in PARAMETERS if k not in parameters and k not in _ADDED_LATER]
    if missing:
        raise ValueError(f"{path}: not a testbed calibration (missing parameters: {', '.join(missing)})")
    for k, value_of in _ADDED_LATER.items():
        if k not in parameters:
            parameters[k] = value_of(parameters)
            data.setdefault("not_measured", []).append(k)
    return data


def _measured_per_unit(routes: Sequence[float], values: Sequence[float]) -> dict[str, list[float]]:
    """A cost (per unit, or per match) as measured at each calibration size, to be interpolated (see :func:`_at`)."""
    return {"routes": [float(n) for n in routes], "values": [max(0.0, float(v)) for v in values]}


def _at(value: Any, n: float) -> float:
    """A parameter at `n` routes.

    A number is a constant; ``{"a", "b"}`` is a value a + b n fitted against the routes;
    ``{"routes", "values"}`` are values measured at those route counts, interpolated linearly in n and held
    at the nearest end outside them.
    """
    if not isinstance(value, Mapping):
        return float(value)
    if "values" in value:
        xs, ys = [float(x) for x in value["routes"]], [float(y) for y in value["values"]]
        if n <= xs[0]:
            return ys[0]
        for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
            if n <= x1:
                return y0 + (y1 - y0) * (n - x0) / (x1 - x0)
        return ys[-1]
    return max(0.0, float(value["a"]) + float(value["b"]) * n)


_ADMIN_KINDS = {"noop": "noop", "update_route": "update_route", "create_route": "create_route",
                "delete_route": "delete_route"}


def _traffic_mix(config: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """traffic.no_route_fraction and traffic.unique_key_fraction of the experiment's own request stream (see
    :mod:`.workload`): the share aimed at no route, and the one-time keys among the rest."""
    from .workload import aimed_at_a_route, cache_key, stream_of, unique_key_fraction

    stream = stream_of(config)
    found = aimed_at_a_route(config, stream)
    keys = [cache_key(r) for r, f in zip(stream, found) if f]
    return {"no_route_fraction": (len(stream) - len(keys)) / len(stream),
            "unique_key_fraction": unique_key_fraction(keys, int(config["routes"]["count"]),
                                                       float(config["load"]["zipf_s"]))}


def _regex_path_count(config: Mapping[str, Mapping[str, Any]]) -> int:
    """Distinct regex paths of the experiment's route set (routes.regex_paths)."""
    from .. import _core

    r = dict(config["routes"])
    count, seed = r.pop("count"), r.pop("seed")
    return len(regex_paths(_core.synthetic_routes(count, seed=seed, **r)))


def _cores_left(cores: float, harness_cores: float) -> float:
    """The gateway's share of `cores` once the harness has taken its own (0 = a core per worker, unchanged)."""
    if cores <= 0:
        return 0.0
    return max(0.1 * cores, cores - harness_cores)


def scenario_for(config: Mapping[str, Mapping[str, Any]], calibration: Mapping[str, Any],
                 harness_cores: float = 0.0) -> dict[str, Any]:
    """The simulator scenario (a dict for gwsim.run) of a testbed experiment configuration under a calibration.

    `harness_cores`: the CPU the harness itself (load generator, sampler) takes from the gateway's cores, in
    cores (an experiment's ``summary["harness_cores"]``); 0 when unknown.
    """
    if not (math.isfinite(harness_cores) and harness_cores >= 0):
        raise ValueError(f"harness_cores must be a finite number >= 0, got {harness_cores!r}")
    from .experiment import settings as gateway_settings

    p = calibration["parameters"]
    gw = gateway_settings(config)
    n = float(config["routes"]["count"])
    load, writes = config["load"], config["writes"]
    script = [{"at_s": writes["start_s"] + k * writes["interval_s"], "kind": _ADMIN_KINDS[writes["kind"]]}
              for k in range(writes["count"]) if writes["start_s"] + k * writes["interval_s"] <= load["duration_s"]]
    return {
        "name": "testbed experiment",
        "strategy": "incremental" if gw.router == "incremental" else "full_rebuild",
        "cluster": {
            "nodes": 1,
            "workers_per_node": gw.workers,
            "pod_memory_limit_bytes": gw.memory_limit_bytes or (1 << 40),
            "master_memory_bytes": _at(p["cluster.master_memory_bytes"], n),
            "mem_cache_dicts": 0,
            "mem_cache_size_bytes": 0,
            "fixed_zones_bytes": p["store_bytes_per_route"] * n + (4 << 20),
            # nginx's master forks a new worker as soon as it reaps the
            # killed one; the new worker builds at its first timer tick.
            "respawn": "serve_errors_until_built",
            "respawn_delay_s": 0.0,
            # The harness starts a fresh gateway for every experiment.
            "start_heap": "just_built",
            "cpu_cores": _cores_left(float(p.get("cluster.cpu_cores", 0.0)), harness_cores),
            "build_contention": float(p.get("cluster.build_contention", 0.0)),
        },
        # The router tries its regex paths through ngx.re's cache on every
        # match-cache miss; a fresh worker's first miss compiles them.
        "routes": {"routes": int(n), "services": int(n), "paths_per_route": max(1.0, p["paths_per_route"]),
                   "regex_paths": _regex_path_count(config)},
        "traffic": {
            # The harness's client sends one request every 1/rate seconds.
            "mode": "periodic",
            "rate_per_s": load["rate_per_s"],
            "zipf_s": load["zipf_s"],
            **_traffic_mix(config),
            "client_timeout_s": load["timeout_s"],
            "match_miss_cpu_s": _at(p["traffic.match_miss_cpu_s"], n),
            "match_no_route_cpu_s": _at(p.get("traffic.match_no_route_cpu_s", p["traffic.match_miss_cpu_s"]), n),
            "match_hit_cpu_s": p["traffic.match_hit_cpu_s"],
            "request_garbage_bytes": _at(p["traffic.request_garbage_bytes"], n),
            "plugin_cpu_s": _at(p["traffic.plugin_cpu_s"], n),
            "upstream_latency_s": p["traffic.upstream_latency_s"],
            # The stub answers from the gateway's own workers: each upstream
            # leg waits for a worker's event loop (build slices included).
            "upstream_on_workers": True,
            "upstream_cpu_s": p.get("traffic.upstream_cpu_s", 0.0),
            "regex_compile_cpu_s": p.get("traffic.regex_compile_cpu_s", _REGEX_DEFAULTS["compile_cpu_s"]),
            "regex_compile_ns_per_native_mib": p.get("traffic.regex_compile_ns_per_native_mib", 0.0),
            # It keeps its connections open and reuses the one freed last:
            # while answers come back in time, one worker serves them all.
            "balance": "connections",
            "client_connections": int(load.get("connections", 8)),
        },
        "kong": {
            "worker_consistency": gw.mode,
            "worker_state_update_frequency_s": gw.update_frequency_s,
            "worker_event_delay_s": 0.0,
            "build_yield_every": gw.yield_every,
            "yield_delay_s": p.get("kong.yield_delay_s", 0.0) if gw.yield_every > 0 else 0.0,
            "rebuild_timeout_s": gw.lock_timeout_s,
            "regex_cache_entries": REGEX_CACHE_ENTRIES,
        },
        # The store is in shared memory: a page costs no wait of its own, but
        # a yielding full build yields after every page (an in-place change
        # of the incremental router reads its rows without yielding).
        "database": {"page_latency_s": p.get("kong.yield_delay_s", 0.0)
                     if gw.yield_every > 0 and gw.router != "incremental" else 0.0,
                     "page_cpu_s": 0.0},
        "memory": {
            "gc_pause": gw.gc_pause,
            "gc_stepmul": gw.gc_stepmul,
            "gc_mark_ns_per_byte": p["memory.gc_mark_ns_per_byte"],
            "gc_sweep_ns_per_byte": p["memory.gc_sweep_ns_per_byte"],
            "gc_free_ns_per_byte": p.get("memory.gc_free_ns_per_byte", 0.0),
            "gc_mean_object_bytes": p.get("memory.gc_mean_object_bytes", 64.0),
            "baseline_heap_bytes": p["memory.baseline_heap_bytes"],
            "router_bytes_per_route": p.get("memory.incremental_router_bytes_per_route",
                                            p["memory.router_bytes_per_route"])
            if gw.router == "incremental" else p["memory.router_bytes_per_route"],
            "build_garbage_per_route_bytes": p["memory.build_garbage_per_route_bytes"],
            "build_held_per_route_bytes": p.get("memory.build_held_per_route_bytes", 0.0),
            "regex_object_bytes": p.get("memory.regex_object_bytes", _REGEX_DEFAULTS["object_bytes"]),
            "regex_native_bytes": p.get("memory.regex_native_bytes", _REGEX_DEFAULTS["native_bytes"]),
            "entity_cache_bytes_per_route": 0.0,
            "lru_slots": gw.cache_slots,
            "lru_slot_bytes": p["memory.lru_slot_bytes"],
            "lru_value_bytes": 0.0,
            "non_heap_bytes": p["memory.non_heap_bytes"],
            "release_delay_s": p.get("memory.release_delay_s", 0.0),
            "first_touch_ns_per_byte": p.get("memory.first_touch_ns_per_byte", 0.0),
        },
        "cost": {"read_ns_per_route": _at(p.get("cost.read_ns_per_route", 0.0), n),
                 "build_ns_per_path": _at(p["cost.build_ns_per_path"], n),
                 "build_ns_per_path_log": _at(p["cost.build_ns_per_path_log"], n),
                 "prefix_sort_ns_per_path_log": _at(p.get("cost.prefix_sort_ns_per_path_log", 0.0), n),
                 "incremental_ns_per_change": _at(p["cost.incremental_ns_per_change"], n)},
        "admin": {"script": script},
        "run": {"duration_s": load["duration_s"], "sample_interval_s": config["sample"]["interval_s"]},
    }
