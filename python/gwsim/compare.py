"""Router designs side by side: one workload, every strategy, common random numbers.

:func:`compare` runs one scenario once per rebuild strategy (all registered
ones by default), each with the same seeds, so the traffic, the admin writes
and every other random draw are identical and the differences in the table
come from the designs alone. With ``replications >= 2`` every figure gets a
Student-t confidence interval.

Examples
--------
>>> from gwsim.compare import compare, format_table
>>> table = compare("scenarios/router-designs.toml", replications=3)  # doctest: +SKIP
>>> print(format_table(table))                                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union


from . import _core
from .api import ScenarioLike
from .sweeps import summarize, sweep

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METRICS", "compare", "format_table", "plot_compare", "strategy_names"]

#: The design table's columns: summary metric, heading, unit, scale to that unit.
METRICS: list[tuple[str, str, str, float]] = [
    ("latency_p99_s", "p99", "ms", 1e3),
    ("error_rate", "errors", "%", 1e2),
    ("oom_kills", "OOM kills", "", 1.0),
    ("peak_pod_memory_bytes", "peak pod", "GiB", 1.0 / 2**30),
    ("rebuild_cpu_s", "rebuild CPU", "s", 1.0),
    ("rebuilds", "rebuilds", "", 1.0),
    ("max_staleness_s", "max staleness", "s", 1.0),
]


def strategy_names() -> list[str]:
    """Every registered rebuild strategy, in documented order."""
    return list(_core.strategy_names())


def compare(
    scenario: ScenarioLike,
    strategies: Optional[Sequence[str]] = None,
    replications: int = 1,
    seed: int = 1,
    client: Any = None,
    progress: bool = True,
    *,
    workers: Optional[int] = 1,
    store: Any = None,
) -> pd.DataFrame:
    """Run `scenario` under each strategy with common random numbers.

    Parameters
    ----------
    scenario : Scenario, mapping, str or path-like
        The workload: a Scenario, scenario dict or file. Its own ``strategy`` is ignored.
    strategies : sequence of str, optional
        Strategies to compare, in table order; default all of
        :func:`strategy_names`. Unknown names raise ValueError before anything
        runs.
    replications : int, default 1
        Runs per strategy (>= 1); with >= 2 the table has confidence intervals.
    seed, client, progress, workers, store
        As for :func:`gwsim.sweep` (`store`: a run store to look runs up in
        and write them to), except that `workers` defaults to 1 (sequential,
        in this process); ``workers=None`` uses one process per core.

    Returns
    -------
    pandas.DataFrame
        One row per run (``strategy``, ``replication``, ``seed`` and every
        summary scalar), then per strategy the ``<metric>_mean``,
        ``<metric>_ci_low`` and ``<metric>_ci_high`` columns of
        :func:`gwsim.sweep`.
        ``df.attrs["replications"]`` records the replication count.
    """
    known = strategy_names()
    chosen = list(known if strategies is None else strategies)
    if not chosen:
        raise ValueError("strategies: give at least one strategy")
    for name in chosen:
        if name not in known:
            raise ValueError(f"strategies: unknown strategy {name!r}; known: {', '.join(known)}")
    if len(set(chosen)) != len(chosen):
        raise ValueError("strategies: a strategy is listed twice")
    df = sweep(scenario, {"strategy": chosen}, replications=replications, seed=seed, client=client,
               progress=progress, workers=workers, store=store)
    df.attrs["replications"] = replications
    return df


def _summary_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Per strategy: {metric: (mean, ci or None)} in table order."""
    metrics = [m for m, *_ in METRICS]
    if df.attrs.get("replications", 1) >= 2:
        summary = summarize(df, by=["strategy"], metrics=metrics)
        return [
            {"strategy": row["strategy"], **{m: (row[f"{m}_mean"], row[f"{m}_ci"]) for m in metrics}}
            for _, row in summary.iterrows()
        ]
    return [{"strategy": row["strategy"], **{m: (float(row[m]), None) for m in metrics}} for _, row in df.iterrows()]


def _cell(value: float, ci: Optional[float], scale: float) -> str:
    def fmt(x: float) -> str:
        x *= scale
        if x == 0:
            return "0"
        if ci is None and float(x).is_integer():
            return f"{int(x):,}"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
        return f"{x:.{min(digits, 4)}f}"

    return fmt(value) if ci is None else f"{fmt(value)} ± {fmt(ci)}"


def format_table(df: pd.DataFrame, level: float = 0.95) -> str:
    """The design table as aligned text, units in the headings.

    Means with ``±`` the half-width of the `level` confidence interval when
    the frame holds two or more replications per strategy.
    """
    rows = _summary_rows(df)
    headings = ["strategy"] + [f"{title} ({unit})" if unit else title for _, title, unit, _ in METRICS]
    table = [headings]
    for row in rows:
        table.append([row["strategy"]] + [_cell(*row[m], scale) for m, _, _, scale in METRICS])
    widths = [max(len(r[i]) for r in table) for i in range(len(headings))]
    lines = []
    for k, r in enumerate(table):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    n = df.attrs.get("replications", 1)
    note = (f"{n} replications per strategy, common random numbers; ± is the {level:.0%} confidence half-width"
            if n >= 2 else "1 run per strategy, common random numbers (use --replications for intervals)")
    return "\n".join(lines) + "\n" + note + "\n"


def plot_compare(df: pd.DataFrame, path: Union[str, "os.PathLike[str]", None] = None) -> Any:
    """Bar charts of the design table (one panel per metric, CI whiskers).

    Returns the matplotlib Figure; saves it to `path` when given.
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = _summary_rows(df)
    names = [r["strategy"] for r in rows]
    panels = [m for m in METRICS if m[0] != "rebuilds"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (metric, title, unit, scale) in zip(axes.flat, panels):
        means = [r[metric][0] * scale for r in rows]
        cis = [(r[metric][1] or 0.0) * scale for r in rows]
        ax.bar(range(len(names)), means, yerr=cis if any(cis) else None, capsize=3, color="#4c72b0")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=35, ha="right")
        ax.set_title(f"{title} ({unit})" if unit else title)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("router designs on one workload (common random numbers)")
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
