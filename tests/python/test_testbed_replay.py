"""gwsim testbed replay: a saved report's measurements against the simulator, nothing measured."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gwsim.testbed.calibrate import read_calibration
from gwsim.testbed.replay import QUANTITIES, format_replay, read_report, replay
from gwsim.testbed.validate import TARGETS

REPO = Path(__file__).resolve().parents[2]
CONFIG = {"gateway": {"workers": 2, "mode": "eventual", "update_frequency_s": 0.5},
          "routes": {"count": 1000, "seed": 7},
          "load": {"rate_per_s": 50, "duration_s": 6, "seed": 8},
          "writes": {"kind": "noop", "start_s": 2, "count": 2, "interval_s": 1.5},
          "sample": {"interval_s": 0.1}}


def report_with(measured: dict, config: dict | None = CONFIG, name: str = "small") -> dict:
    row = {"name": name, "diagnostics": {"harness_cores": 0.05},
           "oom_kills": {"predicted": 0.0, "measured": measured.pop("oom_kills", 0.0)}}
    for q, _, _ in QUANTITIES:
        row[q] = {"predicted": measured[q] * 0.5, "measured": measured[q]}
    if config is not None:
        row["config"] = config
    return {"experiments": [row]}


@pytest.fixture(scope="module")
def calibration():
    return read_calibration(REPO / "testbed" / "calibration.json")


@pytest.fixture(scope="module")
def predicted(calibration):
    """The predictions for CONFIG (one seed), taken from a replay against placeholder measurements."""
    out = replay(report_with({q: 1.0 for q, _, _ in QUANTITIES}), calibration, seeds=1)
    row = out["experiments"][0]
    return {q: row[q]["predicted"] for q, _, _ in QUANTITIES}


def test_errors_and_verdicts_are_the_validations_on_the_same_medians(calibration, predicted):
    assert all(math.isfinite(v) and v > 0 for v in predicted.values()), predicted
    # Measured 10% above every prediction: -9.1% errors, every target met but none at 5% tolerance.
    measured = {q: 1.1 * v for q, v in predicted.items()}
    out = replay(report_with(dict(measured)), calibration, seeds=1)
    row = out["experiments"][0]
    for q, target, label in QUANTITIES:
        assert row[q]["error"] == pytest.approx(1 / 1.1 - 1)
        assert row[q]["met"] is (abs(1 / 1.1 - 1) <= TARGETS[target])
        assert row[q]["was_predicted"] == pytest.approx(0.5 * measured[q])
        assert out["met"][label] == [int(row[q]["met"]), 1]
    assert row["oom_kills"] == {"predicted": 0.0, "measured": 0.0, "met": True, "was_predicted": 0.0}
    # The same seed gives the same predictions.
    assert {q: row[q]["predicted"] for q, _, _ in QUANTITIES} == predicted
    # A rebuild measured twice as long as predicted misses its target.
    measured["rebuild_mean_s"] = 2 * predicted["rebuild_mean_s"]
    row = replay(report_with(dict(measured)), calibration, seeds=1)["experiments"][0]
    assert row["rebuild_mean_s"]["error"] == pytest.approx(-0.5) and not row["rebuild_mean_s"]["met"]
    text = format_replay(replay(report_with(dict(measured)), calibration, seeds=1))
    assert "-50% " in text and "rebuild 0 of 1" in text


def test_overrides_reach_every_simulation_and_bad_ones_are_named(calibration, predicted):
    measured = {q: v for q, v in predicted.items()}
    slower = replay(report_with(dict(measured)), calibration, seeds=1,
                    overrides=["cost.read_ns_per_route=200000"])["experiments"][0]
    assert slower["rebuild_mean_s"]["predicted"] > 1.5 * predicted["rebuild_mean_s"]
    with pytest.raises(ValueError, match="memory.no_such_key"):
        replay(report_with(dict(measured)), calibration, seeds=1, overrides=["memory.no_such_key=1"])
    with pytest.raises(ValueError, match=r"seeds must be an integer in \[1, 20\], got 0"):
        replay(report_with(dict(measured)), calibration, seeds=0)


def test_older_reports_take_the_held_out_configuration_by_name_or_say_why_not(calibration, predicted):
    from gwsim.testbed.replay import _config_of
    from gwsim.testbed.validate import HELD_OUT

    assert _config_of({"name": HELD_OUT[0]["name"]}) == HELD_OUT[0]["config"]
    out = replay(report_with({q: 1.0 for q, _, _ in QUANTITIES}, config=None, name="unknown"), calibration)
    assert out["experiments"] == [{"name": "unknown", "skipped": "no configuration in the report and no held-out "
                                                                 "experiment of that name"}]
    assert "skipped: no configuration" in format_replay(out)


def test_report_files_are_checked(tmp_path, gwsim_cli):
    with pytest.raises(ValueError, match="cannot read"):
        read_report(tmp_path)
    (tmp_path / "report.json").write_text("{}")
    with pytest.raises(ValueError, match="holds no experiments"):
        read_report(tmp_path)
    (tmp_path / "report.json").write_text(json.dumps({"experiments": [{"name": "x"}]}))
    with pytest.raises(ValueError, match=r"experiments\[0\] has no 'diagnostics'"):
        read_report(tmp_path / "report.json")
    proc = gwsim_cli("testbed", "replay", "--report", str(tmp_path))
    assert proc.returncode == 2 and "--report:" in proc.stderr and "has no 'diagnostics'" in proc.stderr
    good = tmp_path / "good"
    good.mkdir()
    (good / "report.json").write_text(json.dumps(report_with({q: 1.0 for q, _, _ in QUANTITIES})))
    proc = gwsim_cli("testbed", "replay", "--report", str(good), "--seeds", "21")
    assert proc.returncode == 2 and "--seeds must be in [1, 20], got 21" in proc.stderr
    proc = gwsim_cli("testbed", "replay", "--report", str(good), "--seeds", "1", "--set", "memory.no_such_key=1")
    assert proc.returncode == 2 and "--set:" in proc.stderr and "memory.no_such_key" in proc.stderr
    proc = gwsim_cli("testbed", "replay", "--report", str(good), "--seeds", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["met"]["OOM verdict"] == [1, 1]
