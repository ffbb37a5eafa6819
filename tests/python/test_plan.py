"""gwsim.plan: bisection, grid search, constraints, explanations, the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import gwsim
from gwsim.plans import Constraint, InfeasiblePlanError, PlanResult, parse_constraint

MEMORY = "cluster.pod_memory_limit_bytes"
WORKERS = "cluster.workers_per_node"


def _probe_values(result: PlanResult, field: str) -> list[tuple[float, bool]]:
    ev = result.evidence
    return sorted((float(v), bool(ok)) for v, ok in zip(ev[field], ev["feasible"]))


# --------------------------------------------------------------------------
# Bisection


def test_smallest_memory_limit_without_oom_kills(tiny_scenario: Path):
    result = gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0", "latency_p99_s < 0.5"],
                        replications=3)
    assert isinstance(result, PlanResult) and result.feasible and result.method == "bisection"
    answer = result.answer[MEMORY]
    probes = _probe_values(result, MEMORY)
    # The answer is a feasible probe, every probe above it is feasible, the next lower probe is not,
    # and the two are within the tolerance.
    assert (answer, True) in probes
    below = [v for v, ok in probes if v < answer]
    assert below, "bisection needs an infeasible probe below the answer"
    assert not dict(probes)[max(below)]
    assert all(ok for v, ok in probes if v >= answer)
    assert answer - max(below) <= 0.05 * answer
    assert answer % 2**20 == 0          # byte fields bisect over whole MiB
    assert result.binding == "oom_kills == 0"
    # Independent check at the answer, the same seeds: no OOM kill in any run.
    seed = int(gwsim.load_scenario(tiny_scenario)["run"]["seed"])
    check = gwsim.sweep(tiny_scenario, {MEMORY: [answer]}, replications=3, seed=seed, progress=False)
    assert (check["oom_kills"] == 0).all()
    assert result.n_runs == 3 * len(result.evidence)
    text = result.explanation
    assert "bisection" in text and "monotone" in text and "rule of three" in text
    assert "next lower candidate" in text and "Answer: cluster.pod_memory_limit_bytes =" in text
    table = str(result)
    assert "MiB" in table and " ms" in table and "yes*" in table


def test_integer_field_bisects_over_integers(tiny_scenario: Path):
    # A fixed 700 MiB pod: more workers need more memory, so the largest OOM-free count is sought.
    base = gwsim.apply_overrides(gwsim.load_scenario(tiny_scenario), [f"{MEMORY}=700MiB"])
    result = gwsim.plan(base, f"max {WORKERS}", ["oom_kills == 0"], replications=2, low=1, high=8)
    n = result.answer[WORKERS]
    assert isinstance(n, int) and 1 <= n < 8
    probes = dict(_probe_values(result, WORKERS))
    assert probes[float(n)] and not probes[float(n + 1)]
    assert all(isinstance(v, int) for v in result.evidence[WORKERS])


def test_plot_has_units_and_threshold(tiny_scenario: Path, tmp_path: Path):
    result = gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"], replications=2)
    fig = result.plot(path=tmp_path / "plan.png")
    ax = fig.axes[0]
    assert "MiB" in ax.get_xlabel() and "oom_kills" in ax.get_ylabel()
    assert (tmp_path / "plan.png").stat().st_size > 0
    assert any("threshold" in t.get_text() for t in ax.get_legend().get_texts())


# --------------------------------------------------------------------------
# Grid search


def test_grid_picks_the_feasible_best_and_explains_rejections(tiny_scenario: Path):
    base = gwsim.apply_overrides(gwsim.load_scenario(tiny_scenario), [f"{MEMORY}=700MiB"])
    result = gwsim.plan(base, {WORKERS: [1, 2, 4]}, ["oom_kills == 0"], best="max peak_pod_memory_bytes",
                        replications=2)
    ev = result.evidence.set_index(WORKERS)
    assert bool(ev.loc[1, "feasible"]) and bool(ev.loc[2, "feasible"]) and not bool(ev.loc[4, "feasible"])
    # The best feasible point by the ordering (the most memory used without a kill) and the runner-up.
    assert result.answer == {WORKERS: 2}
    assert result.runner_up == {WORKERS: 1}
    assert "oom_kills == 0 failed" in ev.loc[4, "failed"]
    assert "Rejected: cluster.workers_per_node = 4 (oom_kills == 0 failed in 2 of 2 runs" in result.explanation
    assert "Runner-up: cluster.workers_per_node = 1" in result.explanation
    assert "peak_pod_memory_bytes_mean" in result.evidence.columns


def test_grid_default_order_is_min_p99(tiny_scenario: Path):
    result = gwsim.plan(tiny_scenario, {WORKERS: [1, 2]}, ["error_rate <= 0.01"], replications=2)
    ev = result.evidence
    feasible = ev[ev["feasible"]]
    best = feasible.loc[feasible["latency_p99_s_mean"].idxmin(), WORKERS]
    assert result.answer == {WORKERS: int(best)}
    assert result.best == "latency_p99_s"


# --------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("text", [
    "oom_kills = 0", "oom_kills == zero", "latency_p99_s << 1", "", "oom_kills == 0 and errors < 1",
    "1 > latency_p99_s", "latency_p99_s < inf", "__import__('os') < 1",
])
def test_constraint_grammar_errors_name_the_constraint(text):
    with pytest.raises(ValueError, match=r"constraint .*(METRIC OP NUMBER|unknown metric)"):
        parse_constraint(text)


def test_constraint_grammar():
    assert parse_constraint("latency_p99_s<0.5") == Constraint("latency_p99_s", "<", 0.5)
    assert parse_constraint(" oom_kills == 0 ") == Constraint("oom_kills", "==", 0.0)
    assert parse_constraint("error_rate >= 1e-3") == Constraint("error_rate", ">=", 0.001)
    with pytest.raises(ValueError, match=r"unknown metric 'p99'.*latency_p99_s"):
        parse_constraint("p99 < 0.5")


def test_argument_errors(tiny_scenario: Path):
    with pytest.raises(ValueError, match=r"unknown field 'cluster\.memory'.*cluster\.pod_memory_limit_bytes"):
        gwsim.plan(tiny_scenario, "min cluster.memory", ["oom_kills == 0"])
    with pytest.raises(ValueError, match=r"objective 'smallest .*expected 'min FIELD'"):
        gwsim.plan(tiny_scenario, f"smallest {MEMORY}", ["oom_kills == 0"])
    with pytest.raises(ValueError, match=r"not numeric"):
        gwsim.plan(tiny_scenario, "min strategy", ["oom_kills == 0"])
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\)"):
            gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"], confidence=bad)
    with pytest.raises(ValueError, match=r"replications must be an integer >= 2"):
        gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"], replications=1)
    with pytest.raises(ValueError, match=r"best 'nope'.*unknown metric"):
        gwsim.plan(tiny_scenario, {WORKERS: [1, 2]}, ["oom_kills == 0"], best="nope")
    with pytest.raises(ValueError, match=r"constraints: give at least one"):
        gwsim.plan(tiny_scenario, f"min {MEMORY}", [])
    with pytest.raises(ValueError, match=r"low must be below high"):
        gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"], low="2GiB", high="1GiB")


def test_infeasible_search_names_the_closest_constraint(tiny_scenario: Path):
    with pytest.raises(InfeasiblePlanError) as info:
        gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0", "latency_p99_s < 0.001"], replications=2)
    message = str(info.value)
    assert "No candidate met every constraint" in message
    assert "The best probe was cluster.pod_memory_limit_bytes =" in message
    assert "latency_p99_s < 0.001 failed" in message
    result = info.value.result
    assert not result.feasible and result.answer is None and len(result.evidence) >= 2
    assert not result.evidence["feasible"].any()


def test_given_high_that_is_infeasible_fails(tiny_scenario: Path):
    with pytest.raises(InfeasiblePlanError, match="No candidate met every constraint"):
        gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"], replications=2, low="400MiB", high="450MiB")


# --------------------------------------------------------------------------
# Determinism and the store


def test_same_inputs_same_answer(tiny_scenario: Path, tmp_path: Path):
    args = (tiny_scenario, f"min {MEMORY}", ["oom_kills == 0"])
    a = gwsim.plan(*args, replications=2)
    b = gwsim.plan(*args, replications=2, store=tmp_path / "runs.sqlite")
    c = gwsim.plan(*args, replications=2, store=tmp_path / "runs.sqlite")
    assert a.answer == b.answer == c.answer
    cols = [col for col in a.evidence.columns]
    assert a.evidence[cols].equals(b.evidence[cols]) and b.evidence[cols].equals(c.evidence[cols])
    assert a.explanation.split(" in ")[0] == c.explanation.split(" in ")[0]


# --------------------------------------------------------------------------
# Command line


def test_cli_text_and_json(gwsim_cli, tiny_scenario: Path):
    args = ["plan", tiny_scenario, "--minimize", MEMORY, "--require", "oom_kills == 0",
            "--require", "latency_p99_s < 0.5", "--replications", "2"]
    text = gwsim_cli(*args, check=True).stdout
    assert text.startswith("tiny (full_rebuild)")
    assert "Answer: cluster.pod_memory_limit_bytes =" in text and "MiB" in text and "rule of three" in text
    record = json.loads(gwsim_cli(*args, "--json", check=True).stdout)
    assert record["feasible"] and set(record["answer"]) == {MEMORY}
    assert record["binding"] == "oom_kills == 0" and record["replications"] == 2
    assert len(record["probes"]) >= 2 and all("feasible" in p for p in record["probes"])
    assert math.isclose(record["answer"][MEMORY] % 2**20, 0)

    grid = gwsim_cli("plan", tiny_scenario, "--grid", f"{WORKERS}=1,2", "--require", "oom_kills == 0",
                     "--best", "min peak_pod_memory_bytes", "--replications", "2", check=True).stdout
    assert "Answer: cluster.workers_per_node = 1" in grid and "Runner-up: cluster.workers_per_node = 2" in grid


def test_cli_errors(gwsim_cli, tiny_scenario: Path):
    base = ["plan", tiny_scenario, "--minimize", MEMORY]
    cases = [
        (["--require", "oom_kills = 0"], "argument --require"),
        (["--require", "nosuch < 1"], "argument --require"),
        (["--require", "oom_kills == 0", "--confidence", "1.5"], "argument --confidence"),
        (["--require", "oom_kills == 0", "--replications", "1"], "argument --replications"),
        (["--require", "oom_kills == 0", "--best", "latency_p99_s"], "argument --best"),
        (["--require", "oom_kills == 0", "--low", "nonsense"], "argument --low"),
    ]
    for extra, name in cases:
        proc = gwsim_cli(*base, *extra)
        assert proc.returncode == 2, (extra, proc.stderr)
        assert name in proc.stderr, (extra, proc.stderr)
    proc = gwsim_cli("plan", tiny_scenario, "--minimize", "cluster.nope", "--require", "oom_kills == 0")
    assert proc.returncode == 2 and "argument --minimize" in proc.stderr and "unknown field" in proc.stderr
    proc = gwsim_cli("plan", tiny_scenario, "--grid", f"{WORKERS}=1", "--low", "1", "--require", "oom_kills == 0")
    assert proc.returncode == 2 and "argument --low" in proc.stderr
    proc = gwsim_cli("plan", tiny_scenario, "--require", "oom_kills == 0")
    assert proc.returncode == 2 and "--minimize" in proc.stderr
    # Nothing feasible: the explanation on stdout, exit status 1.
    proc = gwsim_cli(*base, "--require", "latency_p99_s < 0.001", "--replications", "2")
    assert proc.returncode == 1 and "No candidate met every constraint" in proc.stdout


def test_monotonicity_is_checked_per_constraint(monkeypatch, tiny_scenario: Path):
    """A fake simulator: no OOM kill from 600 MiB up, and p99 over target between 700 and 900 MiB."""
    import sys

    import pandas as pd

    module = sys.modules["gwsim.plans"]
    mib = 2**20

    def fake_sweep(base, grid, replications=1, seed=1, client=None, progress=True, *, workers=1, store=None):
        ((field, (value,)),) = grid.items()
        v = float(value) / mib
        rows = [{field: value, "replication": k, "seed": k, "oom_kills": 0 if v >= 600 else 3,
                 "latency_p99_s": 0.2 if 700 <= v < 900 else 0.05} for k in range(replications)]
        return pd.DataFrame(rows)

    monkeypatch.setattr(module, "sweep", fake_sweep)
    with pytest.warns(RuntimeWarning, match=r"latency_p99_s < 0.1 is not monotone"):
        result = gwsim.plan(tiny_scenario, f"min {MEMORY}", ["oom_kills == 0", "latency_p99_s < 0.1"],
                            replications=2, low="400MiB")
    assert 900 * mib <= result.answer[MEMORY] <= 900 * mib * 1.05
    assert any("not monotone" in w for w in result.warnings) and "Warning:" in result.explanation
