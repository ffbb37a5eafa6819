"""gwsim.sweep (module gwsim.sweeps): grids, seeds, common random numbers, Dask, summaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import gwsim
from gwsim.sweeps import (configuration_columns, default_workers, replication_seed, summarize, sweep,
                          t_quantile)

# Shorter than the shared tiny scenario: 30 s keeps each run well under a second.
SHORT = ["run.duration_s=30s"]


@pytest.fixture
def tiny(tiny_scenario):
    """The tiny scenario as a dict, 30 simulated seconds."""
    return gwsim.apply_overrides(gwsim.load_scenario(tiny_scenario), SHORT)


def _without_wall_time(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["wall_time_s"])


def test_grid_product_size_and_columns(tiny):
    grid = {"cluster.workers_per_node": [1, 2, 3], "kong.worker_consistency": ["strict", "eventual"]}
    df = sweep(tiny, grid, replications=2, seed=5, progress=False)
    assert len(df) == 3 * 2 * 2
    summary_keys = list(gwsim.run(tiny)["summary"])
    metrics = [k for k in summary_keys if k != "wall_time_s"]
    stats = [f"{m}{suffix}" for m in metrics for suffix in ("_mean", "_ci_low", "_ci_high")]
    assert list(df.columns) == [*grid, "replication", "seed", *summary_keys, *stats]
    assert df.attrs["metrics"] == metrics and df.attrs["configuration_columns"] == stats
    assert configuration_columns(df) == stats
    assert configuration_columns(df.drop(columns=stats)) == []
    assert df.attrs["grid"] == list(grid)
    # grid order: first key slowest, replications innermost
    assert df["cluster.workers_per_node"].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert df["kong.worker_consistency"].tolist() == ["strict", "strict", "eventual", "eventual"] * 3
    assert df["replication"].tolist() == [0, 1] * 6
    assert df["seed"].tolist() == [replication_seed(5, 0), replication_seed(5, 1)] * 6


def test_accepts_a_path_and_unit_strings(tiny_scenario):
    df = sweep(tiny_scenario, {"run.duration_s": ["20s", 30.0]}, progress=False)
    assert df["sim_time_s"].tolist() == [20.0, 30.0]
    assert df["run.duration_s"].tolist() == ["20s", 30.0]


def test_same_seed_same_results(tiny):
    grid = {"cluster.workers_per_node": [1, 2]}
    a = sweep(tiny, grid, replications=2, seed=3, progress=False)
    b = sweep(tiny, grid, replications=2, seed=3, progress=False)
    pd.testing.assert_frame_equal(_without_wall_time(a), _without_wall_time(b))
    c = sweep(tiny, grid, replications=2, seed=4, progress=False)
    assert not c["seed"].equals(a["seed"])


def test_local_processes_match_sequential(tiny):
    grid = {"cluster.workers_per_node": [1, 2]}
    seq = sweep(tiny, grid, replications=2, seed=9, progress=False)
    par = sweep(tiny, grid, replications=2, seed=9, progress=False, workers=2)
    pd.testing.assert_frame_equal(_without_wall_time(seq), _without_wall_time(par))


def test_common_random_numbers(tiny):
    # Neither field changes the traffic, so each replication sees the same arrivals.
    grid = {
        "kong.worker_consistency": ["strict", "eventual"],
        "cluster.pod_memory_limit_bytes": ["2GiB", "8GiB"],
    }
    df = sweep(tiny, grid, replications=3, seed=11, progress=False)
    per_rep = df.groupby("replication")["requests"].nunique()
    assert (per_rep == 1).all()
    # ... and different replications see different arrivals
    assert df.groupby("replication")["requests"].first().nunique() == 3
    assert df.groupby("replication")["seed"].nunique().eq(1).all()


def test_replication_seed_is_deterministic_and_distinct():
    seeds = [replication_seed(1, k) for k in range(50)]
    assert seeds == [replication_seed(1, k) for k in range(50)]
    assert len(set(seeds)) == 50
    assert all(0 <= s < 2**53 for s in seeds)
    assert replication_seed(2, 0) != replication_seed(1, 0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dask_matches_local(tiny):
    distributed = pytest.importorskip("dask.distributed")
    grid = {"cluster.workers_per_node": [1, 2]}
    local = sweep(tiny, grid, replications=2, seed=2, progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        remote = sweep(tiny, grid, replications=2, seed=2, client=client, progress=False)
    pd.testing.assert_frame_equal(_without_wall_time(local), _without_wall_time(remote))


@pytest.mark.parametrize(
    "grid, key",
    [
        ({"cluster.no_such_field": [1]}, "cluster.no_such_field"),
        ({"nosection.workers": [1]}, "nosection.workers"),
        ({"cluster.workers_per_node": []}, "cluster.workers_per_node"),
        ({"cluster.workers_per_node": [2, "many"]}, "cluster.workers_per_node"),
        ({"run.seed": [1, 2]}, "run.seed"),
    ],
)
def test_invalid_grid_keys_raise_naming_the_key(tiny, grid, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        sweep(tiny, grid, progress=False)


def test_invalid_arguments(tiny):
    with pytest.raises(ValueError, match="grid"):
        sweep(tiny, {}, progress=False)
    with pytest.raises(ValueError, match="replications"):
        sweep(tiny, {"cluster.workers_per_node": [1]}, replications=0, progress=False)
    with pytest.raises(ValueError, match="seed"):
        sweep(tiny, {"cluster.workers_per_node": [1]}, seed=-1, progress=False)


@pytest.mark.parametrize(
    "p, df, expected",
    [
        (0.975, 1, 12.706204736174698),
        (0.975, 2, 4.302652729749464),
        (0.975, 4, 2.7764451051977934),
        (0.975, 9, 2.2621571628540993),
        (0.95, 30, 1.6972608865939578),
        (0.995, 5, 4.032142983557536),
        (0.025, 4, -2.7764451051977934),
        (0.5, 7, 0.0),
    ],
)
def test_t_quantile(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_summarize_known_frame():
    df = pd.DataFrame(
        {
            "a.x": [1, 1, 1, 2, 2],
            "replication": [0, 1, 2, 0, 1],
            "seed": [10, 11, 12, 10, 11],
            "m": [1.0, 2.0, 3.0, 10.0, 14.0],
        }
    )
    out = summarize(df)
    assert out["a.x"].tolist() == [1, 2]
    assert list(out.columns) == ["a.x", "m_mean", "m_std", "m_n", "m_ci"]
    assert out["m_mean"].tolist() == pytest.approx([2.0, 12.0])
    assert out["m_std"].tolist() == pytest.approx([1.0, math.sqrt(8.0)])
    assert out["m_n"].tolist() == [3, 2]
    ci = [4.302652729749464 * 1.0 / math.sqrt(3), 12.706204736174698 * math.sqrt(8.0) / math.sqrt(2)]
    assert out["m_ci"].tolist() == pytest.approx(ci, rel=1e-9)
    assert not out.isna().any().any()
    # other levels, explicit metrics and pooling everything
    wide = summarize(df, by=[], metrics=["m"], level=0.99)
    assert len(wide) == 1 and wide["m_n"].iloc[0] == 5
    assert wide["m_ci"].iloc[0] == pytest.approx(
        t_quantile(0.995, 4) * np.std(df["m"], ddof=1) / math.sqrt(5)
    )


def test_summarize_needs_two_values():
    df = pd.DataFrame({"a.x": [1, 2, 2], "m": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="at least 2"):
        summarize(df)
    with pytest.raises(ValueError, match="level"):
        summarize(df, level=1.5)
    with pytest.raises(ValueError, match="nope"):
        summarize(df, metrics=["nope"])


def test_summarize_sweep(tiny):
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=2, progress=False)
    out = summarize(df, metrics=["requests", "latency_p99_s"])
    assert out["cluster.workers_per_node"].tolist() == [1, 2]
    assert (out["requests_n"] == 2).all()
    assert (out["latency_p99_s_ci"] >= 0).all()


def test_progress_bar_on_a_terminal(tiny, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, progress=True)
    assert len(df) == 2
    assert "2/2" in terminal.getvalue()


# --------------------------------------------------------------------------
# Default worker count


def test_default_workers_is_the_available_core_count():
    import os

    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert default_workers() == expected >= 1


def test_default_workers_drives_the_pool(tiny, monkeypatch):
    """Without `workers`, the pool gets default_workers() processes (capped by the runs to do)."""
    import concurrent.futures

    seen = []

    class Recorder(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers=None, **kwargs):
            seen.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recorder)
    monkeypatch.setattr(gwsim.sweeps, "default_workers", lambda: 3)
    sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=2, progress=False)
    assert seen == [3]
    seen.clear()
    sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=1, progress=False)
    assert seen == [2]  # no more processes than runs
    seen.clear()
    sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=2, progress=False, workers=1)
    assert seen == []  # workers=1: sequential, in this process


def test_default_workers_match_sequential(tiny):
    grid = {"cluster.workers_per_node": [1, 2], "kong.worker_consistency": ["strict", "eventual"]}
    seq = sweep(tiny, grid, replications=3, seed=12, progress=False, workers=1)
    default = sweep(tiny, grid, replications=3, seed=12, progress=False)
    pd.testing.assert_frame_equal(_without_wall_time(seq), _without_wall_time(default))
    assert default.attrs == seq.attrs


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True, 2.0])
def test_invalid_workers_raise_naming_workers(tiny, workers):
    with pytest.raises(ValueError, match=r"workers must be None .* or an integer >= 1, got"):
        sweep(tiny, {"cluster.workers_per_node": [1]}, progress=False, workers=workers)


# --------------------------------------------------------------------------
# Per-configuration means and confidence intervals


def _expected_interval(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high) of the 95% Student-t interval, computed here from first principles."""
    from scipy import stats

    n = len(values)
    mean = sum(values) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * s / math.sqrt(n)
    return mean, mean - half, mean + half


