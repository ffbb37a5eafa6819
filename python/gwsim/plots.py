"""Plots of runs and sweeps: memory against the limit, latency, sweep heatmaps and lines.

Every function takes what gwsim already produces and returns a
:class:`matplotlib.figure.Figure`:

- :func:`plot_memory`: one run's pod and worker memory over time with the pod
  limit and markers for admin writes, rebuilds, GC cycles, OOM kills and
  respawns (plus latency and errors below, unless drawn into a given axes);
- :func:`plot_latency`: one run's p50/p99 latency over time;
- :func:`plot_sweep_heatmap`: a metric over two sweep fields, the mean of the
  replications in each annotated cell;
- :func:`plot_sweep_lines`: a metric against one sweep field, one line per
  value of another, with confidence bands from :func:`gwsim.summarize`;
- :func:`plot_compare`: the router-design chart of :mod:`gwsim.compare`.

A run is a :func:`gwsim.run` result or its :func:`gwsim.to_dataframes` form;
a sweep is a :func:`gwsim.sweep` frame (one row per run) or its
:func:`gwsim.summarize` form. Units come from the names of the columns
(:func:`metric_unit`), so axes are labelled with units everywhere.

Figures are made with :class:`matplotlib.figure.Figure` directly (no pyplot),
so plotting neither needs a display nor changes the global backend of a
notebook that imports gwsim. Every function accepts ``path=`` to save the
figure, and all but :func:`plot_compare` accept ``ax=`` to draw into an
existing axes (the figure returned is then that axes' figure).

Examples
--------
>>> import gwsim
>>> from gwsim import plots
>>> frames = gwsim.to_dataframes(gwsim.run("scenarios/quick-look.toml"))  # doctest: +SKIP
>>> plots.plot_memory(frames, limit=2 * 2**30, path="memory.png")       # doctest: +SKIP
>>> df = gwsim.sweep("scenarios/quick-look.toml",                        # doctest: +SKIP
...                  {"cluster.workers_per_node": [1, 2, 4], "traffic.rate_per_s": [50, 100]},
...                  replications=3)
>>> plots.plot_sweep_lines(df, x="traffic.rate_per_s", metric="latency_p99_s",  # doctest: +SKIP
...                        hue="cluster.workers_per_node")
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from .compare import plot_compare

__all__ = [
    "metric_label",
    "metric_unit",
    "plot_compare",
    "plot_latency",
    "plot_memory",
    "plot_sweep_heatmap",
    "plot_sweep_lines",
]

PathLike = Union[str, "os.PathLike[str]"]

_GIB = float(1 << 30)

# --------------------------------------------------------------------------
# Units, from the names of the columns

#: Name suffix -> (unit shown on the axis, factor from the stored SI value).
#: Checked in order, so ``_per_s`` wins over ``_s``.
_SUFFIX_UNITS: list[tuple[str, str, float]] = [
    ("_per_s", "1/s", 1.0),
    ("_bytes", "GiB", 1.0 / _GIB),
    ("_s", "s", 1.0),
    ("_rate", "%", 100.0),
    ("_utilization", "%", 100.0),
    ("_fraction", "%", 100.0),
]

#: Names without a unit suffix that count things: name -> what is counted.
_COUNT_UNITS: dict[str, str] = {
    "requests": "requests",
    "completed": "requests",
    "errors": "requests",
    "in_flight": "requests",
    "oom_kills": "count",
    "worker_restarts": "count",
    "rebuilds": "count",
    "gc_cycles": "count",
    "admin_writes": "count",
    "stale_matches": "requests",
    "cache_hits": "requests",
    "cache_misses": "requests",
    "not_found": "requests",
    "db_queries": "queries",
    "events": "events",
    "nodes": "pods",
    "workers_per_node": "workers",
    "routes": "routes",
    "services": "services",
    "replication": "index",
}

#: Columns :func:`gwsim.summarize` (and :func:`gwsim.sweep`, per configuration) add per metric.
_STAT_SUFFIXES = ("_mean", "_std", "_ci", "_n", "_ci_low", "_ci_high")

_WORDS = {"oom": "OOM", "gc": "GC", "db": "DB", "cpu": "CPU", "lru": "LRU"}


def _base_name(name: str) -> str:
    """`name` without a summarize suffix (``latency_p99_s_mean`` -> ``latency_p99_s``)."""
    for suffix in _STAT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def metric_unit(name: str) -> tuple[str, float]:
    """Unit and scale of a metric or scenario field, from its name.

    Parameters
    ----------
    name : str
        A summary metric (``"latency_p99_s"``), a :func:`gwsim.summarize`
        column (``"latency_p99_s_mean"``) or a dotted scenario field
        (``"cluster.pod_memory_limit_bytes"``).

    Returns
    -------
    (str, float)
        The unit to print and the factor that turns the stored value into it:
        ``_s`` seconds (``"s"``, 1), ``_bytes`` GiB (``"GiB"``, 2**-30),
        ``_per_s`` per second (``"1/s"``, 1), ``_rate``, ``_utilization`` and
        ``_fraction`` percent (``"%"``, 100), known counts (``"count"``,
        ``"requests"`` ...) and ``("", 1.0)`` when the name says nothing.

    Examples
    --------
    >>> metric_unit("peak_pod_memory_bytes")
    ('GiB', 9.313225746154785e-10)
    >>> metric_unit("traffic.rate_per_s")
    ('1/s', 1.0)
    """
    leaf = _base_name(str(name)).rsplit(".", 1)[-1]
    for suffix, unit, scale in _SUFFIX_UNITS:
        if leaf.endswith(suffix) or leaf == suffix[1:]:
            return unit, scale
    return _COUNT_UNITS.get(leaf, ""), 1.0


def metric_label(name: str) -> str:
    """Axis label of a metric or scenario field, with its unit.

    Summary metrics read as words (``"latency_p99_s"`` -> ``"latency p99 (s)"``,
    ``"oom_kills"`` -> ``"OOM kills (count)"``); dotted scenario fields keep
    their name so the label matches the sweep column
    (``"traffic.rate_per_s (1/s)"``).
    """
    base = _base_name(str(name))
    unit, _ = metric_unit(base)
    if "." in base:
        text = base
    else:
        leaf = base
        for suffix, *_ in _SUFFIX_UNITS:
            if leaf.endswith(suffix) and suffix not in ("_rate", "_utilization", "_fraction"):
                leaf = leaf[: -len(suffix)]
                break
        text = " ".join(_WORDS.get(w, w) for w in leaf.split("_") if w)
        if str(name).endswith("_mean"):
            text = f"mean {text}"
    return f"{text} ({unit})" if unit else text


# --------------------------------------------------------------------------
# Helpers


def _require(frame: Any, columns: Sequence[Optional[str]], what: str) -> None:
    """Raise ValueError naming the first of `columns` that `frame` lacks."""
    have = list(getattr(frame, "columns", frame.keys() if hasattr(frame, "keys") else []))
    for column in columns:
        if column is not None and column not in have:
            shown = ", ".join(map(str, have[:12])) + (", ..." if len(have) > 12 else "")
            raise ValueError(f"{what}: column {column!r} not found (columns: {shown})")


def _finish(fig: Any, path: Optional[PathLike], dpi: int) -> Any:
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _new_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """(figure, axes): the axes given, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _run_parts(result: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], Any, dict[str, Any]]:
    """(timeseries columns as arrays, events, scenario) of a run result or its DataFrames."""
    if "timeseries" not in result:
        raise ValueError("expected a gwsim.run result or gwsim.to_dataframes frames: no 'timeseries'")
    ts_in = result["timeseries"]
    ts = {str(k): np.asarray(v) for k, v in ts_in.items()}
    _require(ts, ["time_s", "node", "worker"], "timeseries")
    events = result.get("events", {})
    if events is None:
        events = {}
    if len(events) and hasattr(events, "keys") and len(list(events.keys())):
        _require(events, ["time_s", "kind"], "events")
    scenario = result.get("scenario") or {}
    return ts, events, dict(scenario)


