"""``gwsim testbed validate``: the simulator's predictions against the real gateway on held-out configurations.

Each held-out experiment (configurations the calibration never measured:
several workers, traffic, admin writes, pod limits) runs twice: through the
simulator, with the scenario :func:`gwsim.testbed.calibrate.scenario_for`
derives from it and a calibration, and on the testbed gateway. The report
puts predicted and measured side by side with the targets:

=====================================  ==========
quantity                               target
=====================================  ==========
peak Lua heap per worker               within 15%
steady Lua heap per worker (pre-write) within 15%
rebuild duration (mean)                within 20%
p99 latency over the run               within 30%
OOM verdict (any kill)                 the same
=====================================  ==========

and two plots per experiment: the mean-worker heap traces overlaid, and
the slowest request of every second on both sides (where a p99 is missed,
it shows when).
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

__all__ = ["HELD_OUT", "HELD_OUT_QUICK", "KNOWN_GAPS", "TARGETS", "compare", "lone_rebuilds", "rebuild_wall_mean_s",
           "simulated_slowest_per_second", "slowest_per_second",
           "validate", "worker_series", "write_report"]

#: What the simulator leaves out of this testbed, as far as the validation
#: has found; the report lists it under its tables.
KNOWN_GAPS = [
    "CPU costs drift with the machine, and the rebuilds and p99s follow the calibration's. The same full "
    "validation with a calibration made a day earlier predicted the rebuilds 28-39% short (none of 7 within "
    "20%) and the p99s 10-81% short (2 of 9); with one made the same hour, three validations met 5, 6 and 5 of "
    "7 rebuilds (4-28% short) and 6, 7 and 6 of 9 p99s. Between the two, a build's CPU at 5,000 routes (collector stopped) moved by +67%, at 20,000 by "
    "+9%. The calibration samples its CPU figures in rounds over every route count (sample_cpu) so that a slow "
    "minute falls on all counts alike, but it cannot see the next day: the report gives its age.",
    "Builds on the two cores may slow each other (cluster.build_contention: the extra CPU of two builds at "
    "once on two one-worker gateways, collector stopped, measured by the calibration). The factor scatters "
    "with the builds it is taken from, whose CPU alone ranges by 15%: 0.08 at 12,000 routes in one "
    "measurement, 0.18 at 10,000 in a calibration, none in the next (10 rounds, each pairing its own lone "
    "and paired builds: ratios 0.86-1.21). Marking and sweeping beside another build took 5-9% more CPU and "
    "a match on a cache miss 2%: the model charges contention to the build's slices (the collector steps "
    "their allocations trigger included) and to nothing else.",
    "The slowest requests during rebuilds. Timed with a 2 ms timer on the gateway, the worst event-loop stalls "
    "under continuous writes (80-112 ms at 8,000 routes) each come with a sweep that frees 35-77 MiB; the model "
    "prices freeing per byte (memory.gc_free_ns_per_byte). Most of what the p99s with writes used to lack was "
    "elsewhere: the upstream stub is a server block of the same nginx, so every proxied request's upstream call "
    "waits for a worker's event loop too (traffic.upstream_on_workers, its CPU timed apart by the calibration, "
    "traffic.upstream_cpu_s). Replayed on the measurements of the report shipped with it, the p99s met went from "
    "5 to 7 of 9 (the single write from -40% to -3%, the roomy pod from -9% to +15%, the tight one from +54% to "
    "+58%, whose measured p99 ranged over 63-105 ms in three runs and was 105 ms in the validation before). "
    "Which worker serves a call is the one that accepted its keepalive connection; the model gives a new "
    "connection to a worker waiting in epoll, else to the first back in it. On the gateway (each response "
    "carrying both workers' pids, 8,000 routes, 2 workers, a write every 0.5 s) the accepting worker is the "
    "winner of a race the model does not have: with one worker serving every request over one client "
    "connection, that worker served all its own calls (757 of 757, rebuilds included), the other worker idle "
    "all along; with both serving (eight client connections in turn), every call went to the other worker "
    "(751 of 751). The opener accepts when it is back in epoll before a long-idle worker wakes up. On the "
    "same measurements the p99s met were 7 of 9 with the model's rule, 6 with every call served by its own "
    "worker, 5 with the stub off the workers; a worker drawn at random, or the opener whenever no other "
    "worker is idle, moved single experiments by 10-70 points (three workers +7% to +39%; past ngx.re's "
    "cache in a tight pod -10% to +67%, around the respawns, where a fresh worker takes connections and then "
    "builds). With 300 requests per run (past ngx.re's cache), the p99 is the third slowest request.",
    "An in-place change of the incremental router on its own (one write at a time, as in the experiments) "
    "costs several times the average of many back to back: 0.18-0.47 ms against 0.05 ms at 8,000 routes, its "
    "code and data cold. The calibration measures it one write at a time (measure_changes) and the model "
    "charges the median; the spread from one change to the next (a factor of 2-3) it does not model.",
    "Measurements on a shared virtual machine scatter: the same build's CPU time varies by tens of percent from "
    "one run to the next (the calibration takes the median of five rounds per route count and prints their "
    "range: 249-391 ms at 20,000 routes in the calibration shipped), and the measured p99 of one experiment "
    "can differ by half between two runs of the validation (hence --repeat). With the collector held off "
    "(pause 1000), a lone worker's rebuilds at 12,000 routes took 308-329 ms of CPU and one 463 ms, its sort "
    "(which allocates nothing) 65 ms instead of 51-58: the machine, not the collector. With the collector "
    "on, 246-524 ms over six no-op writes a second apart, as the collector's phase at the write varied.",
    "The collector's phase at a write. A lone worker's rebuild at 12,000 routes takes 246-524 ms of CPU "
    "depending on how much of a collector cycle falls into it. The build's own CPU does not grow under load "
    "(313 ms with 100 requests/s, 312 ms without; the requests served between its slices add about 3 ms each, "
    "as calibrated), and the model predicts rebuilds under load within about 15% (447 against 529 ms, one "
    "worker, 100 requests/s). In the single-write experiment the first rebuild after the pod started "
    "took about 480 ms of CPU against 310 ms predicted, in all three runs, before the model held the routes a "
    "build reads (they keep a collector cycle marking into the first write); since then it has missed either way, "
    "256 ms measured against 323 ms predicted in one full validation and 365 against 267 in the next.",
    "Past ngx.re's cache (Kong #7482; the two regex cache cliff experiments) the real misses slow down as "
    "evicted patterns' native code piles up, more than the model's. Without a limit one worker serves every "
    "request (the client reuses its connection); as its resident memory grows from about 170 to 720 MiB, "
    "its misses take 40-90 ms and then, for a few seconds near a collector cycle's end (resident memory past "
    "600 MiB), 100-500 ms, the worker's CPU up to 99% with its system time at 10-18%, and requests queue "
    "behind them: p99 212-313 ms in three runs, 97-120 ms in a validation earlier the same day. Part "
    "of it is modelled (traffic.regex_compile_ns_per_native_mib): PCRE's JIT allocator finds room for new "
    "code by a first-fit walk of a free list that keeps a leftover per chunk of code held; the profile shows "
    "that walk's loop growing from 2% to 18% of the worker's time, and the calibration measures a find's "
    "CPU growing with the code held (measure_regex_growth, collector stopped: 40-48 ns per MiB, R^2 0.4-0.5, in two calibrations; 0 in a third, 3-6 with R^2 0.01-0.02 in two more), "
    "which raises the predicted p99 from 60 to 78 ms. The bursts are not modelled. Not their cause: the "
    "finalizers alone (1.0-1.7 us a pattern, 218,600 in 0.26 s in a full collection), or compiles after them "
    "(no slower). Nor memory handed back to the kernel and faulted in again: no munmap during the run, and "
    "page faults at a steady 5,000 a second (new memory). Nor the virtual machine's free page reporting (its "
    "balloon driver unbound: p99 233 ms, bursts as before), nor transparent huge pages (none faulted). In a "
    "system-wide profile of the last ten seconds the kernel takes little of the worker's time (page zeroing "
    "2.8% of all samples) against LuaJIT's 19% and PCRE's 15%. The testbed's incremental router also matches through ngx.re (it shares router.lua's "
    "select), so its fresh workers' first miss compiles every pattern, which the incremental design (Kong "
    "3.x's router compiles its own) is not charged.",
    "Two errors in the quiet heap that cancel. A router's bytes are calibrated as its increment over the one "
    "alive (POST /measure), so the strings the two share (Lua interns them) are left out; the heap with a router "
    "less that increment grows as 0.97 MiB + 1,022 bytes per route, while memory.baseline_heap_bytes takes its "
    "median over the points as a constant. And the real worker holds none of its first build's garbage by the "
    "quiet seconds (its heap 0.3 s after start is within 1 MiB of the heap after a full collection, at every "
    "route count), where the model's just-started pod (cluster.start_heap = just_built) still holds 6.3 MiB of it "
    "at 8,000 routes. With both corrected the steady heaps come within +1..+3% on all nine experiments (against "
    "+6..+16%, the same measured medians), but the single write's rebuild goes from -22% to -44%: the garbage "
    "left in the heap had been standing in for some other cost of the first rebuild after a start.",
    "The collector's phase at the first write. The collector model keeps LuaJIT's pace (checked against LuaJIT "
    "itself, tests/python/test_collector_vs_luajit.py: the same rebuilds free the same old routers, the highest "
    "heap within 40%), but where a cycle falls at a write is set by everything the worker allocated since it "
    "started: built from an empty heap in LuaJIT, cycles end at 2.1, 5.9 and 14.6 MiB, in the model at 4.3, 10.6 "
    "and 26.5 MiB. In four no-op writes 3.5 s apart at 12,000 routes the real heaps climb 46, 90, 139, 184 MiB "
    "and a cycle frees the old routers during the fourth rebuild (rebuilds 575, 362, 508, 390 ms); the model "
    "frees during the second (402, 495, 259, 411 ms).",
]

#: Relative tolerances of the targets.
TARGETS = {"peak_heap": 0.15, "steady_heap": 0.15, "rebuild_mean": 0.20, "latency_p99": 0.30}


def _experiment(name: str, routes: int, workers: int, limit_mb: Optional[float], writes: int, interval_s: float,
                rate: float = 100, duration_s: float = 20, mode: str = "eventual", router: str = "traditional",
                kind: str = "noop", gc_pause: int = 200) -> dict[str, Any]:
    gateway: dict[str, Any] = {"workers": workers, "mode": mode, "update_frequency_s": 0.5, "router": router,
                               "gc_pause": gc_pause}
    if limit_mb is not None:
        gateway["memory_limit_mb"] = limit_mb
    return {"name": name, "config": {
        "gateway": gateway, "routes": {"count": routes, "seed": 7},
        "load": {"rate_per_s": rate, "duration_s": duration_s, "seed": 8},
        "writes": {"kind": kind, "start_s": 4, "count": writes, "interval_s": interval_s},
        "sample": {"interval_s": 0.1}}}


#: The quick held-out set (part of the test command): a pod that should ride
#: out continuous writes and one that should not.
HELD_OUT_QUICK = [
    _experiment("roomy pod, continuous writes", 8000, 2, 1024, 20, 0.5),
    _experiment("tight pod, continuous writes", 8000, 2, 300, 20, 0.5),
]
#: The full held-out set.
HELD_OUT = HELD_OUT_QUICK + [
    _experiment("one write, no limit", 12000, 2, None, 1, 1.0),
    _experiment("strict, a write a second", 6000, 3, None, 10, 1.0, mode="strict"),
    _experiment("three workers, tight pod", 10000, 3, 450, 24, 0.5),
    _experiment("incremental router, tight pod", 8000, 2, 300, 20, 0.5, router="incremental", kind="update_route"),
    _experiment("collector pause 300, roomy pod", 8000, 2, 1024, 20, 0.5, gc_pause=300),
    # Past ngx.re's cache: 30,000 routes hold 1,393 regex paths, more than the
    # 1,024 patterns it keeps, and no write at all. Light traffic (most
    # requests miss the match cache and compile every pattern); the tight pod
    # is 50% above the quiet peak the simulator gives the same pod without
    # the cliff (about 290 MiB).
    _experiment("regex cache cliff, no limit", 30000, 2, None, 0, 1.0, rate=10, duration_s=30),
    _experiment("regex cache cliff, tight pod", 30000, 2, 450, 0, 1.0, rate=10, duration_s=30),
]


def _steady_and_peak(time_s: Sequence[float], heap: Sequence[float], before_s: float) -> tuple[float, float]:
    quiet = [h for t, h in zip(time_s, heap) if 1.0 <= t < before_s]
    steady = statistics.median(quiet) if quiet else float("nan")
    return steady, (max(heap) if heap else float("nan"))


def _mean_trace(time_s: Sequence[float], heap: Sequence[float], step: float) -> tuple[list[float], list[float]]:
    buckets: dict[int, list[float]] = {}
    for t, h in zip(time_s, heap):
        buckets.setdefault(int(t / step), []).append(h)
    keys = sorted(buckets)
    return [k * step for k in keys], [statistics.fmean(buckets[k]) for k in keys]


def worker_series(timeseries: Mapping[str, Sequence[Any]]) -> dict[str, list[float]]:
    """time_s and heap_bytes of a simulation's live workers.

    The simulator also samples each pod (as worker -1) and a killed worker until its respawn (with no heap);
    the testbed's sampler sees neither, so both are left out.
    """
    rows = [i for i, (w, h) in enumerate(zip(timeseries["worker"], timeseries["heap_bytes"]))
            if int(w) >= 0 and float(h) > 0]
    return {k: [float(timeseries[k][i]) for i in rows] for k in ("time_s", "heap_bytes")}


def rebuild_wall_mean_s(events: Mapping[str, Sequence[Any]]) -> float:
    """Mean wall time from a simulated build's start to its end (events rebuild_start/rebuild_end per worker)."""
    open_at: dict[tuple[int, int], float] = {}
    walls = []
    nodes = events.get("node", [0] * len(events["kind"]))
    for kind, node, worker, t in zip(events["kind"], nodes, events["worker"], events["time_s"]):
        key = (int(node), int(worker))
        if kind == "rebuild_start":
            open_at[key] = float(t)
        elif kind == "rebuild_end" and key in open_at:
            walls.append(float(t) - open_at.pop(key))
    return statistics.fmean(walls) if walls else float("nan")