def test_configuration_mean_and_ci_columns(tiny):
    grid = {"cluster.workers_per_node": [1, 2], "kong.worker_consistency": ["strict", "eventual"]}
    df = sweep(tiny, {**grid}, replications=3, seed=21, progress=False, workers=1)
    metrics = df.attrs["metrics"]
    assert "latency_p99_s" in metrics and "requests" in metrics and "wall_time_s" not in metrics
    assert df.attrs["ci_level"] == 0.95
    checked = 0
    for _, part in df.groupby(list(grid), sort=False):
        assert len(part) == 3
        for metric in metrics:
            values = [float(v) for v in part[metric]]
            mean, low, high = _expected_interval(values)
            for column, expected in ((f"{metric}_mean", mean), (f"{metric}_ci_low", low),
                                     (f"{metric}_ci_high", high)):
                got = part[column].to_numpy()
                assert (got == got[0]).all(), column  # one value per configuration
                assert got[0] == pytest.approx(expected, rel=1e-9, abs=1e-12), column
            checked += 1
    assert checked == 4 * len(metrics)
    # the spread is not zero everywhere: the intervals are real intervals
    assert (df["latency_p99_s_ci_high"] > df["latency_p99_s_ci_low"]).any()
    assert not df.drop(columns=["wall_time_s"]).isna().any().any()


