"""Closed-form predictions next to a simulation of the same scenario.

``gwsim analyze SCENARIO`` (and :func:`analyze`) asks the closed forms of
``models/analytic`` what a scenario's workers should do (load, rebuild rate,
rebuild CPU, mean latency; the derivation of every input is in
``models/gateway/analysis.hpp``), simulates the scenario ``replications``
times, and prints both with the simulation's 95% confidence intervals. Where
a formula is exact for the scenario the simulated interval should cover the
prediction; where it is an approximation the deviation is the size of what
it leaves out.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from . import _core
from .api import ScenarioLike, scenario_dict
from .sweeps import summarize, sweep

__all__ = ["predict", "analyze", "format_analysis"]


def _scenario_dict(scenario: ScenarioLike) -> dict[str, Any]:
    return scenario_dict(scenario)


def predict(scenario: ScenarioLike) -> dict[str, Any]:
    """The closed-form predictions for `scenario` (a Scenario, dict or scenario file).

    Returns
    -------
    dict
        ``{"workload": {...}, "latency": {...}}``: per-worker queueing inputs
        (rates per second, times in seconds, loads as fractions) and the
        latency formula used, whether it is exact for this scenario, and the
        predicted mean wait, sojourn and latency in seconds (``inf`` when the
        worker is unstable).
    """
    return _core.analyze(json.dumps(_scenario_dict(scenario)))


def analyze(
    scenario: ScenarioLike,
    replications: int = 5,
    seed: int = 1,
    progress: bool = True,
    *,
    workers: Optional[int] = 1,
    store: Any = None,
) -> dict[str, Any]:
    """Predict, simulate `replications` times, and line the numbers up.

    Parameters
    ----------
    scenario : Scenario, mapping, str or path-like
        The scenario (a Scenario, dict or file).
    replications : int, default 5
        Simulation runs (>= 2 for confidence intervals).
    seed, progress, workers, store
        As for :func:`gwsim.sweep` (`store`: a run store to look runs up in
        and write them to), except that `workers` defaults to 1 (sequential,
        in this process); ``workers=None`` uses one process per core.

    Returns
    -------
    dict
        ``prediction`` (as :func:`predict`), ``runs`` (a DataFrame, one row per
        run) and ``rows``: one dict per compared quantity with ``quantity``,
        ``unit``, ``predicted``, ``simulated`` (mean), ``ci`` (95% half-width,
        NaN with one run) and ``note``.
    """
    if not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications = {replications!r} is invalid: must be an integer >= 1")
    base = _scenario_dict(scenario)
    prediction = predict(base)
    runs = sweep(base, {"strategy": [base["strategy"]]}, replications=replications, seed=seed,
                 progress=progress, workers=workers, store=store)
    duration = float(base["run"]["duration_s"])
    n_workers = int(base["cluster"]["nodes"]) * int(base["cluster"]["workers_per_node"])
    runs = runs.copy()
    runs["rebuilds_per_worker_per_h"] = runs["rebuilds"] / n_workers / duration * 3600.0
    runs["rebuild_cpu_per_rebuild_s"] = runs["rebuild_cpu_s"] / runs["rebuilds"].where(runs["rebuilds"] > 0)
    runs["requests_per_worker_per_s"] = runs["requests"] / n_workers / duration

    w = prediction["workload"]
    lat = prediction["latency"]
    formula = lat["formula"] + (" (exact here)" if lat["exact"] else " (approximation)")

    def row(quantity: str, unit: str, predicted: float, column: str, note: str) -> dict[str, Any]:
        return {"quantity": quantity, "unit": unit, "predicted": predicted,
                "simulated": float(stats[f"{column}_mean"]), "ci": float(stats[f"{column}_ci"]), "note": note}

    mem = prediction["memory"]
    avail = prediction["availability"]
    nodes = int(base["cluster"]["nodes"])
    runs["oom_kills_per_pod_per_h"] = runs["oom_kills"] / nodes / duration * 3600.0
    killed = bool((runs["oom_kills"] > 0).any())
    bound_note = ("bound assumes no OOM kill: runs were killed" if killed
                  else "closed-form bound (papers/memory-bounds.md)")
    stats = summarize(runs, by=[], level=0.95).iloc[0]
    rows = [
        row("requests per worker", "1/s", w["request_rate_per_s"], "requests_per_worker_per_s",
            "traffic rate over nodes x workers"),
        row("rebuilds per worker", "1/h", w["rebuild_rate_per_s"] * 3600.0, "rebuilds_per_worker_per_h",
            "writes thinned by the rebuild timer" if w["write_rate_per_s"] > 0 else "no writes"),
        row("rebuild CPU", "s", w["rebuild_cpu_s"], "rebuild_cpu_per_rebuild_s",
            "pages + finish + collector, cost model of the strategy"),
        row("mean latency", "s", lat["mean_latency_s"], "latency_mean_s", formula),
        row("peak worker heap", "B", mem["worker_heap_bound_bytes"], "peak_worker_heap_bytes",
            "upper bound; " + bound_note),
        row("peak pod memory", "B", mem["pod_bound_bytes"], "peak_pod_memory_bytes",
            f"upper bound (limit {_fmt(mem['pod_limit_bytes'], 'B')}); " + bound_note),
    ]
    if avail["applicable"]:
        rows.append(row("OOM kills per pod", "1/h", avail["oom_kills_per_hour"], "oom_kills_per_pod_per_h",
                        f"Markov chain: a kill when > {mem['safe_concurrent_rebuilds']} "
                        "workers rebuild at once"))
    return {"prediction": prediction, "runs": runs, "rows": rows, "replications": replications}


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "unbounded" if unit == "B" else "unstable"
    if unit == "B":
        return f"{value / 2**30:,.3g} GiB" if abs(value) >= 2**30 else f"{value / 2**20:,.3g} MiB"
    if unit == "s":
        return f"{value * 1e3:,.3g} ms" if abs(value) < 1 else f"{value:,.3g} s"
    return f"{value:,.4g} {unit}"


def format_analysis(report: dict[str, Any]) -> str:
    """The comparison as a plain-text table, with the worker's load first."""
    w = report["prediction"]["workload"]
    lines = [
        f"worker load: requests {w['request_load']:.3f} + rebuilds {w['rebuild_load']:.3f} "
        f"= {w['request_load'] + w['rebuild_load']:.3f} (unstable at 1); "
        f"cache hit ratio {w['cache_hit_ratio']:.3f} (Che); unstable above "
        f"{w['critical_traffic_rate_per_s']:,.0f} requests/s of traffic",
        "",
    ]
    header = ("quantity", "predicted", "simulated (95% CI)", "formula / note")
    body = []
    for r in report["rows"]:
        sim = _fmt(r["simulated"], r["unit"])
        if not math.isnan(r["ci"]):
            sim += f" ± {_fmt(r['ci'], r['unit'])}"
        body.append((r["quantity"], _fmt(r["predicted"], r["unit"]), sim, r["note"]))
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(4)]
    for line in [header, *body]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
    lines.append(f"({report['replications']} simulation runs)")
    return "\n".join(lines)


def _finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (JSON has no inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json(report: dict[str, Any], indent: Optional[int] = 1) -> str:
    """The prediction and the compared rows as JSON (non-finite numbers as null)."""
    return json.dumps(_finite({"prediction": report["prediction"], "rows": report["rows"],
                               "replications": report["replications"]}), indent=indent)