def slowest_per_second(time_s: Sequence[float], latency_s: Sequence[float]) -> tuple[list[float], list[float]]:
    """The slowest answered request of each second, by the second it ended in: (second starts, latencies).

    `time_s` is when each request was due and `latency_s` its latency (NaN without an answer, left out).
    """
    worst: dict[int, float] = {}
    for t, lat in zip(time_s, latency_s):
        if lat is None or not math.isfinite(float(lat)):
            continue
        k = int(math.floor(float(t) + float(lat)))
        worst[k] = max(worst.get(k, 0.0), float(lat))
    keys = sorted(worst)
    return [float(k) for k in keys], [worst[k] for k in keys]


def simulated_slowest_per_second(timeseries: Mapping[str, Sequence[Any]]) -> tuple[list[float], list[float]]:
    """The simulated counterpart of :func:`slowest_per_second`: the highest per-sample p99 of any worker in each
    second (a sample's p99 is over the requests it saw end, a handful at the sampling rates used here).

    A sample at time t covers the interval that ends at t: it belongs to the second [ceil(t) - 1, ceil(t)).
    """
    worst: dict[int, float] = {}
    for t, w, p99 in zip(timeseries["time_s"], timeseries["worker"], timeseries["latency_p99_s"]):
        if int(w) < 0 or not float(p99) > 0:
            continue
        k = int(math.ceil(float(t)) - 1)
        worst[k] = max(worst.get(k, 0.0), float(p99))
    keys = sorted(worst)
    return [float(k) for k in keys], [worst[k] for k in keys]


