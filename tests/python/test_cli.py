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
    # Requests aimed at no route are answered 404: counted, and shown only when there are some.
    assert "answered 404" not in text
    proc = gwsim_cli("run", tiny_scenario, "--quiet", "--set", "traffic.no_route_fraction=0.2", check=True)
    assert "answered 404 (no route)" in proc.stdout
    record = run_json(gwsim_cli, tiny_scenario, "--set", "traffic.no_route_fraction=0.2")
    assert 0.1 * record["requests"] < record["not_found"] < 0.3 * record["requests"]


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


# --------------------------------------------------------------------------
# gwsim sweep and gwsim store


def cli(capsys, *args: object) -> tuple[int, str, str]:
    """Run the command line in this process (quicker than a subprocess): (status, stdout, stderr)."""
    from gwsim.cli import main

    try:
        status = main([str(a) for a in args])
    except SystemExit as exit:  # argparse's usage errors
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sweep_table_and_store_commands(capsys, tiny_scenario, tmp_path: Path):
    db = tmp_path / "runs.sqlite"
    out = tmp_path / "out"
    args = ("sweep", tiny_scenario, "--set", "run.duration_s=20s", "--grid", "cluster.workers_per_node=1,2",
            "--grid", "kong.worker_consistency=strict,eventual", "--replications", "2", "--store", db)
    status, stdout, _ = cli(capsys, *args, "--out", out)
    assert status == 0
    assert stdout.startswith("tiny: 8 runs (4 points x 2 replications), 0 from the store")
    assert "cluster.workers_per_node  kong.worker_consistency" in stdout
    assert " ± " in stdout and "95% confidence" in stdout
    for name in ("runs.csv", "summary.csv", "table.txt"):
        assert (out / name).is_file(), name
    status, stdout, _ = cli(capsys, *args, "--json")
    assert status == 0
    records = [json.loads(line) for line in stdout.splitlines()]
    assert len(records) == 8 and records[0]["cluster.workers_per_node"] == 1
    with open(out / "runs.csv", newline="") as f:
        first = list(csv.DictReader(f))
    # answered from the store: identical, wall time included
    assert [float(r["wall_time_s"]) for r in first] == [r["wall_time_s"] for r in records]

    status, listing, _ = cli(capsys, "store", "ls", db)
    assert status == 0
    assert listing.splitlines()[0].split()[:4] == ["key", "name", "strategy", "version"]
    assert "8 runs in" in listing
    rows = [json.loads(line) for line in cli(capsys, "store", "ls", db, "--json")[1].splitlines()]
    assert len(rows) == 8 and {"key", "seed", "requests", "latency_p99_s"} <= rows[0].keys()
    short = listing.splitlines()[2].split()[0]
    shown = cli(capsys, "store", "show", db, short)[1]
    assert shown.startswith(f"key: {rows[0]['key']}") and "latency p99" in shown
    one = json.loads(cli(capsys, "store", "show", db, rows[0]["key"], "--json")[1])
    assert one["summary"]["requests"] == rows[0]["requests"] and one["timeseries_rows"] > 0
    assert cli(capsys, "store", "export", db, "--out", tmp_path / "all.csv")[0] == 0
    with open(tmp_path / "all.csv", newline="") as f:
        exported = list(csv.DictReader(f))
    assert [r["key"] for r in exported] == [r["key"] for r in rows]


