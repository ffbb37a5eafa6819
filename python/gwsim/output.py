"""Writing run results: the text summary, JSON and CSV files, the plot."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

__all__ = [
    "format_bytes",
    "format_summary",
    "summary_record",
    "write_columns_csv",
    "write_results",
]

_MIB = float(1 << 20)
_GIB = float(1 << 30)


def format_bytes(n: float) -> str:
    """Format a size in bytes as MiB below 1 GiB and as GiB above.

    Examples
    --------
    >>> format_bytes(3 * 2**30)
    '3.00 GiB'
    >>> format_bytes(512 * 2**20)
    '512.0 MiB'
    """
    if not math.isfinite(n):
        return f"{n} B"
    if abs(n) >= _GIB:
        return f"{n / _GIB:.2f} GiB"
    return f"{n / _MIB:.1f} MiB"


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    if abs(ms) >= 100:
        return f"{ms:,.0f} ms"
    return f"{ms:.3g} ms"


def _s(seconds: float) -> str:
    if abs(seconds) >= 100:
        return f"{seconds:,.0f} s"
    return f"{seconds:.3g} s"


def _count(n: float) -> str:
    return f"{int(n):,}"


def _pct(fraction: float) -> str:
    return f"{100.0 * fraction:.2f} %"


def summary_record(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The flat record printed by ``--json`` and written to summary.json.

    Parameters
    ----------
    summary : mapping
        ``result["summary"]``.
    scenario : mapping
        The scenario that was run (its name and strategy are added).

    Returns
    -------
    dict
        ``scenario`` and ``strategy`` followed by every summary field.
    """
    record: dict[str, Any] = {
        "scenario": scenario.get("name", ""),
        "strategy": scenario.get("strategy", ""),
    }
    record.update(summary)
    return record


def format_summary(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> str:
    """A readable multi-line summary, every number with its unit.

    Parameters
    ----------
    summary : mapping
        ``result["summary"]``.
    scenario : mapping
        The scenario that was run.

    Returns
    -------
    str
        The text, ending in a newline.
    """
    g = summary.get
    cluster = scenario.get("cluster", {})
    kong = scenario.get("kong", {})
    routes = scenario.get("routes", {})
    traffic = scenario.get("traffic", {})
    nodes = cluster.get("nodes", 0)
    workers = cluster.get("workers_per_node", 0)
    limit = cluster.get("pod_memory_limit_bytes")
    header = (
        f"{scenario.get('name', 'unnamed')}: {scenario.get('strategy', '?')}, "
        f"{kong.get('worker_consistency', '?')} consistency\n"
        f"  {nodes} pod{'s' if nodes != 1 else ''} x {workers} worker{'s' if workers != 1 else ''}, "
        f"{_count(routes.get('routes', 0))} routes, "
        f"{traffic.get('rate_per_s', 0):g} requests/s, seed {scenario.get('run', {}).get('seed', '?')}"
    )

    def mem(key: str) -> str:
        text = format_bytes(g(key, 0.0))
        if limit:
            text += f"  ({100.0 * g(key, 0.0) / limit:.0f} % of the {format_bytes(limit)} limit)"
        return text

    wall = g("wall_time_s", 0.0)
    sim_time = g("sim_time_s", 0.0)
    ratio = sim_time / wall if wall > 0 else 0.0
    speed = (f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.3g}x") + " real time" if wall > 0 else "n/a"
    if wall > 0 and "events" in summary:
        speed += f", {g('events', 0) / wall / 1e6:.2f} M events/s"

    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "requests",
            [
                ("requests", f"{_count(g('requests', 0))} requests"),
                ("completed", f"{_count(g('completed', 0))} requests"),
                *([("answered 404 (no route)", f"{_count(g('not_found', 0))} requests")] if g("not_found", 0) else []),
                ("errors", f"{_count(g('errors', 0))} requests ({_pct(g('error_rate', 0.0))})"),
                ("in flight at end", f"{_count(g('in_flight', 0))} requests"),
                ("latency p50", _ms(g("latency_p50_s", 0.0))),
                ("latency p99", _ms(g("latency_p99_s", 0.0))),
                ("latency p99.9", _ms(g("latency_p999_s", 0.0))),
                ("latency max", _ms(g("latency_max_s", 0.0))),
                ("latency mean", _ms(g("latency_mean_s", 0.0))),
            ],
        ),
        (
            "workers",
            [
                ("OOM kills", f"{_count(g('oom_kills', 0))} kills"),
                ("worker restarts", f"{_count(g('worker_restarts', 0))} restarts"),
                ("router rebuilds", f"{_count(g('rebuilds', 0))} rebuilds"),
                ("rebuild CPU", _s(g("rebuild_cpu_s", 0.0))),
                ("GC CPU", f"{_s(g('gc_cpu_s', 0.0))} ({_count(g('gc_cycles', 0))} cycles)"),
                ("max staleness", _s(g("max_staleness_s", 0.0))),
            ],
        ),
        (
            "memory",
            [
                ("peak pod memory", mem("peak_pod_memory_bytes")),
                ("mean pod memory" + (" (pod 0)" if nodes > 1 else ""), mem("mean_pod_memory_bytes")),
                ("final pod memory" + (" (pod 0)" if nodes > 1 else ""), mem("final_pod_memory_bytes")),
                ("peak worker heap", format_bytes(g("peak_worker_heap_bytes", 0.0))),
            ],
        ),
        (
            "configuration store",
            [
                ("admin writes", f"{_count(g('admin_writes', 0))} writes"),
                ("DB queries", f"{_count(g('db_queries', 0))} queries"),
                ("DB utilisation", _pct(g("db_utilization", 0.0))),
            ],
        ),
        (
            "run",
            [
                ("simulated time", _s(sim_time)),
                ("wall time", _s(wall) if wall >= 1 else _ms(wall)),
                ("speed", speed),
            ],
        ),
    ]
    lines = [header]
    width = max(len(label) for _, rows in sections for label, _ in rows)
    for title, rows in sections:
        lines.append(f"\n{title}")
        lines.extend(f"  {label:<{width}}  {value}" for label, value in rows)
    return "\n".join(lines) + "\n"


