"""gwsim.store: the SQLite results store."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import gwsim
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