def _rel(predicted: float, measured: float) -> float:
    if not (math.isfinite(predicted) and math.isfinite(measured)) or measured == 0:
        return float("nan")
    return (predicted - measured) / measured


def compare(name: str, config: Mapping[str, Any], predicted: Mapping[str, Any],
            measured: Mapping[str, Any]) -> dict[str, Any]:
    """One report row from a simulation result and a testbed result of the same configuration."""
    start = config["writes"]["start_s"]
    ps, pp = _steady_and_peak(predicted["timeseries"]["time_s"], predicted["timeseries"]["heap_bytes"], start)
    ms, mp = _steady_and_peak(measured["timeseries"]["time_s"], measured["timeseries"]["heap_bytes"], start)
    psum, msum = predicted["summary"], measured["summary"]
    # Both sides in wall time: from a build's start to its router's swap.
    p_rebuild = predicted["rebuild_wall_mean_s"]
    row = {
        "name": name,
        "routes": config["routes"]["count"],
        "workers": config["gateway"].get("workers", 2),
        "memory_limit_mb": config["gateway"].get("memory_limit_mb"),
        "steady_heap_bytes": {"predicted": ps, "measured": ms},
        "peak_heap_bytes": {"predicted": pp, "measured": mp},
        "rebuild_mean_s": {"predicted": p_rebuild, "measured": msum["rebuild_mean_s"]},
        "latency_p99_s": {"predicted": psum["latency_p99_s"], "measured": msum["latency_p99_s"]},
        "oom_kills": {"predicted": psum["oom_kills"], "measured": msum["oom_kills"]},
        # The experiment as run, so that gwsim testbed replay can simulate it again.
        "config": json.loads(json.dumps(config)),
    }
    row["errors"] = {
        "steady_heap": _rel(ps, ms), "peak_heap": _rel(pp, mp),
        "rebuild_mean": _rel(p_rebuild, msum["rebuild_mean_s"]),
        "latency_p99": _rel(psum["latency_p99_s"], msum["latency_p99_s"]),
    }
    row["met"] = {k: math.isfinite(v) and abs(v) <= TARGETS[k] for k, v in row["errors"].items()}
    row["met"]["oom_verdict"] = (psum["oom_kills"] > 0) == (msum["oom_kills"] > 0)
    # Diagnostics (not targets): where a rebuild's time goes on each side.
    # Measured: the worker's CPU over the build's wall time (the build, the
    # collector, and requests served between its slices); predicted: the
    # build's CPU and the collector work charged to it.
    rebuilds = max(1, int(psum.get("rebuilds", 0)))
    row["diagnostics"] = {
        "harness_cores": msum.get("harness_cores", float("nan")),
        "rebuild_cpu_s": {"predicted": psum.get("rebuild_cpu_s", float("nan")) / rebuilds,
                          "measured": msum.get("rebuild_own_cpu_mean_s", float("nan")),
                          "measured_with_requests": msum.get("rebuild_cpu_mean_s", float("nan"))},
        "gc_cpu_s": {"predicted": psum.get("gc_cpu_s", float("nan"))},
        # A select that finds no route: the calibrated cost the scenario charges, and the workers' own timing
        # of the experiment's selects.
        "no_route_select_cpu_s": {"predicted": predicted.get("match_no_route_cpu_s", float("nan")),
                                  "measured": msum.get("not_found_select_cpu_mean_s", float("nan"))},
    }
    trace_p = _mean_trace(predicted["timeseries"]["time_s"], predicted["timeseries"]["heap_bytes"], 0.5)
    trace_m = _mean_trace(measured["timeseries"]["time_s"], measured["timeseries"]["heap_bytes"], 0.5)
    row["traces"] = {"predicted": trace_p, "measured": trace_m}
    if "latency_trace" in predicted and "requests" in measured:
        row["latency_traces"] = {"predicted": predicted["latency_trace"],
                                 "measured": slowest_per_second(measured["requests"]["time_s"],
                                                                measured["requests"]["latency_s"])}
    return row


