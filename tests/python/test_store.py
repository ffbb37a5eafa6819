"""gwsim.store: the SQLite results store."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import gwsim
import gwsim.sweeps
from gwsim.store import ResultStore
from gwsim import sweep


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster.workers_per_node": [1, 2, 4],
            "cluster.pod_memory_limit_bytes": ["2GiB", 4.5, "8GiB"],
            "replication": np.array([0, 1, 2], dtype=np.int64),
            "requests": np.array([10, 20, 2**62], dtype=np.int64),
            "latency_p99_s": [0.1, float("nan"), 1.0 / 3.0],
            "flag": [True, False, True],
        }
    )


def test_round_trip(tmp_path, frame):
    path = tmp_path / "results.sqlite"
    scenario = {"cluster": {"nodes": 1}, "name": "x"}
    with ResultStore(path) as store:
        run_id = store.save(frame, "first", scenario=scenario)
        second = store.save(frame.iloc[:1], "second")
        assert second != run_id
    with ResultStore(path) as store:  # reopening keeps the content
        loaded = store.load(run_id)
        pd.testing.assert_frame_equal(loaded, frame)
        assert store.scenario(run_id) == scenario
        assert store.scenario(second) is None
        runs = store.runs()
        assert list(runs.columns) == ["id", "name", "created", "scenario", "n_rows"]
        assert runs["id"].tolist() == [run_id, second]
        assert runs["name"].tolist() == ["first", "second"]
        assert runs["n_rows"].tolist() == [3, 1]
        assert json.loads(runs["scenario"].iloc[0]) == scenario
        with pytest.raises(KeyError):
            store.load(9999)


def test_idempotent_schema_and_closed_store(tmp_path):
    path = tmp_path / "s.sqlite"
    ResultStore(path).close()
    ResultStore(path).close()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "rows"} <= tables
    store = ResultStore(path)
    store.close()
    with pytest.raises(ValueError):
        store.runs()


def test_sweep_and_run_results(tmp_path, tiny_scenario):
    tiny = gwsim.apply_overrides(gwsim.load_scenario(tiny_scenario), ["run.duration_s=30s"])
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, replications=2, progress=False)
    result = gwsim.run(tiny, seed=3)
    with ResultStore(tmp_path / "r.sqlite") as store:
        sid = store.save(df, "workers")
        rid = store.save(result, "single")
        pd.testing.assert_frame_equal(store.load(sid), df)
        assert store.scenario(sid) == tiny  # taken from df.attrs
        single = store.load(rid)
        assert len(single) == 1
        assert single.iloc[0].to_dict() == pytest.approx(result["summary"])
        assert store.scenario(rid) == result["scenario"]
        # the stored table is exactly what was saved: saving again stores the same rows
        sid2 = store.save(df, "workers")
        rows = [
            [r[0] for r in store.connection.execute("SELECT data FROM rows WHERE run_id=? ORDER BY row", (i,))]
            for i in (sid, sid2)
        ]
        assert rows[0] == rows[1]
        store.delete(sid2)
        assert store.runs()["id"].tolist() == [sid, rid]


def test_save_rejects_bad_input(tmp_path):
    with ResultStore(":memory:") as store:
        with pytest.raises(TypeError):
            store.save([1, 2, 3], "list")
        with pytest.raises(ValueError):
            store.save(pd.DataFrame({"a": [1]}), "")


# --------------------------------------------------------------------------
# The run store: single runs keyed by (scenario hash without seed, seed, version)


@pytest.fixture
def tiny(tiny_scenario) -> gwsim.Scenario:
    return gwsim.Scenario.load(tiny_scenario).replace(run__duration_s="20s")


GRID = {"cluster.workers_per_node": [1, 2]}


def _no_wall_time(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["wall_time_s"])


def test_open_and_wal(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = gwsim.store.open(path)
    assert isinstance(store, ResultStore)
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.results().columns.tolist()[:6] == ["key", "scenario_hash", "seed", "version", "name", "strategy"]
    assert store.results().empty
    store.close()
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "rows", "run_results", "run_frames"} <= tables


def test_put_run_round_trip(tmp_path, tiny):
    result = gwsim.run(tiny, seed=5)
    with gwsim.store.open(tmp_path / "r.sqlite") as store:
        key = store.put_run(tiny, 5, result)
        assert key == f"{tiny.unseeded_hash}:5:{gwsim.__version__}"
        assert key == gwsim.store.run_key(tiny.replace(run__seed=5).unseeded_hash, 5, gwsim.__version__)
        assert store.lookup(tiny.unseeded_hash, 5) == result["summary"]
        assert store.lookup(tiny.unseeded_hash, 6) is None
        assert store.lookup(tiny.unseeded_hash, 5, version="0.0.0-other") is None
        frames = gwsim.to_dataframes(result)
        pd.testing.assert_frame_equal(store.timeseries(key), frames["timeseries"])
        pd.testing.assert_frame_equal(store.events(key), frames["events"])
        assert len(store.timeseries(key)) > 0 and len(store.events(key)) > 0
        # abbreviated keys and tuples
        assert store.resolve(key[:10]) == (tiny.unseeded_hash, 5, gwsim.__version__)
        assert store.resolve((tiny.unseeded_hash, 5, gwsim.__version__))[1] == 5
        run = store.result(key[:10] + ":5")
        assert run["summary"] == result["summary"] and run["scenario"] == result["scenario"]
        table = store.results()
        assert len(table) == 1
        row = table.iloc[0]
        assert (row["key"], row["seed"], row["name"], row["strategy"]) == (key, 5, "tiny", "full_rebuild")
        assert row["requests"] == result["summary"]["requests"]
        with pytest.raises(KeyError):
            store.timeseries("ffff")
        store.put_run(tiny, 6, result)
        with pytest.raises(KeyError, match="ambiguous"):
            store.resolve(tiny.unseeded_hash[:8])
        store.delete_run(key)
        assert len(store.results()) == 1
        # the named tables are independent of the runs
        assert store.runs().empty


def test_sweep_is_answered_from_the_store(tmp_path, tiny, monkeypatch):
    path = tmp_path / "runs.sqlite"
    first = sweep(tiny, GRID, replications=2, seed=3, progress=False, store=path)
    assert first.attrs["from_store"] == 0
    with gwsim.store.open(path) as store:
        assert len(store.results()) == 4

    def no_simulation(*args, **kwargs):
        raise AssertionError("the simulator was called for a stored run")

    monkeypatch.setattr(gwsim.sweeps, "_run_full", no_simulation)
    monkeypatch.setattr(gwsim.sweeps, "_run_one", no_simulation)
    with gwsim.store.open(path) as store:  # an open ResultStore works too
        again = sweep(tiny, GRID, replications=2, seed=3, progress=False, store=store)
    pd.testing.assert_frame_equal(again, first)  # wall_time_s included: nothing was rerun
    assert again.attrs["from_store"] == 4
    monkeypatch.undo()

    # one more replication: only the new runs are simulated
    calls = []
    real = gwsim.sweeps._run_full

    def counting(scenario, seed):
        calls.append(seed)
        return real(scenario, seed)

    monkeypatch.setattr(gwsim.sweeps, "_run_full", counting)
    # workers=1: the counting stand-in only sees calls made in this process
    more = sweep(tiny, GRID, replications=3, seed=3, progress=False, store=path, workers=1)
    assert len(calls) == 2 and set(calls) == {gwsim.sweeps.replication_seed(3, 2)}
    assert more.attrs["from_store"] == 4
    # the per-run columns of the stored runs are unchanged; the per-configuration
    # columns now cover 3 replications, and are those of a sweep run from scratch
    stats = gwsim.sweeps.configuration_columns(more)
    assert stats == first.attrs["configuration_columns"]
    pd.testing.assert_frame_equal(more[more["replication"] < 2].drop(columns=stats).reset_index(drop=True),
                                  first.drop(columns=stats))
    fresh = sweep(tiny, GRID, replications=3, seed=3, progress=False)
    pd.testing.assert_frame_equal(_no_wall_time(more), _no_wall_time(fresh))


def test_store_key_ignores_how_the_scenario_is_given(tmp_path, tiny, tiny_scenario):
    path = tmp_path / "runs.sqlite"
    sweep(tiny, GRID, seed=3, progress=False, store=path)
    again = sweep(tiny.to_dict(), GRID, seed=3, progress=False, store=path)
    assert again.attrs["from_store"] == 2
    # a different base seed means different runs
    other = sweep(tiny, GRID, seed=4, progress=False, store=path)
    assert other.attrs["from_store"] == 0


def test_parallel_workers_write_through_the_parent(tmp_path, tiny):
    path = tmp_path / "runs.sqlite"
    par = sweep(tiny, GRID, replications=2, seed=8, progress=False, workers=2, store=path)
    seq = sweep(tiny, GRID, replications=2, seed=8, progress=False, workers=1)
    pd.testing.assert_frame_equal(_no_wall_time(par), _no_wall_time(seq))
    with gwsim.store.open(path) as store:
        table = store.results()
        assert len(table) == 4
        assert sorted(table["seed"]) == sorted(par["seed"])
        for key in table["key"]:
            assert len(store.timeseries(key)) > 0
    again = sweep(tiny, GRID, replications=2, seed=8, progress=False, workers=2, store=path)
    pd.testing.assert_frame_equal(again, par)


def test_compare_and_analyze_use_the_store(tmp_path, tiny):
    from gwsim.analyze import analyze
    from gwsim.compare import compare

    path = tmp_path / "runs.sqlite"
    a = compare(tiny, ["full_rebuild", "incremental"], progress=False, store=path)
    b = compare(tiny, ["full_rebuild", "incremental"], progress=False, store=path)
    pd.testing.assert_frame_equal(a, b)
    report = analyze(tiny, replications=2, progress=False, store=path)
    # the full_rebuild runs with replication seeds 0 and 1: the first was stored by compare
    with gwsim.store.open(path) as store:
        assert len(store.results()) == 3
    assert len(report["runs"]) == 2
