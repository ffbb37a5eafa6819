"""Plots of a run: pod and worker memory against the limit, latency, errors.

Figures are made with :class:`matplotlib.figure.Figure` directly (no pyplot),
so plotting neither needs a display nor changes the global backend of a
notebook that imports gwsim.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Optional, Union

import numpy as np

__all__ = ["plot_memory"]

_GIB = float(1 << 30)


def _events_at(events: Mapping[str, Any], kind: str) -> np.ndarray:
    kinds = np.asarray(events.get("kind", []), dtype=object)
    times = np.asarray(events.get("time_s", []), dtype=float)
    if kinds.size == 0:
        return np.empty(0)
    return times[kinds == kind]


# More events of one kind than this are drawn as short ticks along the foot
# of the memory panel instead of full-height lines, which would hide the data.
_MAX_FULL_LINES = 30


def _mark_events(ax: Any, events: Mapping[str, Any], *, main: bool) -> None:
    """Vertical markers: admin writes (grey), OOM kills (red), respawns (green).

    Few events of a kind get full-height lines on every panel; many get a rug
    of ticks in their own band at the foot of the main panel only.
    """
    styles = [
        ("admin_write", "admin write", (0.0, 0.02), {"color": "0.45", "linewidth": 0.6, "linestyle": "-"}),
        ("oom_kill", "OOM kill", (0.02, 0.04), {"color": "tab:red", "linewidth": 1.0, "linestyle": "--"}),
        ("respawn", "worker respawn", (0.04, 0.06), {"color": "tab:green", "linewidth": 0.9, "linestyle": ":"}),
    ]
    for kind, label, band, style in styles:
        t = _events_at(events, kind)
        if t.size == 0:
            continue
        if t.size <= _MAX_FULL_LINES:
            ax.vlines(t, 0, 1, transform=ax.get_xaxis_transform(), alpha=0.8, zorder=1,
                      label=label if main else None, **style)
        elif main:
            style = dict(style, linestyle="-", linewidth=0.5)
            ax.vlines(t, *band, transform=ax.get_xaxis_transform(), zorder=1,
                      label=f"{label}s ({t.size:,}, ticks)", **style)


def plot_memory(
    result: Mapping[str, Any],
    *,
    scenario: Optional[Mapping[str, Any]] = None,
    path: Union[str, "os.PathLike[str]", None] = None,
    dpi: int = 120,
) -> Any:
    """Memory, latency and errors over a run.

    Top panel: resident memory of each pod (GiB) with the pod memory limit
    dashed, the Lua heap of every worker as thin lines, vertical markers for
    admin writes (thin grey), OOM kills (red, with an x on the limit) and
    worker respawns (green). Bottom panel: the worst worker's p99 latency over
    each sampling interval (ms, log scale) and the errors in each interval.

    Parameters
    ----------
    result : mapping
        A :func:`gwsim.run` result.
    scenario : mapping, optional
        The scenario run; defaults to ``result["scenario"]``.
    path : str or path-like, optional
        Save the figure there (PNG unless the suffix says otherwise).
    dpi : int, optional
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    scenario = scenario if scenario is not None else result.get("scenario", {})
    ts = {k: np.asarray(v) for k, v in result["timeseries"].items()}
    events = result.get("events", {})
    cluster = scenario.get("cluster", {})
    limit = cluster.get("pod_memory_limit_bytes")
    interval = scenario.get("run", {}).get("sample_interval_s", 1.0)

    t = ts["time_s"].astype(float)
    node = ts["node"].astype(int)
    worker = ts["worker"].astype(int)
    nodes = sorted(set(node.tolist()))

    fig = Figure(figsize=(11, 7.5), layout="constrained")
    mem_ax, lat_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])

    # Memory: pods thick, their workers' heaps thin in the pod's colour.
    for i, n in enumerate(nodes):
        colour = f"C{i % 10}"
        pod = (node == n) & (worker == -1)
        mem_ax.plot(t[pod], ts["resident_bytes"][pod] / _GIB, color=colour, linewidth=2.0,
                    label=f"pod {n} resident")
        workers = sorted(set(worker[(node == n) & (worker >= 0)].tolist()))
        for j, w in enumerate(workers):
            rows = (node == n) & (worker == w)
            mem_ax.plot(t[rows], ts["heap_bytes"][rows] / _GIB, color=colour, linewidth=0.7, alpha=0.55,
                        label=f"pod {n} worker heaps" if j == 0 else None)
    if limit:
        mem_ax.axhline(limit / _GIB, color="black", linestyle="--", linewidth=1.2,
                       label=f"pod limit {limit / _GIB:g} GiB")
    _mark_events(mem_ax, events, main=True)
    kills = _events_at(events, "oom_kill")
    if kills.size and limit:
        mem_ax.plot(kills, np.full(kills.size, limit / _GIB), "x", color="tab:red", markersize=8,
                    markeredgewidth=2, zorder=3)
    mem_ax.set_ylabel("memory (GiB)")
    mem_ax.set_ylim(bottom=0)
    mem_ax.grid(True, alpha=0.3)
    mem_ax.legend(loc="upper left", fontsize="small", ncol=2, framealpha=0.85)

    # Latency and errors, per sampling interval, over the workers.
    workers_rows = worker >= 0
    times = np.unique(t[workers_rows])
    p99 = np.full(times.size, np.nan)
    errors = np.zeros(times.size)
    if times.size:
        idx = np.searchsorted(times, t[workers_rows])
        np.fmax.at(p99, idx, ts["latency_p99_s"][workers_rows].astype(float))
        np.add.at(errors, idx, ts["errors"][workers_rows].astype(float))
    p99_ms = np.where(p99 > 0, p99 * 1e3, np.nan)
    lat_ax.plot(times, p99_ms, color="tab:blue", linewidth=1.0, marker=".", markersize=2,
                label="p99 latency, worst worker")
    if np.isfinite(p99_ms).any():
        lat_ax.set_yscale("log")
    lat_ax.set_ylabel("p99 latency (ms)", color="tab:blue")
    lat_ax.set_xlabel("simulated time (s)")
    lat_ax.grid(True, alpha=0.3)
    _mark_events(lat_ax, events, main=False)

    err_ax = lat_ax.twinx()
    # Each sample counts the errors of the interval that ends at it.
    err_ax.bar(times, errors, width=-interval, align="edge", color="tab:red", alpha=0.35,
               label=f"errors per {interval:g} s")
    err_ax.set_ylabel(f"errors per {interval:g} s interval (requests)", color="tab:red")
    err_ax.set_ylim(bottom=0, top=max(1.0, float(errors.max()) * 1.1) if errors.size else 1.0)
    # The latency line above the error bars of the twin axis.
    lat_ax.set_zorder(err_ax.get_zorder() + 1)
    lat_ax.patch.set_visible(False)
    handles = lat_ax.get_legend_handles_labels()
    err_handles = err_ax.get_legend_handles_labels()
    lat_ax.legend(handles[0] + err_handles[0], handles[1] + err_handles[1], loc="upper left",
                  fontsize="small", framealpha=0.85)

    kong = scenario.get("kong", {})
    details = f"{scenario.get('strategy', '?')}"
    if kong.get("worker_consistency"):
        details += f", {kong['worker_consistency']} consistency"
    details += (f", {len(nodes)} pod{'s' if len(nodes) != 1 else ''} x "
                f"{cluster.get('workers_per_node', '?')} workers, "
                f"{scenario.get('routes', {}).get('routes', 0):,} routes, "
                f"{scenario.get('traffic', {}).get('rate_per_s', 0):g} requests/s")
    title = f"{scenario.get('name', 'unnamed')}\n{details}"
    fig.suptitle(title)
    if t.size:
        mem_ax.set_xlim(0, float(t.max()))

    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