#: The quantities of a row that replications are summarised over.
_QUANTITIES = ("steady_heap_bytes", "peak_heap_bytes", "rebuild_mean_s", "latency_p99_s", "oom_kills")
_ERROR_OF = {"steady_heap_bytes": "steady_heap", "peak_heap_bytes": "peak_heap", "rebuild_mean_s": "rebuild_mean",
             "latency_p99_s": "latency_p99"}


def summarize_repeats(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One row from :func:`compare` rows of the same experiment run several times.

    Each quantity is the median of the predictions against the median of the measurements (the errors and
    verdicts are taken on the medians), with the measured and predicted ranges kept as ``{"low", "high"}``
    under ``"range"``; traces and diagnostics are the first run's. One row is returned unchanged but for a
    ``repeats`` count of 1.
    """
    if not rows:
        raise ValueError("rows must hold at least one run")
    out = dict(rows[0])
    out["repeats"] = len(rows)
    if len(rows) == 1:
        return out
    out["range"] = {}
    for q in _QUANTITIES:
        sides = {}
        for side in ("predicted", "measured"):
            values = [float(r[q][side]) for r in rows if math.isfinite(float(r[q][side]))]
            sides[side] = statistics.median(values) if values else float("nan")
            out["range"].setdefault(q, {})[side] = ({"low": min(values), "high": max(values)} if values
                                                   else {"low": float("nan"), "high": float("nan")})
        out[q] = sides
    out["errors"] = {e: _rel(out[q]["predicted"], out[q]["measured"]) for q, e in _ERROR_OF.items()}
    out["met"] = {k: math.isfinite(v) and abs(v) <= TARGETS[k] for k, v in out["errors"].items()}
    out["met"]["oom_verdict"] = (out["oom_kills"]["predicted"] > 0) == (out["oom_kills"]["measured"] > 0)
    return out


def validate(calibration: Mapping[str, Any], experiments: Sequence[Mapping[str, Any]] = HELD_OUT_QUICK,
             progress: Optional[Callable[[str], None]] = None, repeats: int = 1) -> list[dict[str, Any]]:
    """Simulate and measure every experiment `repeats` times (1-10); one row each (:func:`summarize_repeats`).

    Run k measures the gateway once and simulates it with seed k + 1: both sides scatter (the machine, the
    arrivals), and the medians over several runs are what the targets are judged on.
    """
    if not (isinstance(repeats, int) and 1 <= repeats <= 10):
        raise ValueError(f"repeats must be an integer in [1, 10], got {repeats!r}")
    import gwsim

    from .calibrate import scenario_for
    from .experiment import load_config, run_experiment

    rows = []
    for e in experiments:
        config = load_config(e["config"])
        runs = []
        for k in range(repeats):
            tag = f" (run {k + 1} of {repeats})" if repeats > 1 else ""
            if progress:
                progress(f"{e['name']}: measuring on the testbed{tag}")
            measured = run_experiment(config)
            if progress:
                progress(f"{e['name']}: simulating{tag}")
            # The harness shares the gateway's cores: the simulated pod gets
            # what the harness left it during the measured run.
            scenario = scenario_for(config, calibration, measured["summary"].get("harness_cores", 0.0))
            scenario.setdefault("run", {})["seed"] = k + 1
            run = gwsim.run(scenario)
            predicted = {"summary": dict(run["summary"]),
                         "timeseries": worker_series(run["timeseries"]),
                         "rebuild_wall_mean_s": rebuild_wall_mean_s(run["events"]),
                         "latency_trace": simulated_slowest_per_second(run["timeseries"]),
                         "match_no_route_cpu_s": scenario["traffic"]["match_no_route_cpu_s"]}
            runs.append(compare(e["name"], config, predicted, measured))
        rows.append(summarize_repeats(runs))
    return rows


def lone_rebuilds(calibration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The calibration's own rebuilds, predicted: one worker, no load to speak of, no-op writes.

    Every calibration point measured whole rebuilds on its one-worker gateway with the collector at its pace
    (``rebuild_cpu_s``, ``rebuild_wall_s``, medians). The simulator runs the same situation under the
    calibration; rows of routes, measured and predicted CPU and wall time per rebuild. A model that misses
    these misses for want of a mechanism of the lone worker (the build, the collector), not of co-running
    workers, the load or the machine's drift between calibration and validation. Points measured before
    these figures existed are skipped.
    """
    import gwsim

    from .calibrate import scenario_for
    from .experiment import load_config

    rows = []
    for point in calibration.get("points", []):
        if "rebuild_cpu_s" not in point:
            continue
        writes = int(point.get("rebuilds", 5))
        config = load_config({
            "gateway": {"workers": 1, "update_frequency_s": 0.2},
            "routes": {"count": int(point["routes"]), "seed": int(calibration.get("seed", 1))},
            "load": {"rate_per_s": 1, "duration_s": 2.0 + 2.0 * writes, "seed": 8},
            "writes": {"kind": "noop", "start_s": 1.0, "count": writes, "interval_s": 2.0},
            "sample": {"interval_s": 0.5}})
        scenario = scenario_for(config, calibration)
        # Those rebuilds came after POST /measure had built and dropped routers of the same size: the worker's
        # allocator already held the pages they grew into.
        scenario["memory"]["first_touch_ns_per_byte"] = 0.0
        run = gwsim.run(scenario)
        summary = run["summary"]
        rows.append({"routes": int(point["routes"]),
                     "rebuild_cpu_s": {"predicted": summary["rebuild_cpu_s"] / max(1, summary["rebuilds"]),
                                       "measured": float(point["rebuild_cpu_s"])},
                     "rebuild_wall_s": {"predicted": rebuild_wall_mean_s(run["events"]),
                                        "measured": float(point["rebuild_wall_s"])}})
    return rows


def _fmt(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if kind == "bytes":
        return f"{value / (1 << 20):,.1f} MiB"
    if kind == "cores":
        return f"{value:.2f} cores"
    if kind == "s":
        return f"{value * 1e3:,.1f} ms"
    return f"{value:,}"


def _calibration_age(calibrated_at: Optional[str]) -> list[str]:
    """The report's lines on how old the calibration is (none when its time is unknown)."""
    if not calibrated_at:
        return []
    from datetime import datetime, timezone

    try:
        then = datetime.fromisoformat(calibrated_at)
    except ValueError:
        return []
    hours = (datetime.now(timezone.utc) - then).total_seconds() / 3600
    return [f"The calibration was measured at {then.strftime('%Y-%m-%d %H:%M')} UTC, {hours:.1f} h before this "
            "report. A shared machine's CPU drifts by tens of percent over hours and days, and the rebuilds and "
            "p99s follow the calibration's CPU costs: calibrate again when they are far apart.", ""]


def _overlay(plt: Any, path: Path, title: str, traces: Mapping[str, Any], scale: float, ylabel: str,
             suffix: str, steps: bool) -> None:
    """One plot of the predicted (dashed) and measured (solid) traces, (times, values) each, values times `scale`."""
    fig, ax = plt.subplots(figsize=(8, 3 if steps else 4))
    for label, style in (("predicted", "--"), ("measured", "-")):
        t, v = traces[label]
        scaled = [x * scale for x in v]
        if steps:
            ax.step(t, scaled, style, where="post", label=label + suffix)
        else:
            ax.plot(t, scaled, style, label=label + suffix)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(rows: Sequence[Mapping[str, Any]], out_dir: Any,
                 lone: Sequence[Mapping[str, Any]] = (), calibrated_at: Optional[str] = None) -> Path:
    """report.md (tables), report.json, memory-<k>.png (heap traces overlaid) and, for rows with latency traces,
    latency-<k>.png (the slowest request of each second on both sides) in `out_dir`; the report's path.

    `lone`: rows of :func:`lone_rebuilds`, reported as a table of their own when given. `calibrated_at`: the
    calibration's ``measured_at`` (ISO 8601), reported with its age.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Testbed validation: the simulator's predictions against the real gateway", "",
             "Targets: heap within 15%, rebuild duration within 20%, p99 latency within 30%, "
             "OOM verdict the same. Each cell: predicted / measured (relative error)"
             + (f"; each experiment was run {rows[0].get('repeats', 1)} times on both sides: medians, with the "
                "measured range in brackets." if rows and rows[0].get("repeats", 1) > 1 else "."), "",
             *_calibration_age(calibrated_at),
             "| experiment | steady heap / worker | peak heap / worker | rebuild (mean) | p99 latency | OOM kills |",
             "| --- | --- | --- | --- | --- | --- |"]
    for k, row in enumerate(rows):
        def cell(key: str, err: str, kind: str) -> str:
            p, m = row[key]["predicted"], row[key]["measured"]
            e = row["errors"][err]
            # Nothing on either side (no rebuild without a write): no target to meet.
            applies = math.isfinite(float(p)) or math.isfinite(float(m))
            mark = ("met" if row["met"][err] else "missed") if applies else "no such event"
            pct = "n/a" if not math.isfinite(e) else f"{100 * e:+.0f}%"
            spread = ""
            if "range" in row:
                r = row["range"][key]["measured"]
                spread = f" [{_fmt(r['low'], kind)}-{_fmt(r['high'], kind)}]"
            return f"{_fmt(p, kind)} / {_fmt(m, kind)}{spread} ({pct}, {mark})"
        ooms = row["oom_kills"]
        verdict = "same verdict" if row["met"]["oom_verdict"] else "verdict differs"
        lines.append(f"| {row['name']} | {cell('steady_heap_bytes', 'steady_heap', 'bytes')} | "
                     f"{cell('peak_heap_bytes', 'peak_heap', 'bytes')} | {cell('rebuild_mean_s', 'rebuild_mean', 's')} | "
                     f"{cell('latency_p99_s', 'latency_p99', 's')} | {ooms['predicted']} / {ooms['measured']} ({verdict}) |")
        _overlay(plt, out / f"memory-{k}.png", row["name"], row["traces"], 1 / (1 << 20),
                 "Lua heap per worker (MiB)", " (mean worker)", steps=False)
        if "latency_traces" in row:
            _overlay(plt, out / f"latency-{k}.png", row["name"], row["latency_traces"], 1e3,
                     "slowest request of the second (ms)", "", steps=True)
    lines += ["", "Diagnostics (not targets): the CPU the harness took from the gateway's cores (the simulated pod "
              "gets the rest); a rebuild's own CPU, the build and the collector steps its allocations trigger "
              "(measured: the worker's CPU over the build's wall time less what ran while it was yielded), and "
              "the measured CPU with the requests served between its slices; the collector's predicted CPU over "
              "the whole run; a select that finds no route (predicted: the calibrated cost; measured: the mean "
              "of the experiment's own selects as the workers timed them). First run of each experiment.", "",
              "| experiment | harness CPU | rebuild's own CPU (predicted / measured) | with requests between "
              "slices (measured) | collector CPU (predicted) | a select that finds no route (predicted / measured) |",
              "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        d = row.get("diagnostics", {})
        rc = d.get("rebuild_cpu_s", {})
        lines.append(f"| {row['name']} | {_fmt(d.get('harness_cores'), 'cores')} | "
                     f"{_fmt(rc.get('predicted'), 's')} / {_fmt(rc.get('measured'), 's')} | "
                     f"{_fmt(rc.get('measured_with_requests'), 's')} | "
                     f"{_fmt(d.get('gc_cpu_s', {}).get('predicted'), 's')} | "
                     f"{_fmt(d.get('no_route_select_cpu_s', {}).get('predicted'), 's')} / "
                     f"{_fmt(d.get('no_route_select_cpu_s', {}).get('measured'), 's')} |")
    if lone:
        lines += ["", "Lone rebuilds (not targets): the calibration's one-worker gateway rebuilding on no-op writes, "
                  "the collector at its pace, without load; the medians it measured and what the simulator "
                  "predicts for the same gateway under this calibration.", "",
                  "| routes | rebuild CPU (predicted / measured) | rebuild wall time (predicted / measured) |",
                  "| --- | --- | --- |"]
        for r in lone:
            cells = []
            for key in ("rebuild_cpu_s", "rebuild_wall_s"):
                p, m = r[key]["predicted"], r[key]["measured"]
                e = _rel(p, m)
                pct = "n/a" if not math.isfinite(e) else f"{100 * e:+.0f}%"
                cells.append(f"{_fmt(p, 's')} / {_fmt(m, 's')} ({pct})")
            lines.append(f"| {r['routes']:,} | {cells[0]} | {cells[1]} |")
    lines += ["", "## Where the model misses, and why", ""] + [f"- {gap}" for gap in KNOWN_GAPS]
    images = []
    for k, row in enumerate(rows):
        images.append(f"![{row['name']}: Lua heap per worker](memory-{k}.png)")
        if "latency_traces" in row:
            images.append(f"![{row['name']}: slowest request of each second](latency-{k}.png)")
    lines += ["", *images, ""]
    (out / "report.md").write_text("\n".join(lines))
    (out / "report.json").write_text(json.dumps({"experiments": list(rows), "lone_rebuilds": list(lone)},
                                                indent=2, default=float))
    return out / "report.md"