def _events_at(events: Mapping[str, Any], kind: str) -> np.ndarray:
    kinds = np.asarray(events.get("kind", []), dtype=object)
    times = np.asarray(events.get("time_s", []), dtype=float)
    if kinds.size == 0:
        return np.empty(0)
    return times[kinds == kind]


# More events of one kind than this are drawn as short ticks along the foot
# of the memory panel instead of full-height lines, which would hide the data.
_MAX_FULL_LINES = 30

#: Event kind, legend label, band of the axes height for ticks, line style.
_EVENT_STYLES: list[tuple[str, str, tuple[float, float], dict[str, Any]]] = [
    ("admin_write", "admin write", (0.0, 0.02), {"color": "0.45", "linewidth": 0.6, "linestyle": "-"}),
    ("rebuild_start", "rebuild start", (0.02, 0.04), {"color": "tab:orange", "linewidth": 0.6, "linestyle": "-"}),
    ("rebuild_end", "rebuild end", (0.04, 0.06), {"color": "tab:brown", "linewidth": 0.6, "linestyle": "-."}),
    ("gc_cycle_end", "GC cycle end", (0.06, 0.08), {"color": "tab:purple", "linewidth": 0.6, "linestyle": ":"}),
    ("oom_kill", "OOM kill", (0.08, 0.10), {"color": "tab:red", "linewidth": 1.0, "linestyle": "--"}),
    ("respawn", "worker respawn", (0.10, 0.12), {"color": "tab:green", "linewidth": 0.9, "linestyle": ":"}),
]