def test_sweep_and_store_argument_errors(gwsim_cli, capsys, tiny_scenario, tmp_path: Path):
    grid = ("--grid", "cluster.workers_per_node=1")
    cases = [
        (("sweep", tiny_scenario), "--grid"),
        (("sweep", tiny_scenario, "--grid", "workers"), "--grid"),
        (("sweep", tiny_scenario, "--grid", "cluster.nope=1,2"), "cluster.nope"),
        (("sweep", tiny_scenario, "--grid", "cluster.workers_per_node=1,many"), "--grid"),
        (("sweep", tiny_scenario, *grid, "--replications", "0"), "--replications"),
        (("sweep", tiny_scenario, *grid, "--workers", "two"), "--workers"),
        (("sweep", tiny_scenario, *grid, "--store", tmp_path / "no" / "dir.sqlite"), "--store"),
        (("sweep", tmp_path / "missing.toml", *grid), "missing.toml"),
        (("store", "ls", tmp_path / "none.sqlite"), "PATH"),
        (("store", "ls", tiny_scenario), "PATH"),
        (("store", "export", tmp_path / "none.sqlite"), "--out"),
    ]
    for args, needle in cases:
        status, _, stderr = cli(capsys, *args)
        assert status == 2, (args, stderr)
        assert needle in stderr, (args, stderr)
    # one in a subprocess: status 2, no traceback
    proc = gwsim_cli("sweep", tiny_scenario, "--grid", "cluster.workers_per_node=1,many")
    assert proc.returncode == 2 and "argument --grid" in proc.stderr and "Traceback" not in proc.stderr
    db = tmp_path / "runs.sqlite"
    assert cli(capsys, "sweep", tiny_scenario, *grid, "--set", "run.duration_s=10s", "--store", db)[0] == 0
    status, _, stderr = cli(capsys, "store", "show", db, "ffffffff")
    assert status == 2 and "argument KEY" in stderr


def test_killed_sweep_resumes_without_recomputing(gwsim_cli, tiny_scenario, tmp_path: Path):
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    import gwsim
    from conftest import PYTHON_DIR

    # about 0.15 s per run, 10 runs
    sets = ["--set", "traffic.rate_per_s=5000", "--set", "run.duration_s=30s"]
    grid = ["--grid", "cluster.workers_per_node=1,2"]
    db = tmp_path / "runs.sqlite"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_DIR), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "gwsim", "sweep", str(tiny_scenario), *sets, *grid,
               "--replications", "5", "--store", str(db), "--quiet"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stored() -> list[tuple]:
        try:
            with sqlite3.connect(db, timeout=10) as conn:
                return conn.execute("SELECT scenario_hash, seed, summary, created FROM run_results "
                                    "ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:  # not created yet
            return []

    deadline = time.monotonic() + 60
    try:
        while len(stored()) < 2:
            assert proc.poll() is None, f"the sweep ended before it was killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "no runs were stored"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    before = stored()
    assert 2 <= len(before) < 10

    resumed = gwsim_cli(*command[3:], "--json", check=True)
    records = [json.loads(line) for line in resumed.stdout.splitlines()]
    after = stored()
    assert len(after) == 10
    assert after[: len(before)] == before  # the runs stored before the kill were not recomputed
    # one process runs them in order and stores each as it completes: the first runs are the stored ones
    for record, (_, seed, summary, _) in zip(records, before):
        assert record["seed"] == seed
        assert record["wall_time_s"] == json.loads(summary)["wall_time_s"]

    # the same table as a sweep that was never interrupted
    scenario = gwsim.Scenario.load(tiny_scenario).replace(traffic__rate_per_s=5000, run__duration_s="30s")
    whole = gwsim.sweep(scenario, {"cluster.workers_per_node": [1, 2]}, replications=5, seed=scenario.seed,
                        progress=False)
    # the command line prints one record per run: no per-configuration columns
    stats = set(gwsim.sweeps.configuration_columns(whole))
    assert stats and not stats & set(records[0])
    assert [{k: v for k, v in r.items() if k != "wall_time_s"} for r in records] == \
        [{k: v for k, v in r.items() if k != "wall_time_s" and k not in stats}
         for r in whole.to_dict(orient="records")]
    with gwsim.store.open(db) as store:
        table = store.results().sort_values(["scenario_hash", "seed"]).reset_index(drop=True)
    assert len(table) == 10
    assert sorted(table["seed"].unique()) == sorted(whole["seed"].unique())
    assert sorted(table["requests"]) == sorted(whole["requests"])
