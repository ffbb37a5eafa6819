"""Parameter sweeps: a grid of scenario variants, replicated, into one table.

:func:`sweep` runs the Cartesian product of a grid of scenario fields (or the
points of a sampled design from :mod:`gwsim.designs`), each point
``replications`` times, in a pool of local processes (one per available core
by default, see :func:`default_workers`), sequentially in this process
(``workers=1``) or on a Dask cluster, and returns one row per run with, on
every row, the mean and 95% confidence interval of each summary metric over
that row's configuration. With a run store
(``store="results.sqlite"``, see :mod:`gwsim.store`) runs already stored are
not simulated again and every new run is stored as it completes. :func:`summarize` reduces that table
to a mean, standard deviation, count and Student-t confidence interval per grid
point.

Seeds follow the common-random-numbers scheme: replication ``k`` runs with the
same seed at every grid point, derived only from the base ``seed`` and ``k``,
so differences between grid points are not blurred by different random streams
and the results do not depend on where or in which order the runs execute.

Examples
--------
>>> import gwsim
>>> from gwsim import sweep, summarize
>>> df = sweep("scenarios/quick-look.toml",                       # doctest: +SKIP
...            {"cluster.workers_per_node": [2, 4, 8]}, replications=5)
>>> summarize(df, metrics=["latency_p99_s"])                      # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from .api import ScenarioLike, apply_overrides, run, scenario_dict

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CI_LEVEL",
    "STAT_SUFFIXES",
    "configuration_columns",
    "default_workers",
    "replication_seed",
    "summarize",
    "sweep",
    "t_quantile",
]

#: Columns :func:`sweep` adds besides the grid fields and the summary scalars.
REPLICATION_COLUMN = "replication"
SEED_COLUMN = "seed"
#: Confidence level of the per-configuration intervals :func:`sweep` adds.
CI_LEVEL = 0.95
#: Suffixes of the per-configuration columns :func:`sweep` adds for each metric.
STAT_SUFFIXES = ("_mean", "_ci_low", "_ci_high")
#: Summary scalars :func:`sweep` gives no per-configuration columns: the run's
#: own measurement of its execution time, not a result of the simulation (it
#: differs from one execution to the next; :func:`summarize` still covers it).
NOT_A_METRIC = ("wall_time_s",)
#: Scenario fields outside any section that a grid may vary.
TOP_LEVEL_FIELDS = ("strategy",)


# --------------------------------------------------------------------------
# Seeds


def replication_seed(seed: int, replication: int) -> int:
    """Seed of replication `replication` in a sweep with base seed `seed`.

    Derived with :class:`numpy.random.SeedSequence` from ``(seed,
    replication)`` only, so it is the same at every grid point (common random
    numbers), on every machine and in every execution order. The value is below
    ``2**53`` (exact as a float and in JSON).
    """
    import numpy as np

    if seed < 0 or replication < 0:
        raise ValueError(f"seed and replication must be >= 0, got {seed} and {replication}")
    state = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replication),))
    return int(state.generate_state(1, dtype=np.uint64)[0]) >> 11


# --------------------------------------------------------------------------
# Workers


def default_workers() -> int:
    """Local worker processes :func:`sweep` uses by default: every available core.

    The number of CPUs this process may run on (:func:`os.sched_getaffinity`,
    which honours ``taskset``, cgroup cpusets and the like) where the platform
    has it, else :func:`os.cpu_count`; at least 1.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def _check_workers(workers: Optional[int]) -> int:
    """The worker count `workers` asks for (None: :func:`default_workers`); ValueError if invalid."""
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be None (one per available core, {default_workers()} here) "
                         f"or an integer >= 1, got {workers!r}")
    return workers


# --------------------------------------------------------------------------
# Running one point (module level so process pools and Dask can pickle it)


def _format_value(value: Any) -> str:
    """Text of a grid value in a ``section.key=value`` assignment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _run_one(scenario: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run a complete, validated scenario with `seed`; return its summary scalars."""
    return dict(run(scenario, seed=seed)["summary"])