_DEFAULT_MARKS = tuple(kind for kind, *_ in _EVENT_STYLES)


def _mark_events(ax: Any, events: Mapping[str, Any], *, main: bool,
                 kinds: Sequence[str] = _DEFAULT_MARKS) -> None:
    """Vertical markers for the events of `kinds`.

    Few events of a kind get full-height lines on every panel; many get a rug
    of ticks in their own band at the foot of the main panel only.
    """
    for kind, label, band, style in _EVENT_STYLES:
        if kind not in kinds:
            continue
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


def _check_marks(mark: Optional[Sequence[str]]) -> tuple[str, ...]:
    if mark is None:
        return _DEFAULT_MARKS
    mark = tuple(mark)
    for kind in mark:
        if kind not in _DEFAULT_MARKS:
            raise ValueError(f"mark: unknown event kind {kind!r}; known: {', '.join(_DEFAULT_MARKS)}")
    return mark


# --------------------------------------------------------------------------
# One run


def plot_memory(
    result: Mapping[str, Any],
    *,
    scenario: Optional[Mapping[str, Any]] = None,
    limit: Optional[float] = None,
    mark: Optional[Sequence[str]] = None,
    ax: Any = None,
    path: Optional[PathLike] = None,
    dpi: int = 120,
) -> Any:
    """Memory, latency and errors over a run.

    Top panel: resident memory of each pod (GiB) with the pod memory limit
    dashed, the Lua heap of every worker as thin lines, and vertical markers
    for admin writes (grey), rebuild starts and ends (orange, brown), GC cycle
    ends (purple), OOM kills (red, with an x on the limit) and worker
    respawns (green); kinds with more than 30 events are drawn as ticks along
    the foot of the panel. Bottom panel: the worst worker's p99 latency over
    each sampling interval (ms, log scale) and the errors in each interval.

    Parameters
    ----------
    result : mapping
        A :func:`gwsim.run` result, or its :func:`gwsim.to_dataframes` frames
        (``"timeseries"`` and ``"events"``).
    scenario : mapping, optional
        The scenario run, for the title, the limit and the sampling interval;
        defaults to ``result["scenario"]`` when present.
    limit : float, optional
        Pod memory limit in bytes; defaults to the scenario's
        ``cluster.pod_memory_limit_bytes``. ``0`` draws no limit.
    mark : sequence of str, optional
        Event kinds to mark (default all: ``admin_write``, ``rebuild_start``,
        ``rebuild_end``, ``gc_cycle_end``, ``oom_kill``, ``respawn``).
    ax : matplotlib.axes.Axes, optional
        Draw only the memory panel into this axes.
    path : str or path-like, optional
        Save the figure there (PNG unless the suffix says otherwise).
    dpi : int, default 120
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the time series lacks a column the plot needs (the message names
        it) or `mark` names an unknown event kind.
    """
    ts, events, own_scenario = _run_parts(result)
    _require(ts, ["resident_bytes", "heap_bytes"], "timeseries")
    marks = _check_marks(mark)
    scenario = dict(scenario) if scenario is not None else own_scenario
    cluster = scenario.get("cluster", {})
    if limit is None:
        limit = cluster.get("pod_memory_limit_bytes")

    t = ts["time_s"].astype(float)
    node = ts["node"].astype(int)
    worker = ts["worker"].astype(int)
    nodes = sorted(set(node.tolist()))

    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 7.5), layout="constrained")
        mem_ax, lat_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    else:
        fig, mem_ax, lat_ax = ax.figure, ax, None

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
    _mark_events(mem_ax, events, main=True, kinds=marks)
    kills = _events_at(events, "oom_kill")
    if kills.size and limit and "oom_kill" in marks:
        mem_ax.plot(kills, np.full(kills.size, limit / _GIB), "x", color="tab:red", markersize=8,
                    markeredgewidth=2, zorder=3)
    mem_ax.set_ylabel("memory (GiB)")
    mem_ax.set_ylim(bottom=0)
    mem_ax.grid(True, alpha=0.3)
    mem_ax.legend(loc="upper left", fontsize="small", ncol=2, framealpha=0.85)
    if t.size:
        mem_ax.set_xlim(0, float(t.max()))

    if lat_ax is None:
        mem_ax.set_xlabel("simulated time (s)")
        return _finish(fig, path, dpi)

    # Latency and errors, per sampling interval, over the workers.
    interval = scenario.get("run", {}).get("sample_interval_s")
    if interval is None:
        steps = np.diff(np.unique(t))
        interval = float(steps.min()) if steps.size else 1.0
    workers_rows = worker >= 0
    times = np.unique(t[workers_rows])
    p99 = np.full(times.size, np.nan)
    errors = np.zeros(times.size)
    if times.size:
        idx = np.searchsorted(times, t[workers_rows])
        if "latency_p99_s" in ts:
            np.fmax.at(p99, idx, ts["latency_p99_s"][workers_rows].astype(float))
        if "errors" in ts:
            np.add.at(errors, idx, ts["errors"][workers_rows].astype(float))
    p99_ms = np.where(p99 > 0, p99 * 1e3, np.nan)
    lat_ax.plot(times, p99_ms, color="tab:blue", linewidth=1.0, marker=".", markersize=2,
                label="p99 latency, worst worker")
    if np.isfinite(p99_ms).any():
        lat_ax.set_yscale("log")
    lat_ax.set_ylabel("p99 latency (ms)", color="tab:blue")
    lat_ax.set_xlabel("simulated time (s)")
    lat_ax.grid(True, alpha=0.3)
    _mark_events(lat_ax, events, main=False, kinds=tuple(k for k in marks if k in ("admin_write", "oom_kill",
                                                                                      "respawn")))

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

    if scenario:
        kong = scenario.get("kong", {})
        details = f"{scenario.get('strategy', '?')}"
        if kong.get("worker_consistency"):
            details += f", {kong['worker_consistency']} consistency"
        details += (f", {len(nodes)} pod{'s' if len(nodes) != 1 else ''} x "
                    f"{cluster.get('workers_per_node', '?')} workers, "
                    f"{scenario.get('routes', {}).get('routes', 0):,} routes, "
                    f"{scenario.get('traffic', {}).get('rate_per_s', 0):g} requests/s")
        fig.suptitle(f"{scenario.get('name', 'unnamed')}\n{details}")
    else:
        fig.suptitle("memory and latency over the run")
    return _finish(fig, path, dpi)


