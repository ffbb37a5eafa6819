"""One measured experiment on the real gateway: ``gwsim testbed run CONFIG``.

An experiment starts the testbed gateway (:mod:`gwsim.testbed.gateway`)
with a synthetic route set (the generator the C++ benchmarks use), drives
it with open-loop traffic (:mod:`gwsim.testbed.load`) while admin writes
arrive on a schedule, samples every worker's Lua heap, resident memory and
router version and the pod's memory several times a second, and returns
the same three parts a simulation returns: a summary of scalars with units
in their names, a time series and events.

The configuration (TOML or a dict) has four tables; every key is optional:

.. code-block:: toml

    [gateway]            # GatewaySettings fields, memory_limit_mb for the pod limit
    workers = 2
    mode = "eventual"
    update_frequency_s = 1.0
    yield_every = 1000
    cache_slots = 5000
    gc_pause = 200
    gc_stepmul = 200
    memory_limit_mb = 512

    [routes]             # the synthetic route set
    count = 5000
    seed = 1
    regex_fraction = 0.05

    [load]
    rate_per_s = 200
    duration_s = 20
    connections = 8
    zipf_s = 1.0
    seed = 2

    [writes]
    kind = "noop"        # noop | update_route | create_route | delete_route
    start_s = 5
    count = 1            # writes, every interval_s from start_s
    interval_s = 1.0

    [sample]
    interval_s = 0.2
"""

from __future__ import annotations

import threading
import time
from typing import Any, Mapping, Optional

from .gateway import Gateway, GatewaySettings
from .load import Outcome, Request, run_open_loop

__all__ = ["DEFAULTS", "load_config", "run_experiment", "summarize"]

DEFAULTS: dict[str, dict[str, Any]] = {
    "gateway": {},
    "routes": {"count": 5000, "seed": 1, "regex_fraction": 0.05, "host_fraction": 0.6,
               "wildcard_host_fraction": 0.1, "distinct_hosts": 200, "header_fraction": 0.02,
               "method_fraction": 0.3},
    "load": {"rate_per_s": 200.0, "duration_s": 20.0, "connections": 8, "zipf_s": 1.0, "seed": 2,
             "distinct_requests": 5000, "timeout_s": 10.0},
    "writes": {"kind": "noop", "start_s": 5.0, "count": 1, "interval_s": 1.0},
    "sample": {"interval_s": 0.2},
}
_WRITE_KINDS = ("noop", "update_route", "create_route", "delete_route")


def load_config(source: Any) -> dict[str, dict[str, Any]]:
    """A complete experiment configuration from a TOML file path or a mapping, defaults filled in.

    Raises
    ------
    ValueError
        Naming the table and key, for an unknown table or key or a value out of range.
    """
    import tomllib
    from pathlib import Path

    if isinstance(source, Mapping):
        given = dict(source)
    else:
        path = Path(source)
        try:
            given = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: {e}") from e
    config: dict[str, dict[str, Any]] = {k: dict(v) for k, v in DEFAULTS.items()}
    gateway_fields = set(GatewaySettings.__dataclass_fields__) - {"memory_limit_bytes"} | {"memory_limit_mb"}
    for table, values in given.items():
        if table not in config:
            raise ValueError(f"unknown table [{table}] (known: {', '.join(config)})")
        if not isinstance(values, Mapping):
            raise ValueError(f"[{table}] must be a table")
        known = gateway_fields if table == "gateway" else set(DEFAULTS[table])
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown key {table}.{key} (known: {', '.join(sorted(known))})")
            config[table][key] = value

    def number(table: str, key: str, lo: float, hi: float, integer: bool = False) -> None:
        v = config[table][key]
        ok = not isinstance(v, bool) and isinstance(v, int if integer else (int, float)) and lo <= v <= hi
        if not ok:
            kind = "an integer" if integer else "a number"
            raise ValueError(f"{table}.{key} must be {kind} in [{lo}, {hi}], got {v!r}")

    number("routes", "count", 1, 1_000_000, integer=True)
    number("load", "rate_per_s", 0.1, 100_000)
    number("load", "duration_s", 0.1, 3600)
    number("load", "connections", 1, 1000, integer=True)
    number("load", "distinct_requests", 1, 1_000_000, integer=True)
    number("load", "timeout_s", 0.01, 600)
    number("writes", "start_s", 0, 3600)
    number("writes", "count", 0, 100_000, integer=True)
    number("writes", "interval_s", 0.001, 3600)
    number("sample", "interval_s", 0.01, 60)
    if config["writes"]["kind"] not in _WRITE_KINDS:
        raise ValueError(f"writes.kind must be one of {', '.join(_WRITE_KINDS)}, got {config['writes']['kind']!r}")
    settings(config)  # validates [gateway]
    return config


