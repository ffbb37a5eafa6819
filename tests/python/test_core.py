"""gwsim._core, the compiled binding, and the thin Python API over it."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gwsim
from gwsim import _core

TINY = [
    "name=tiny",
    "cluster.nodes=1",
    "cluster.workers_per_node=2",
    "routes.routes=500",
    "routes.services=500",
    "traffic.rate_per_s=50",
    'admin.script=[{at_s="10s", kind="update_route"}]',
    "run.duration_s=60",
    "run.seed=5",
]


@pytest.fixture(scope="module")
def tiny_json() -> str:
    return _core.apply_overrides(_core.default_scenario(), TINY)


@pytest.fixture(scope="module")
def tiny_result(tiny_json: str) -> dict:
    return _core.run(tiny_json)


def test_default_scenario_round_trips():
    scenario = json.loads(_core.default_scenario())
    for section in ("cluster", "database", "routes", "traffic", "kong", "memory", "cost", "admin", "run"):
        assert section in scenario
    assert json.loads(_core.apply_overrides(json.dumps(scenario), [])) == scenario


def test_run_structure(tiny_result: dict):
    assert set(tiny_result) == {"summary", "timeseries", "events"}
    summary = tiny_result["summary"]
    for key in ("requests", "completed", "errors", "in_flight", "latency_p99_s", "oom_kills",
                "peak_pod_memory_bytes", "sim_time_s", "wall_time_s"):
        assert key in summary
    assert summary["requests"] == summary["completed"] + summary["errors"] + summary["in_flight"]
    assert summary["sim_time_s"] == pytest.approx(60.0)
    assert isinstance(summary["requests"], int) and isinstance(summary["error_rate"], float)

    series = tiny_result["timeseries"]
    lengths = {len(column) for column in series.values()}
    assert len(lengths) == 1 and lengths.pop() > 0
    assert all(isinstance(column, np.ndarray) for column in series.values())
    assert series["time_s"].dtype == np.float64 and series["worker"].dtype.kind == "i"
    assert set(np.unique(series["worker"]).tolist()) == {-1, 0, 1}

    events = tiny_result["events"]
    assert set(events) == {"time_s", "kind", "node", "worker", "value"}
    assert len({len(column) for column in events.values()}) == 1
    writes = [t for t, k in zip(events["time_s"], events["kind"]) if k == "admin_write"]
    assert writes == [pytest.approx(10.0)]


def test_progress_is_reported(tiny_json: str):
    seen: list[float] = []
    _core.run(tiny_json, seen.append)
    assert seen and seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert 0.0 < seen[0] < 0.1


def test_progress_exception_propagates(tiny_json: str):
    def stop(fraction: float) -> None:
        if fraction >= 0.5:
            raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        _core.run(tiny_json, stop)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "JSON"),
        ('{"traffic": {"rate_per_s": -1}}', "traffic.rate_per_s"),
        ('{"traffic": {"rate_per_sec": 5}}', "rate_per_sec"),
        ('{"cluster": {"workers_per_node": "many"}}', "cluster.workers_per_node"),
    ],
)
def test_invalid_scenario_raises_value_error(text: str, needle: str):
    with pytest.raises(ValueError, match=needle.replace(".", r"\.")):
        _core.run(text)


def test_invalid_override_raises_value_error(tiny_json: str):
    with pytest.raises(ValueError, match=r"traffic\.rate_per_s"):
        _core.apply_overrides(tiny_json, ["traffic.rate_per_s=-1"])
    with pytest.raises(ValueError, match="no_such_key"):
        _core.apply_overrides(tiny_json, ["traffic.no_such_key=1"])


def test_load_scenario(tiny_scenario):
    scenario = json.loads(_core.load_scenario(str(tiny_scenario)))
    assert scenario["name"] == "tiny"
    assert scenario["routes"]["routes"] == 500
    assert scenario["run"]["duration_s"] == 60.0


def test_python_api(tiny_scenario):
    result = gwsim.run(tiny_scenario, seed=9, overrides=["run.duration_s=20"])
    assert result["scenario"]["run"]["seed"] == 9
    assert result["summary"]["sim_time_s"] == pytest.approx(20.0)
    frames = gwsim.api.to_dataframes(result)
    assert len(frames["timeseries"]) == len(result["timeseries"]["time_s"])
    with pytest.raises(FileNotFoundError):
        gwsim.load_scenario(tiny_scenario.with_name("missing.toml"))


def test_run_returns_a_result_with_pandas_views_and_plots(tiny_scenario):
    import pickle

    import matplotlib

    matplotlib.use("Agg")
    r = gwsim.run(tiny_scenario)
    assert isinstance(r, gwsim.Result) and isinstance(r, dict)
    assert r.summary is r["summary"]
    assert list(r.timeseries.columns)[:3] == ["time_s", "node", "worker"]
    assert len(r.timeseries) == len(r["timeseries"]["time_s"])
    assert set(r.events["kind"]) >= {"rebuild_start", "rebuild_end"}
    assert "requests" in repr(r) and "OOM kills" in repr(r)
    assert r.plot_memory().axes and r.plot_latency().axes
    again = pickle.loads(pickle.dumps(r))
    assert isinstance(again, gwsim.Result) and again.summary == r.summary