def write_columns_csv(path: Union[str, "os.PathLike[str]"], columns: Mapping[str, Sequence[Any]]) -> None:
    """Write equal-length columns (lists or numpy arrays) as a CSV file.

    Parameters
    ----------
    path : str or path-like
        The file to write (replaced if it exists).
    columns : mapping of str to sequence
        Column name to values; the header row is the names in order.
    """
    names = list(columns)
    data = [c.tolist() if hasattr(c, "tolist") else list(c) for c in columns.values()]
    lengths = {len(c) for c in data}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal length: {dict(zip(names, map(len, data)))}")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows(zip(*data))


def write_results(
    out_dir: Union[str, "os.PathLike[str]"], result: Mapping[str, Any], *, plot: bool = True
) -> list[Path]:
    """Write a run's results into a directory.

    Files: ``summary.json`` (the :func:`summary_record`), ``scenario.json``
    (the exact scenario run, to reproduce it), ``timeseries.csv``,
    ``events.csv`` and, if `plot`, ``memory.png``
    (:func:`gwsim.plots.plot_memory`).

    Parameters
    ----------
    out_dir : str or path-like
        Created if missing; existing files of those names are replaced.
    result : mapping
        A :func:`gwsim.run` result (with its ``"scenario"``).
    plot : bool, optional
        Whether to draw memory.png (needs matplotlib).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenario = result.get("scenario", {})
    written = []

    path = out / "summary.json"
    path.write_text(json.dumps(summary_record(result["summary"], scenario), indent=2) + "\n", encoding="utf-8")
    written.append(path)

    path = out / "scenario.json"
    path.write_text(json.dumps(scenario, indent=2) + "\n", encoding="utf-8")
    written.append(path)

    path = out / "timeseries.csv"
    write_columns_csv(path, result["timeseries"])
    written.append(path)

    path = out / "events.csv"
    write_columns_csv(path, result["events"])
    written.append(path)

    if plot:
        from .plots import plot_memory

        path = out / "memory.png"
        plot_memory(result, path=path)
        written.append(path)
    return written