def plot_latency(
    result: Mapping[str, Any],
    *,
    percentiles: Sequence[str] = ("p50", "p99"),
    mark: Optional[Sequence[str]] = ("admin_write", "oom_kill"),
    log: bool = True,
    ax: Any = None,
    path: Optional[PathLike] = None,
    dpi: int = 120,
) -> Any:
    """Latency percentiles over a run, per sampling interval.

    For each percentile a line follows the worst worker (the highest value
    over all workers of all pods in each interval) and a shaded band spans
    the best to the worst worker. Intervals in which a worker served no
    request are left out for that worker.

    Parameters
    ----------
    result : mapping
        A :func:`gwsim.run` result or its :func:`gwsim.to_dataframes` frames.
    percentiles : sequence of str, default ("p50", "p99")
        Which ``latency_<p>_s`` time-series columns to draw.
    mark : sequence of str, optional
        Event kinds to mark with vertical lines (as for :func:`plot_memory`);
        ``None`` marks every kind, ``()`` none.
    log : bool, default True
        Logarithmic latency axis.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.
    path : str or path-like, optional
        Save the figure there.
    dpi : int, default 120
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a ``latency_<p>_s`` column is missing (the message names it).
    """
    ts, events, scenario = _run_parts(result)
    columns = [f"latency_{p}_s" for p in percentiles]
    if not columns:
        raise ValueError("percentiles: give at least one, e.g. ('p50', 'p99')")
    _require(ts, columns, "timeseries")
    marks = _check_marks(mark) if mark is None or len(mark) else ()

    fig, ax = _new_axes(ax, (10, 4.5))
    t = ts["time_s"].astype(float)
    rows = ts["worker"].astype(int) >= 0
    times = np.unique(t[rows])
    idx = np.searchsorted(times, t[rows])
    drew = False
    for i, (p, column) in enumerate(zip(percentiles, columns)):
        values = ts[column][rows].astype(float) * 1e3
        values = np.where(values > 0, values, np.nan)
        hi = np.full(times.size, np.nan)
        lo = np.full(times.size, np.nan)
        np.fmax.at(hi, idx, values)
        np.fmin.at(lo, idx, values)
        colour = f"C{i % 10}"
        ax.plot(times, hi, color=colour, linewidth=1.2, label=f"{p}, worst worker")
        if np.isfinite(lo).any() and np.nanmax(hi - lo) > 0:
            ax.fill_between(times, lo, hi, color=colour, alpha=0.2, linewidth=0,
                            label=f"{p}, range over workers")
        drew = drew or bool(np.isfinite(hi).any())
    if log and drew:
        ax.set_yscale("log")
    _mark_events(ax, events, main=True, kinds=marks)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("latency per sampling interval (ms)")
    ax.grid(True, alpha=0.3)
    if t.size:
        ax.set_xlim(0, float(t.max()))
    ax.legend(loc="upper left", fontsize="small", framealpha=0.85)
    name = scenario.get("name")
    ax.set_title(f"latency percentiles over time{f': {name}' if name else ''}")
    return _finish(fig, path, dpi)