def _run_full(scenario: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run a complete, validated scenario with `seed`; return summary, timeseries and events."""
    result = run(scenario, seed=seed)
    return {"summary": dict(result["summary"]), "timeseries": result["timeseries"], "events": result["events"]}


def _base_scenario(scenario: ScenarioLike) -> dict[str, Any]:
    return scenario_dict(scenario)


def _check_key(key: Any, what: str) -> None:
    if not isinstance(key, str) or ("." not in key and key not in TOP_LEVEL_FIELDS):
        raise ValueError(f"{what} key {key!r}: expected a dotted scenario field such as 'cluster.workers_per_node' "
                         f"or one of {', '.join(TOP_LEVEL_FIELDS)}")
    if key == "run.seed":
        raise ValueError(f"{what} key 'run.seed': seeds are set by sweep(seed=..., replications=...)")
    if key in (REPLICATION_COLUMN, SEED_COLUMN):
        raise ValueError(f"{what} key {key!r} clashes with a column sweep adds")


def _check_grid(grid: Mapping[str, Sequence[Any]]) -> list[tuple[str, list[Any]]]:
    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ValueError("grid must be a non-empty mapping of scenario fields to value lists")
    items = []
    for key, values in grid.items():
        _check_key(key, "grid")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"grid key {key!r}: values must be a list of values, got {values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"grid key {key!r}: empty list of values")
        items.append((key, values))
    return items


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; other values unchanged."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def _check_samples(samples: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Keys and points of a design (a DataFrame from :mod:`gwsim.designs` or a list of mappings)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(samples, pd.DataFrame):
        keys = list(samples.columns)
        rows = [tuple(_plain(v) for v in record) for record in samples.itertuples(index=False, name=None)]
    elif isinstance(samples, Iterable) and not isinstance(samples, (str, bytes, Mapping)):
        records = list(samples)
        if not all(isinstance(r, Mapping) for r in records):
            raise ValueError("samples must be a DataFrame of points (gwsim.designs) or a list of mappings")
        keys = list(dict.fromkeys(k for r in records for k in r))
        for i, r in enumerate(records):
            missing = [k for k in keys if k not in r]
            if missing:
                raise ValueError(f"sample {i} has no value for {', '.join(map(repr, missing))}")
        rows = [tuple(_plain(r[k]) for k in keys) for r in records]
    else:
        raise ValueError("samples must be a DataFrame of points (gwsim.designs) or a list of mappings, "
                         f"got {type(samples).__name__}")
    if not keys or not rows:
        raise ValueError("samples: the design has no points or no fields")
    if len(set(keys)) != len(keys):
        raise ValueError("samples: a field appears twice")
    for key in keys:
        _check_key(key, "samples")
    return keys, rows


def _open_store(store: Any):
    """(ResultStore or None, whether sweep opened it and must close it)."""
    if store is None:
        return None, False
    from .store import ResultStore

    if isinstance(store, ResultStore):
        return store, False
    return ResultStore(store), True


# --------------------------------------------------------------------------
# Sweep


def sweep(
    scenario: ScenarioLike,
    grid: Optional[Mapping[str, Sequence[Any]]] = None,
    replications: int = 1,
    seed: int = 1,
    client: Any = None,
    progress: bool = True,
    *,
    workers: Optional[int] = None,
    samples: Any = None,
    store: Any = None,
) -> pd.DataFrame:
    """Run every point of a grid or a sampled design, `replications` times each.

    Parameters
    ----------
    scenario : Scenario, mapping, str or path-like
        The base scenario: a :class:`gwsim.Scenario`, a dict or the path of a
        scenario file.
    grid : mapping of str to sequence, optional
        Dotted scenario fields (``"cluster.workers_per_node"``) to the values
        to try, each any value :func:`gwsim.apply_overrides` accepts for that
        field (numbers, ``"250ms"``, ``"8GiB"``, ``"eventual"``, booleans).
        The runs cover the Cartesian product, the first key varying slowest.
        ``run.seed`` may not be swept (see `seed`).
    replications : int, default 1
        Runs per grid point, >= 1.
    seed : int, default 1
        Base seed (>= 0). Replication ``k`` runs with
        :func:`replication_seed(seed, k) <replication_seed>` at every grid
        point (common random numbers).
    client : dask.distributed.Client, optional
        Run on this Dask cluster (the workers must be able to import gwsim).
    progress : bool, default True
        Show a tqdm progress bar when standard error is a terminal.
    workers : int, optional
        Without `client`: run in this many local processes
        (:class:`concurrent.futures.ProcessPoolExecutor`, started with
        ``"spawn"``) when > 1, else sequentially in this process. Default
        (None): one process per available core, :func:`default_workers`.
        The results do not depend on it. A pool is used only when more than
        one run is to be simulated, so scripts calling :func:`sweep` with
        more than one worker need an ``if __name__ == "__main__":`` guard (the
        pool's processes import the main module); pass ``workers=1`` where
        that is impossible. Ignored (but still checked) with `client`.
    samples : pandas.DataFrame or list of mappings, optional
        A sampled design instead of `grid`: one point per row, one column per
        dotted field (see :mod:`gwsim.designs`). Give exactly one of `grid`
        and `samples`. Replications and seeds are as for a grid (common
        random numbers across the design points).
    store : str, path-like or ResultStore, optional
        A run store (:mod:`gwsim.store`). Each run is looked up first by
        (scenario hash without the seed, seed, gwsim version) and simulated
        only if missing; every simulated run is written as soon as it
        completes (one transaction per run, by this process only), so an
        interrupted sweep resumes where it stopped. Runs answered from the
        store keep their stored ``wall_time_s``.

    Returns
    -------
    pandas.DataFrame
        One row per run in grid or design order (replications innermost): one
        column per grid key holding the value as given, ``replication``
        (0-based), ``seed``, then every summary scalar of :func:`gwsim.run`,
        then, for every numeric summary metric ``<m>`` (all summary scalars
        but ``wall_time_s``), three per-configuration columns repeated on each
        row of the configuration (grid point or design point):

        ``<m>_mean``
            Mean of ``<m>`` over the configuration's replications (missing
            values left out, as in :func:`summarize`).
        ``<m>_ci_low``, ``<m>_ci_high``
            Two-sided 95% (:data:`CI_LEVEL`) Student-t confidence interval
            for that mean, ``mean -/+ t_{0.975, n-1} * s / sqrt(n)`` with
            ``s`` the sample standard deviation (``ddof=1``) of the ``n``
            values: the interval :func:`summarize` gives (``mean -/+ ci``).

        With one replication (``n = 1``) the data say nothing about the
        spread, the t interval is undefined (``n - 1 = 0`` degrees of
        freedom) and no finite interval has a justified coverage. The bounds
        are then ``-inf`` and ``+inf``: the only interval that is valid at
        any level without further assumptions, never NaN and never a
        misleading zero-width interval. Run ``replications >= 2`` for finite
        intervals. (A metric missing from every run of a configuration, e.g.
        a latency with no completed request, has NaN mean and bounds.) When
        all replications agree exactly, the interval has zero width.

        The results are identical whichever way the runs execute (any
        `workers`, `client`, or answered from a `store`), except
        ``wall_time_s``. ``df.attrs["grid"]`` lists the grid (or design)
        keys, ``df.attrs["scenario"]`` holds the base scenario,
        ``df.attrs["metrics"]`` the metrics with per-configuration columns,
        ``df.attrs["configuration_columns"]`` those columns and
        ``df.attrs["ci_level"]`` their confidence level. With a `store`,
        ``df.attrs["from_store"]`` counts the runs answered from it.

    Raises
    ------
    ValueError
        If both or neither of `grid` and `samples` are given, the grid is
        empty, a key names no scenario field or a value is invalid for its
        field (the message names the key; every point is validated before
        anything runs), ``replications < 1`` or `workers` is neither None
        nor an integer >= 1 (the message names `workers`).
    """
    import pandas as pd

    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be an integer >= 1, got {replications!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    workers = _check_workers(workers)
    if grid is not None and samples is not None:
        raise ValueError("give exactly one of grid or samples, not both")
    if grid is None and samples is None:
        raise ValueError("give exactly one of grid or samples: a grid (mapping of fields to value lists) "
                         "or samples (a design from gwsim.designs)")

    base = _base_scenario(scenario)
    points: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    if grid is not None:
        items = _check_grid(grid)
        keys = [k for k, _ in items]

        # Validate each value on its own first, so the error names the key.
        for key, values in items:
            for value in values:
                try:
                    apply_overrides(base, [f"{key}={_format_value(value)}"])
                except ValueError as error:
                    raise ValueError(f"grid key {key!r}, value {value!r}: {error}") from error

        # Then every combination (fields may constrain each other).
        for combo in itertools.product(*(values for _, values in items)):
            assignments = [f"{k}={_format_value(v)}" for k, v in zip(keys, combo)]
            try:
                points.append((combo, apply_overrides(base, assignments)))
            except ValueError as error:
                where = ", ".join(f"{k}={v!r}" for k, v in zip(keys, combo))
                raise ValueError(f"grid point {where}: {error}") from error
    else:
        keys, rows = _check_samples(samples)
        for i, combo in enumerate(rows):
            assignments = [f"{k}={_format_value(v)}" for k, v in zip(keys, combo)]
            try:
                points.append((combo, apply_overrides(base, assignments)))
            except ValueError as error:
                where = ", ".join(f"{k}={v!r}" for k, v in zip(keys, combo))
                raise ValueError(f"sample {i} ({where}): {error}") from error

    seeds = [replication_seed(seed, k) for k in range(replications)]
    tasks = [(p, k) for p in range(len(points)) for k in range(replications)]
    summaries: list[Optional[dict[str, Any]]] = [None] * len(tasks)

    results, close_store = _open_store(store)
    try:
        todo = list(range(len(tasks)))
        if results is not None:
            from . import _core
            from .scenario import Scenario

            version = _core.__version__
            hashes = [Scenario._trusted(s).unseeded_hash for _, s in points]
            todo = []
            for i, (p, k) in enumerate(tasks):
                stored = results.lookup(hashes[p], seeds[k], version)
                if stored is None:
                    todo.append(i)
                else:
                    summaries[i] = stored
        _execute(tasks, todo, points, seeds, summaries, results, client, workers, progress)
    finally:
        if close_store and results is not None:
            results.close()

    complete = [s for s in summaries if s is not None]
    assert len(complete) == len(tasks)
    metrics = _metric_names(complete)
    stats = _configuration_stats(complete, [p for p, _ in tasks], len(points), metrics)
    rows_out = []
    for (p, k), summary in zip(tasks, complete):
        row: dict[str, Any] = dict(zip(keys, points[p][0]))
        row[REPLICATION_COLUMN] = k
        row[SEED_COLUMN] = seeds[k]
        row.update(summary)
        row.update(stats[p])
        rows_out.append(row)
    df = pd.DataFrame(rows_out)
    df.attrs["grid"] = list(keys)
    df.attrs["scenario"] = base
    df.attrs["metrics"] = metrics
    df.attrs["configuration_columns"] = [f"{m}{suffix}" for m in metrics for suffix in STAT_SUFFIXES]
    df.attrs["ci_level"] = CI_LEVEL
    if results is not None:
        df.attrs["from_store"] = len(tasks) - len(todo)
    return df


def _execute(tasks: list[tuple[int, int]], todo: list[int], points: list[tuple[tuple[Any, ...], dict[str, Any]]],
             seeds: list[int], summaries: list[Optional[dict[str, Any]]], results: Any, client: Any,
             workers: int, progress: bool) -> None:
    """Run tasks[i] for i in `todo`, filling `summaries`; write each to `results` (a store) as it completes."""
    bar = None
    if progress and sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty():
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc="sweep", unit="run",
                       file=sys.stderr)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            bar = None

    full = results is not None
    work = _run_full if full else _run_one

    def done(i: int, outcome: dict[str, Any]) -> None:
        if full:
            p, k = tasks[i]
            results.put_run(points[p][1], seeds[k], outcome)
            outcome = outcome["summary"]
        summaries[i] = outcome
        if bar is not None:
            bar.update(1)

    try:
        if not todo:
            return
        if client is not None:
            from dask.distributed import as_completed as dask_as_completed

            futures = client.map(
                work,
                [points[tasks[i][0]][1] for i in todo],
                [seeds[tasks[i][1]] for i in todo],
                pure=False,
            )
            index = {f.key: i for i, f in zip(todo, futures)}
            for future in dask_as_completed(futures):
                done(index[future.key], future.result())
        elif workers > 1 and len(todo) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # "spawn": safe even when this process already runs threads (fork is not).
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
                pending = {
                    pool.submit(work, points[tasks[i][0]][1], seeds[tasks[i][1]]): i for i in todo
                }
                for future in as_completed(pending):
                    done(pending[future], future.result())
        else:
            for i in todo:
                p, k = tasks[i]
                done(i, work(points[p][1], seeds[k]))
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------
# Per-configuration statistics


def _metric_names(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Numeric (not boolean) summary scalars, in order of first appearance, less :data:`NOT_A_METRIC`."""
    names: dict[str, None] = {}
    for summary in summaries:
        for name, value in summary.items():
            if name in NOT_A_METRIC or name in names:
                continue
            value = _plain(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                names[name] = None
    return list(names)


def _mean_and_half_width(values: Any, level: float, t_cache: dict[int, float]) -> tuple[int, float, float, float]:
    """(n, mean, sample std, Student-t half-width) of the non-missing `values`.

    ``half = t_{(1+level)/2, n-1} * std / sqrt(n)``. Undefined parts for small
    ``n`` are NaN (mean with ``n = 0``, std and half-width with ``n < 2``);
    callers decide what to report then.
    """
    import numpy as np

    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    n = int(array.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(np.mean(array))
    if n < 2:
        return n, mean, math.nan, math.nan
    std = float(np.std(array, ddof=1))
    if n - 1 not in t_cache:
        t_cache[n - 1] = t_quantile((1.0 + level) / 2.0, n - 1)
    return n, mean, std, t_cache[n - 1] * std / math.sqrt(n)


def _configuration_stats(summaries: Sequence[Mapping[str, Any]], point_of: Sequence[int], n_points: int,
                         metrics: Sequence[str], level: float = CI_LEVEL) -> list[dict[str, float]]:
    """Per point: ``<m>_mean``, ``<m>_ci_low``, ``<m>_ci_high`` for each metric (see :func:`sweep`)."""
    values: list[list[list[float]]] = [[[] for _ in metrics] for _ in range(n_points)]
    for summary, p in zip(summaries, point_of):
        for j, metric in enumerate(metrics):
            value = _plain(summary.get(metric))
            values[p][j].append(math.nan if value is None else float(value))
    t_cache: dict[int, float] = {}
    out = []
    for p in range(n_points):
        row: dict[str, float] = {}
        for j, metric in enumerate(metrics):
            n, mean, _, half = _mean_and_half_width(values[p][j], level, t_cache)
            if n == 0:
                low = high = math.nan
            elif n == 1:
                low, high = -math.inf, math.inf
            else:
                low, high = mean - half, mean + half
            row[f"{metric}_mean"] = mean
            row[f"{metric}_ci_low"] = low
            row[f"{metric}_ci_high"] = high
        out.append(row)
    return out


def configuration_columns(df: pd.DataFrame) -> list[str]:
    """The per-configuration columns :func:`sweep` added to `df` (see its Returns).

    ``df.attrs["configuration_columns"]`` when present, else every column
    ``<m><suffix>`` with a suffix of :data:`STAT_SUFFIXES` whose ``<m>`` is
    also a column. ``df.drop(columns=configuration_columns(df))`` leaves the
    per-run columns.
    """
    listed = df.attrs.get("configuration_columns")
    if listed is not None:
        return [c for c in listed if c in df.columns]
    names = set(df.columns)
    return [c for c in df.columns if isinstance(c, str)
            and any(c.endswith(suffix) and c[: -len(suffix)] in names for suffix in STAT_SUFFIXES)]


# --------------------------------------------------------------------------
# Student-t quantile


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t distribution: the ``t`` with ``P(T <= t) = p``.

    :func:`scipy.stats.t.ppf`, polished by one Newton step on
    :func:`scipy.stats.t.cdf`: the quantile routine alone is accurate to only
    about 5e-9 (relative) in places, e.g. ``p = 0.95, df = 30``, while the CDF
    is accurate to rounding, so one step gives about 1e-15
    (``t_quantile(0.975, 4) == 2.7764451051977...``).
    """
    from scipy.stats import t as student_t

    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df}")
    if p == 0.5:
        return 0.0
    x = float(student_t.ppf(p, df))
    density = float(student_t.pdf(x, df))
    if math.isfinite(x) and density > 0.0:
        x -= (float(student_t.cdf(x, df)) - p) / density
    return x


# --------------------------------------------------------------------------
# Summaries


def summarize(df: pd.DataFrame, by: Optional[Sequence[str]] = None, metrics: Optional[Sequence[str]] = None,
              level: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation, count and confidence interval per grid point.

    Parameters
    ----------
    df : pandas.DataFrame
        A :func:`sweep` result (or any frame of runs).
    by : sequence of str, optional
        Columns identifying a grid point. Default: ``df.attrs["grid"]`` when
        present, otherwise every column whose name contains a dot. An empty
        list pools all rows into one group.
    metrics : sequence of str, optional
        Columns to summarize. Default: every numeric column except `by`,
        ``replication``, ``seed`` and the per-configuration columns
        :func:`sweep` adds (:func:`configuration_columns`).
    level : float, default 0.95
        Confidence level of the two-sided Student-t interval.

    Returns
    -------
    pandas.DataFrame
        One row per group, in order of first appearance: the `by` columns, then
        for each metric ``<metric>_mean``, ``<metric>_std`` (sample standard
        deviation, ``ddof=1``), ``<metric>_n`` (non-missing values) and
        ``<metric>_ci`` (half-width ``t_{(1+level)/2, n-1} * std / sqrt(n)``,
        so the interval is ``mean +/- ci``).

    Raises
    ------
    ValueError
        If a column is missing, `level` is not in (0, 1), or a group has
        fewer than 2 non-missing values of a metric: an interval needs
        ``n >= 2``, so the result never holds NaN (run ``replications >= 2``).
    """
    import pandas as pd

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if by is None:
        by = list(df.attrs.get("grid", [c for c in df.columns if isinstance(c, str) and "." in c]))
    else:
        by = list(by)
    skip = set(by) | {REPLICATION_COLUMN, SEED_COLUMN} | set(configuration_columns(df))
    if metrics is None:
        metrics = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                   and not pd.api.types.is_bool_dtype(df[c])]
    else:
        metrics = list(metrics)
    for column in [*by, *metrics]:
        if column not in df.columns:
            raise ValueError(f"column {column!r} not in the frame")
    if not metrics:
        raise ValueError("no metrics to summarize")

    if by:
        grouper = by[0] if len(by) == 1 else by
        groups = list(df.groupby(grouper, sort=False, dropna=False))
    else:
        groups = [((), df)]

    t_cache: dict[int, float] = {}
    rows = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(by, key))
        for metric in metrics:
            values = pd.to_numeric(part[metric], errors="raise").to_numpy(dtype=float)
            n, mean, std, half = _mean_and_half_width(values, level, t_cache)
            if n < 2:
                where = ", ".join(f"{b}={v!r}" for b, v in zip(by, key)) or "all rows"
                raise ValueError(
                    f"{metric!r} at {where}: {n} value(s); a confidence interval needs at least 2 "
                    "(use replications >= 2)"
                )
            row[f"{metric}_mean"] = mean
            row[f"{metric}_std"] = std
            row[f"{metric}_n"] = n
            row[f"{metric}_ci"] = half
        rows.append(row)
    return pd.DataFrame(rows)
