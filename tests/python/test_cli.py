"""The gwsim command line: JSON and text output, files, errors, determinism."""

from __future__ import annotations

import csv
import json
from pathlib import Path

REQUIRED_KEYS = {
    "requests", "errors", "error_rate", "latency_p50_s", "latency_p99_s", "latency_p999_s",
    "latency_max_s", "oom_kills", "worker_restarts", "rebuilds", "rebuild_cpu_s",
    "peak_pod_memory_bytes", "mean_pod_memory_bytes", "final_pod_memory_bytes",
    "peak_worker_heap_bytes", "max_staleness_s", "db_queries", "db_utilization",
    "sim_time_s", "wall_time_s",
}  # fmt: skip


def run_json(gwsim_cli, *args: object) -> dict:
    proc = gwsim_cli("run", *args, "--json", check=True)
    return json.loads(proc.stdout)


def test_json_summary(gwsim_cli, tiny_scenario):
    record = run_json(gwsim_cli, tiny_scenario)
    assert REQUIRED_KEYS <= record.keys()
    assert record["scenario"] == "tiny"
    assert record["sim_time_s"] == 60.0
    assert record["requests"] > 0
    if {"completed", "in_flight"} <= record.keys():
        assert record["requests"] == record["completed"] + record["errors"] + record["in_flight"]
    if "admin_writes" in record:
        assert record["admin_writes"] == 1
    assert 0.0 <= record["error_rate"] <= 1.0
    assert record["latency_p50_s"] <= record["latency_p99_s"] <= record["latency_max_s"]
    assert record["peak_pod_memory_bytes"] >= record["mean_pod_memory_bytes"] > 0


def test_text_summary_has_units(gwsim_cli, tiny_scenario):
    proc = gwsim_cli("run", tiny_scenario, "--quiet", check=True)
    text = proc.stdout
    assert text.startswith("tiny: full_rebuild")
    for needle in ("requests", " %", " ms", "MiB", "OOM kills", "rebuild CPU", "wall time", "real time"):
        assert needle in text, needle
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_out_writes_files(gwsim_cli, tiny_scenario, tmp_path: Path):
    out = tmp_path / "results"
    gwsim_cli("run", tiny_scenario, "--out", out, "--quiet", check=True)
    for name in ("summary.json", "timeseries.csv", "events.csv", "memory.png"):
        assert (out / name).is_file(), name
    assert (out / "memory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert REQUIRED_KEYS <= summary.keys()
    with open(out / "timeseries.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"time_s", "node", "worker", "resident_bytes", "heap_bytes"} <= rows[0].keys()
    # One pod row and two worker rows per sample.
    assert {row["worker"] for row in rows} == {"-1", "0", "1"}
    with open(out / "events.csv", newline="") as f:
        events = list(csv.DictReader(f))
    assert [e for e in events if e["kind"] == "admin_write"]
    # scenario.json reproduces the run.
    again = run_json(gwsim_cli, out / "scenario.json")
    summary.pop("wall_time_s"), again.pop("wall_time_s")
    assert again == summary


def test_unknown_key_is_an_error(gwsim_cli, tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[traffic]\nrate_per_sec = 5\n')
    proc = gwsim_cli("run", path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("gwsim: error: ")
    assert "rate_per_sec" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_override_is_an_error(gwsim_cli, tiny_scenario):
    proc = gwsim_cli("run", tiny_scenario, "--set", "traffic.rate_per_s=-1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("gwsim: error: ")
    assert "traffic.rate_per_s" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_is_an_error(gwsim_cli, tmp_path: Path):
    proc = gwsim_cli("run", tmp_path / "nowhere.toml")
    assert proc.returncode == 2
    assert "nowhere.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_override_is_applied(gwsim_cli, tiny_scenario):
    proc = gwsim_cli("scenario", tiny_scenario, "--set", "cluster.workers_per_node=3", "--seed", "11",
                     check=True)
    scenario = json.loads(proc.stdout)
    assert scenario["cluster"]["workers_per_node"] == 3
    assert scenario["run"]["seed"] == 11
    assert scenario["routes"]["routes"] == 500


def test_same_seed_same_results(gwsim_cli, tiny_scenario):
    first = run_json(gwsim_cli, tiny_scenario, "--seed", "3")
    second = run_json(gwsim_cli, tiny_scenario, "--seed", "3")
    other = run_json(gwsim_cli, tiny_scenario, "--seed", "4")
    for record in (first, second, other):
        record.pop("wall_time_s")
    assert first == second
    assert first != other
