"""gwsim analyze: closed-form predictions next to a simulation of the same scenario."""

from __future__ import annotations

import json
import math

import pytest

from gwsim import analyze


def test_prediction_has_the_worker_inputs_and_a_formula(tiny_scenario):
    p = analyze.predict(tiny_scenario)
    w = p["workload"]
    assert w["request_rate_per_s"] > 0
    assert 0 <= w["cache_hit_ratio"] <= 1
    assert w["rebuild_cpu_s"] > 0
    assert p["latency"]["formula"] in {"mg1", "fifo_rebuilds", "periodic_light_load", "blocking_builds"}
    assert p["latency"]["mean_latency_s"] > 0


def test_analyze_lines_predictions_up_with_simulated_intervals(tiny_scenario):
    report = analyze.analyze(tiny_scenario, replications=2, progress=False)
    quantities = [r["quantity"] for r in report["rows"]]
    assert quantities[:4] == ["requests per worker", "rebuilds per worker", "rebuild CPU", "mean latency"]
    assert {"peak worker heap", "peak pod memory", "OOM kills per pod"} <= set(quantities)
    heap = next(r for r in report["rows"] if r["quantity"] == "peak worker heap")
    # Nobody is killed in the tiny scenario, so the bound must hold.
    assert heap["simulated"] <= heap["predicted"]
    requests = report["rows"][0]
    # The request rate is no approximation: the simulation must agree closely.
    assert requests["simulated"] == pytest.approx(requests["predicted"], rel=0.1)
    assert not math.isnan(report["rows"][0]["ci"])
    text = analyze.format_analysis(report)
    assert "worker load" in text and "95% CI" in text and "ms" in text


def test_unstable_worker_is_reported_as_unstable(tiny_scenario):
    import gwsim

    s = gwsim.apply_overrides(gwsim.load_scenario(tiny_scenario), ["traffic.rate_per_s=10000000"])
    p = analyze.predict(s)
    assert p["latency"]["stable"] is False
    assert math.isinf(p["latency"]["mean_latency_s"])
    assert not math.isnan(p["workload"]["critical_traffic_rate_per_s"])


def test_cli_prints_table_and_json(gwsim_cli, tiny_scenario):
    done = gwsim_cli("analyze", tiny_scenario, "--replications", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "mean latency" in done.stdout and "predicted" in done.stdout
    done = gwsim_cli("analyze", tiny_scenario, "--replications", "2", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {r["quantity"] for r in data["rows"]} >= {"mean latency", "rebuild CPU"}


def test_bad_arguments_name_the_parameter(gwsim_cli, tiny_scenario):
    with pytest.raises(ValueError, match="replications"):
        analyze.analyze(tiny_scenario, replications=0, progress=False)
    done = gwsim_cli("analyze", tiny_scenario, "--set", "traffic.rate_per_s=-1")
    assert done.returncode == 2
    assert "traffic.rate_per_s" in done.stderr
