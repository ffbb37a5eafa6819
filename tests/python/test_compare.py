"""gwsim compare: one workload under every router design, common random numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gwsim
from gwsim import compare


def test_every_strategy_same_traffic(tiny_scenario):
    df = compare.compare(tiny_scenario, progress=False)
    assert list(df["strategy"]) == compare.strategy_names()
    assert {"full_rebuild", "lazy", "incremental", "shared_rcu", "double_buffer", "reload", "sharded"} <= set(
        df["strategy"])
    # Common random numbers: the same arrivals reach every design.
    assert df["requests"].nunique() == 1
    assert (df["seed"] == df["seed"].iloc[0]).all()
    by = df.set_index("strategy")
    # Designs that build once per pod do a quarter of the per-worker builds' work or less.
    assert by.loc["shared_rcu", "rebuild_cpu_s"] < by.loc["full_rebuild", "rebuild_cpu_s"]
    assert by.loc["incremental", "rebuild_cpu_s"] < by.loc["full_rebuild", "rebuild_cpu_s"]


def test_table_has_units_and_intervals(tiny_scenario):
    df = compare.compare(tiny_scenario, ["full_rebuild", "incremental"], replications=2, progress=False)
    text = compare.format_table(df)
    assert "p99 (ms)" in text and "peak pod (GiB)" in text and "rebuild CPU (s)" in text
    assert "±" in text and "95% confidence" in text
    rows = [line for line in text.splitlines() if line.startswith(("full_rebuild", "incremental"))]
    assert len(rows) == 2


def test_unknown_strategy_is_refused(tiny_scenario):
    with pytest.raises(ValueError, match="unknown strategy 'eager'"):
        compare.compare(tiny_scenario, ["full_rebuild", "eager"], progress=False)
    with pytest.raises(ValueError, match="listed twice"):
        compare.compare(tiny_scenario, ["lazy", "lazy"], progress=False)


def test_cli_table_json_and_files(gwsim_cli, tiny_scenario, tmp_path):
    proc = gwsim_cli("compare", tiny_scenario, "--strategies", "full_rebuild,shared_rcu", "--quiet",
                     "--out", tmp_path / "cmp", check=True)
    assert "shared_rcu" in proc.stdout and "OOM kills" in proc.stdout
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {"runs.csv", "table.txt", "designs.png"}
    proc = gwsim_cli("compare", tiny_scenario, "--strategies", "reload", "--json", check=True)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["strategy"] for r in records] == ["reload"]
    # Same seed, same numbers: the comparison is reproducible.
    again = gwsim_cli("compare", tiny_scenario, "--strategies", "reload", "--json", check=True)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "wall_time_s"} for r in rs]  # noqa: E731
    assert strip(records) == strip([json.loads(line) for line in again.stdout.splitlines()])


def test_cli_errors_name_the_argument(gwsim_cli, tiny_scenario):
    proc = gwsim_cli("compare", tiny_scenario, "--strategies", "nope")
    assert proc.returncode == 2
    assert "unknown strategy 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    proc = gwsim_cli("compare", tiny_scenario, "--replications", "0")
    assert proc.returncode == 2 and "replications" in proc.stderr


def test_router_designs_scenario_loads():
    scenario = gwsim.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "router-designs.toml")
    assert scenario["design"]["long_connection_s"] == 60.0