def test_configuration_columns_agree_with_summarize(tiny):
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=4, seed=3, progress=False, workers=1)
    summary = summarize(df)
    # summarize's default metrics leave out the per-configuration columns
    assert not [c for c in summary.columns if c.endswith(("_mean_mean", "_ci_low_mean", "_ci_high_mean"))]
    per_point = df.drop_duplicates("cluster.workers_per_node").reset_index(drop=True)
    for metric in df.attrs["metrics"]:
        np.testing.assert_allclose(per_point[f"{metric}_mean"], summary[f"{metric}_mean"], rtol=1e-12)
        np.testing.assert_allclose(per_point[f"{metric}_ci_low"],
                                   summary[f"{metric}_mean"] - summary[f"{metric}_ci"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(per_point[f"{metric}_ci_high"],
                                   summary[f"{metric}_mean"] + summary[f"{metric}_ci"], rtol=1e-12, atol=1e-15)


def test_one_replication_gives_unbounded_intervals_not_nan(tiny):
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, progress=False, workers=1)
    for metric in df.attrs["metrics"]:
        assert df[f"{metric}_mean"].tolist() == pytest.approx(df[metric].astype(float).tolist())
        assert (df[f"{metric}_ci_low"] == -math.inf).all()
        assert (df[f"{metric}_ci_high"] == math.inf).all()
    assert not df.isna().any().any()


def test_configuration_stats_helper_edge_cases():
    from gwsim.sweeps import _configuration_stats

    summaries = [{"m": 1.0}, {"m": 3.0}, {"m": float("nan")}, {"m": 5.0}, {"m": float("nan")}, {"m": 2.0},
                 {"m": 2.0}]
    stats = _configuration_stats(summaries, [0, 0, 0, 1, 2, 3, 3], 4, ["m"])
    mean, low, high = _expected_interval([1.0, 3.0])
    assert stats[0] == pytest.approx({"m_mean": mean, "m_ci_low": low, "m_ci_high": high})
    assert stats[1] == {"m_mean": 5.0, "m_ci_low": -math.inf, "m_ci_high": math.inf}  # one value
    assert all(math.isnan(v) for v in stats[2].values())  # no value at all
    assert stats[3] == {"m_mean": 2.0, "m_ci_low": 2.0, "m_ci_high": 2.0}  # no spread