def settings(config: Mapping[str, Mapping[str, Any]]) -> GatewaySettings:
    """The GatewaySettings of a configuration (validated)."""
    g = dict(config["gateway"])
    limit = g.pop("memory_limit_mb", None)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 4 <= limit <= 1 << 20:
            raise ValueError(f"gateway.memory_limit_mb must be a number in [4, {1 << 20}], got {limit!r}")
        g["memory_limit_bytes"] = int(limit * (1 << 20))
    try:
        return GatewaySettings(**g).validate()
    except ValueError as e:
        raise ValueError(f"gateway.{e}") from e


def _routes_and_requests(config: Mapping[str, Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Request]]:
    from .. import _core

    r = dict(config["routes"])
    count = r.pop("count")
    seed = r.pop("seed")
    try:
        routes = _core.synthetic_routes(count, seed=seed, **r)
        raw = _core.synthetic_requests(count, config["load"]["distinct_requests"], seed=config["load"]["seed"],
                                       route_seed=seed, zipf_s=config["load"]["zipf_s"], **r)
    except ValueError as e:
        raise ValueError(f"routes: {e}") from e
    requests = [Request(path=q["path"], method=q["method"], host=q["host"],
                        headers=tuple((k, v) for k, v in q["headers"])) for q in raw]
    return routes, requests


def run_experiment(config: Any, progress: bool = False) -> dict[str, Any]:
    """Run one experiment; ``{"summary": dict, "timeseries": dict of lists, "events": dict of lists, "requests":
    dict of lists, "config": dict}``.

    ``requests`` has one row per request sent: ``time_s`` (when it was due, from the start of the load),
    ``latency_s`` (NaN without an answer) and ``status`` (the HTTP status; 0 a timeout or a broken connection, -1
    dropped for want of a connection)."""
    config = load_config(config)
    gw_settings = settings(config)
    routes, requests = _routes_and_requests(config)
    load, writes, sample = config["load"], config["writes"], config["sample"]
    series: dict[str, list[Any]] = {"time_s": [], "worker": [], "heap_bytes": [], "resident_bytes": [],
                                     "version": [], "pod_memory_bytes": []}
    events: dict[str, list[Any]] = {"time_s": [], "kind": [], "worker": [], "value": []}

    def event(t: float, kind: str, worker: int, value: float) -> None:
        events["time_s"].append(t)
        events["kind"].append(kind)
        events["worker"].append(worker)
        events["value"].append(value)

    with Gateway(gw_settings).start(routes, timeout_s=300) as gw:
        stop = threading.Event()
        t0 = time.monotonic()
        ids = iter(range(10**9, 2 * 10**9))
        victims = iter([r["id"] for r in reversed(routes)])
        seen_builds: dict[int, int] = {}
        slots: dict[int, int] = {}

        def sampler() -> None:
            while not stop.is_set():
                now = time.monotonic() - t0
                try:
                    workers = gw.workers()
                except OSError:
                    workers = []
                rss = gw.rss_bytes()
                pod = gw.cgroup.usage_bytes() if gw.cgroup is not None else sum(rss.values())
                for w in workers:
                    slot = slots.setdefault(w["pid"], len(slots))
                    series["time_s"].append(now)
                    series["worker"].append(slot)
                    series["heap_bytes"].append(int(w["lua_kb"] * 1024))
                    series["resident_bytes"].append(rss.get(w["pid"], 0))
                    series["version"].append(w["version"])
                    series["pod_memory_bytes"].append(pod)
                    builds = w["builds"]
                    if builds > seen_builds.get(w["pid"], builds):
                        event(now, "rebuild", slot, w["last_build_ms"] / 1000)
                        event(now, "rebuild_cpu", slot, w.get("last_build_cpu_ms", 0.0) / 1000)
                        event(now, "rebuild_own_cpu", slot, w.get("last_build_own_cpu_ms", 0.0) / 1000)
                    seen_builds[w["pid"]] = builds
                stop.wait(sample["interval_s"])

        def writer() -> None:
            for k in range(writes["count"]):
                due = writes["start_s"] + k * writes["interval_s"]
                if stop.wait(max(0.0, due - (time.monotonic() - t0))):
                    return
                kind = writes["kind"]
                try:
                    if kind == "noop":
                        gw.write("noop")
                    elif kind == "create_route":
                        gw.write("create_route", body={"id": next(ids), "paths": [f"/gwsim-new/{k}"], "service": 1,
                                                       "created_at": 10**9 + k})
                    elif kind == "delete_route":
                        gw.write("delete_route", id=next(victims))
                    else:
                        victim = routes[k % len(routes)]
                        gw.write("update_route", id=victim["id"], body=victim)
                except (OSError, RuntimeError):
                    continue
                event(time.monotonic() - t0, "admin_write", -1, 1)

        threads = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=writer, daemon=True)]
        for t in threads:
            t.start()
        # The harness (this process: load generator, sampler, writer) runs on
        # the gateway's cores; its CPU time is the share it takes from them.
        harness_cpu0, wall0 = time.process_time(), time.monotonic()
        outcomes = run_open_loop(gw.ports.proxy, requests, load["rate_per_s"], load["duration_s"],
                                 connections=load["connections"], timeout_s=load["timeout_s"])
        harness_cpu_s, load_wall_s = time.process_time() - harness_cpu0, time.monotonic() - wall0
        stop.set()
        for t in threads:
            t.join(10)
        kills = gw.oom_kills()
        restarts = max(0, len(slots) - gw_settings.workers)
        try:
            final = gw.workers()
        except OSError:
            final = []
    for k in range(kills):
        event(time.monotonic() - t0, "oom_kill", -1, 1)
    summary = summarize(outcomes, series, events, kills, restarts, gw_settings)
    summary.update(_select_cpu(final))
    summary["harness_cpu_s"] = harness_cpu_s
    summary["harness_cores"] = harness_cpu_s / load_wall_s if load_wall_s > 0 else 0.0
    requests_out = {"time_s": [o.scheduled_s for o in outcomes],
                    "latency_s": [o.latency_s if o.latency_s is not None else float("nan") for o in outcomes],
                    "status": [o.status for o in outcomes]}
    return {"summary": summary, "timeseries": series, "events": events, "requests": requests_out, "config": config}