# --------------------------------------------------------------------------
# Sweeps


def _levels(values: Any) -> list[Any]:
    """Distinct values in order: sorted when all are numbers, else in order of first appearance."""
    import pandas as pd

    distinct = list(pd.unique(pd.Series(list(values))))
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in distinct):
        return sorted(distinct)
    return distinct


def _tick_text(value: Any, scale: float) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{float(value) * scale:g}"
    return str(value)


def _metric_columns(df: Any, metric: str) -> tuple[str, Optional[str]]:
    """(mean column, confidence half-width column or None) of `metric` in a sweep or summarize frame."""
    if metric in df.columns:
        return metric, None
    if f"{metric}_mean" in df.columns:
        ci = f"{metric}_ci"
        return f"{metric}_mean", ci if ci in df.columns else None
    _require(df, [metric], "metric")
    raise AssertionError  # pragma: no cover - _require raised


def _format_cell(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.3g}" if magnitude < 100 else f"{value:.0f}"
    return f"{value:.3g}"


def plot_sweep_heatmap(
    df: Any,
    x: str,
    y: str,
    metric: str,
    *,
    cmap: str = "viridis",
    annotate: bool = True,
    ax: Any = None,
    path: Optional[PathLike] = None,
    dpi: int = 120,
) -> Any:
    """A metric over two sweep fields: the mean of the replications in each cell.

    Parameters
    ----------
    df : pandas.DataFrame
        A :func:`gwsim.sweep` frame (replications are averaged) or a
        :func:`gwsim.summarize` frame (its ``<metric>_mean`` is used).
    x, y : str
        Columns for the horizontal and vertical axes (usually grid keys such
        as ``"cluster.workers_per_node"``). Numeric values are sorted upwards
        and rightwards; others keep the order in which they first appear.
    metric : str
        The summary metric to colour by, e.g. ``"latency_p99_s"``; its unit
        (:func:`metric_unit`) labels the colour bar and scales the values.
    cmap : str, default "viridis"
        Colour map.
    annotate : bool, default True
        Write each cell's value in it (``n/a`` for a combination not run).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.
    path : str or path-like, optional
        Save the figure there.
    dpi : int, default 120
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If `x`, `y` or `metric` is not a column (the message names it), or
        ``x == y``.
    """
    import pandas as pd

    _require(df, [x, y], "plot_sweep_heatmap")
    if x == y:
        raise ValueError(f"plot_sweep_heatmap: x and y are both {x!r}; give two different columns")
    value_col, _ = _metric_columns(df, metric)
    unit, scale = metric_unit(metric)
    x_unit, x_scale = metric_unit(x)
    y_unit, y_scale = metric_unit(y)

    means = (pd.DataFrame({"x": df[x].to_numpy(), "y": df[y].to_numpy(),
                           "v": pd.to_numeric(df[value_col], errors="coerce").to_numpy(dtype=float)})
             .groupby(["y", "x"], sort=False)["v"].mean())
    xs, ys = _levels(df[x]), _levels(df[y])
    grid = np.full((len(ys), len(xs)), np.nan)
    for (yv, xv), v in means.items():
        grid[ys.index(yv), xs.index(xv)] = v * scale

    fig, ax = _new_axes(ax, (1.2 + 1.1 * max(len(xs), 3), 1.2 + 0.7 * max(len(ys), 3)))
    image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap=cmap,
                      interpolation="nearest")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(metric_label(metric))
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([_tick_text(v, x_scale) for v in xs])
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels([_tick_text(v, y_scale) for v in ys])
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(y))
    if annotate:
        finite = grid[np.isfinite(grid)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        colours = image.cmap
        for i in range(len(ys)):
            for j in range(len(xs)):
                v = grid[i, j]
                if np.isfinite(v):
                    r, g, b, _ = colours((v - lo) / (hi - lo) if hi > lo else 0.5)
                    ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
                else:
                    ink = "0.4"
                ax.text(j, i, _format_cell(v), ha="center", va="center", color=ink, fontsize="small")
    n = df["replication"].nunique() if "replication" in df.columns else None
    title = metric_label(metric).split(" (")[0]
    ax.set_title(f"{title}, mean of {n} replication{'s' if n != 1 else ''}" if n else title)
    return _finish(fig, path, dpi)


def plot_sweep_lines(
    df: Any,
    x: str,
    metric: str,
    *,
    hue: Optional[str] = None,
    level: float = 0.95,
    log_x: bool = False,
    log_y: bool = False,
    ax: Any = None,
    path: Optional[PathLike] = None,
    dpi: int = 120,
) -> Any:
    """A metric against one sweep field: means with confidence bands.

    Parameters
    ----------
    df : pandas.DataFrame
        A :func:`gwsim.sweep` frame, reduced here with :func:`gwsim.summarize`
        (bands need 2 or more replications per point; with fewer the means are
        drawn without bands), or a :func:`gwsim.summarize` frame (its
        ``<metric>_mean`` and ``<metric>_ci``).
    x : str
        Column for the horizontal axis. Numeric values are plotted at their
        value (scaled to the unit of the name); others as evenly spaced
        categories in order of first appearance.
    metric : str
        Summary metric for the vertical axis, e.g. ``"latency_p99_s"``.
    hue : str, optional
        One line per value of this column.
    level : float, default 0.95
        Confidence level of the bands (Student-t, as :func:`gwsim.summarize`).
    log_x, log_y : bool, default False
        Logarithmic axes.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes.
    path : str or path-like, optional
        Save the figure there.
    dpi : int, default 120
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If `x`, `hue` or `metric` is not a column (the message names it).
    """
    import pandas as pd

    from .sweeps import summarize

    _require(df, [x, hue], "plot_sweep_lines")
    if hue is not None and hue == x:
        raise ValueError(f"plot_sweep_lines: x and hue are both {x!r}; give two different columns")
    by = [x] + ([hue] if hue is not None else [])
    if metric in df.columns:
        counts = df.groupby(by, sort=False, dropna=False)[metric].count()
        if len(counts) and int(counts.min()) >= 2:
            table = summarize(df, by=by, metrics=[metric], level=level)
            mean_col, ci_col = f"{metric}_mean", f"{metric}_ci"
        else:
            table = (df.assign(**{metric: pd.to_numeric(df[metric], errors="coerce")})
                     .groupby(by, sort=False, dropna=False)[metric].mean().reset_index())
            mean_col, ci_col = metric, None
    else:
        mean_col, ci_col = _metric_columns(df, metric)
        table = df

    unit, scale = metric_unit(metric)
    _, x_scale = metric_unit(x)
    xs = _levels(table[x])
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in xs)

    def position(values: Any) -> np.ndarray:
        if numeric:
            return np.asarray(values, dtype=float) * x_scale
        return np.asarray([xs.index(v) for v in values], dtype=float)

    fig, ax = _new_axes(ax, (8, 5))
    groups = [(None, table)] if hue is None else [(h, table[table[hue] == h]) for h in _levels(table[hue])]
    _, hue_scale = metric_unit(hue) if hue is not None else ("", 1.0)
    for i, (h, part) in enumerate(groups):
        pos = position(part[x])
        order = np.argsort(pos, kind="stable")
        pos = pos[order]
        mean = part[mean_col].to_numpy(dtype=float)[order] * scale
        colour = f"C{i % 10}"
        label = metric_label(metric).split(" (")[0] if h is None else _tick_text(h, hue_scale)
        ax.plot(pos, mean, marker="o", markersize=4, color=colour, linewidth=1.5, label=label)
        if ci_col is not None:
            ci = part[ci_col].to_numpy(dtype=float)[order] * scale
            ax.fill_between(pos, mean - ci, mean + ci, color=colour, alpha=0.2, linewidth=0)
    if not numeric:
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels([str(v) for v in xs])
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(metric))
    ax.grid(True, alpha=0.3)
    legend_title = metric_label(hue) if hue is not None else None
    ax.legend(title=legend_title, fontsize="small", framealpha=0.85)
    band = f", {level:.0%} confidence bands" if ci_col is not None else ""
    ax.set_title(f"{metric_label(metric).split(' (')[0]}: mean{band}")
    return _finish(fig, path, dpi)
