"""bench/router/targets: its arguments, and that every benchmark it names exists in gwsim_bench.

The script itself runs the router benchmarks for about a minute and a half, so it is not run here; the
names it filters on are checked against the suite's own list (--benchmark_list_tests runs nothing).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "router" / "targets"
BENCH = REPO / "build" / "bench" / "gwsim_bench"


def load_targets():
    loader = importlib.machinery.SourceFileLoader("router_targets", str(SCRIPT))
    spec = importlib.util.spec_from_loader("router_targets", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_every_benchmark_the_targets_name_is_in_the_suite():
    if not BENCH.is_file():
        pytest.fail(f"{BENCH} is missing: the test command builds it (cmake --build build)")
    listed = subprocess.run([str(BENCH), "--benchmark_list_tests"], check=True, capture_output=True,
                            text=True).stdout.split()
    names = {line.split("/min_time:")[0] for line in listed}
    t = load_targets()
    wanted = {name for _, name, *_ in t.TARGETS}
    for names_of_group, carried in t.GROUPS:
        wanted.update(names_of_group)
        wanted.update(name for name, _ in carried.values())
    assert wanted <= names, sorted(wanted - names)
    # Every target's benchmark is run by some group, and every ratio has its baseline there.
    grouped = {n for g, _ in t.GROUPS for n in g}
    for key, name, _, _, _, _, baseline, _ in t.TARGETS:
        assert name in grouped, key
        if baseline is not None:
            assert any(name in g and baseline in carried for g, carried in t.GROUPS), key


def test_figures_are_medians_with_their_range_in_the_target_unit():
    t = load_targets()
    rows = [{"real_time": 150.0, "time_unit": "ms"}, {"real_time": 0.1, "time_unit": "s"},
            {"real_time": 120000.0, "time_unit": "us"}]
    assert t.figure(rows, "real_time", "ms") == pytest.approx([150.0, 100.0, 120.0])
    assert t.summary(t.figure(rows, "real_time", "ms")) == {"median": 120.0, "min": 100.0, "max": 150.0, "n": 3}
    assert t.figure([{"items_per_second": 2.5e6}], "items_per_second", "M/s") == [2.5e6]


@pytest.mark.parametrize("args, message", [
    (["--repetitions", "0"], "--repetitions must be in [1, 50], got 0"),
    (["--build-dir", "/nonexistent-build"], "/nonexistent-build/bench/gwsim_bench not found"),
])
def test_bad_arguments_name_the_argument_and_what_is_allowed(args, message):
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert message in proc.stderr