def _select_cpu(workers: list[Mapping[str, Any]]) -> dict[str, float]:
    """The router's CPU per select as the workers alive at the end timed it (a killed worker's selects are
    lost): of requests that found a route (cache hits and misses) and of those that found none."""
    out = {}
    for kind in ("matched", "not_found"):
        n = sum(int(w.get(kind, 0)) for w in workers)
        cpu = sum(float(w.get(f"{kind}_select_cpu_s", 0.0)) for w in workers)
        out[f"{kind}_select_cpu_mean_s"] = cpu / n if n > 0 else float("nan")
    return out


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def summarize(outcomes: list[Outcome], series: Mapping[str, list[Any]], events: Mapping[str, list[Any]],
              oom_kills: int, restarts: int, gw_settings: GatewaySettings) -> dict[str, Any]:
    """The experiment's scalars, named as the simulator names them (units in the names)."""
    latencies = [o.latency_s for o in outcomes if o.latency_s is not None and o.status > 0]
    answered = sum(1 for o in outcomes if o.status > 0)
    # Failures: no answer (timeouts, broken connections, client drops) or a
    # 5xx; a 404 is the right answer to a request aimed at no route.
    failed = sum(1 for o in outcomes if o.status <= 0 or o.status >= 500)
    rebuild_s = [v for k, v in zip(events["kind"], events["value"]) if k == "rebuild"]
    rebuild_cpu_s = [v for k, v in zip(events["kind"], events["value"]) if k == "rebuild_cpu"]
    rebuild_own_cpu_s = [v for k, v in zip(events["kind"], events["value"]) if k == "rebuild_own_cpu"]
    heap = series["heap_bytes"]
    pod = series["pod_memory_bytes"]
    summary: dict[str, Any] = {
        "requests": len(outcomes),
        "completed": answered,
        "not_found": sum(1 for o in outcomes if o.status == 404),
        "errors": failed,
        "error_rate": failed / len(outcomes) if outcomes else 0.0,
        "timeouts": sum(1 for o in outcomes if o.status == 0),
        "dropped": sum(1 for o in outcomes if o.status == -1),
        "latency_mean_s": sum(latencies) / len(latencies) if latencies else float("nan"),
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p99_s": _percentile(latencies, 99),
        "latency_p999_s": _percentile(latencies, 99.9),
        "latency_max_s": max(latencies) if latencies else float("nan"),
        "admin_writes": sum(1 for k in events["kind"] if k == "admin_write"),
        "rebuilds": len(rebuild_s),
        "rebuild_mean_s": sum(rebuild_s) / len(rebuild_s) if rebuild_s else float("nan"),
        "rebuild_max_s": max(rebuild_s) if rebuild_s else float("nan"),
        "rebuild_cpu_mean_s": (sum(rebuild_cpu_s) / len(rebuild_cpu_s)) if rebuild_cpu_s else float("nan"),
        # Less what ran while the build was yielded (requests): the build and
        # the collector steps its own allocations triggered.
        "rebuild_own_cpu_mean_s": (sum(rebuild_own_cpu_s) / len(rebuild_own_cpu_s)) if rebuild_own_cpu_s
        else float("nan"),
        "peak_worker_heap_bytes": max(heap) if heap else 0,
        "peak_pod_memory_bytes": max(pod) if pod else 0,
        "mean_pod_memory_bytes": sum(pod) / len(pod) if pod else 0.0,
        "oom_kills": oom_kills,
        "worker_restarts": restarts,
        "workers": gw_settings.workers,
        "memory_limit_bytes": gw_settings.memory_limit_bytes or 0,
    }
    return summary
