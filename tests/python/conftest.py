"""Shared fixtures: a tiny scenario and a way to run the command line.

The tests import gwsim from the checkout's python/ directory (and its
compiled _core from the build directory, see gwsim/__init__.py), so they run
under .venv/bin/python as ./gwsim test does, or under any interpreter _core
was built for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

# 1 pod, 2 workers, 500 routes, 60 s at 50 requests/s, one admin write at 10 s:
# simulates in well under a second.
TINY_TOML = """\
name = "tiny"
strategy = "full_rebuild"

[cluster]
nodes = 1
workers_per_node = 2

[routes]
routes = 500
services = 500

[traffic]
rate_per_s = 50

[admin]
script = [ { at_s = "10s", kind = "update_route" } ]

[run]
duration_s = "60s"
seed = 7
"""


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    """Path of the tiny scenario as a TOML file."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    return path


@pytest.fixture
def gwsim_cli():
    """Run ``python -m gwsim ARGS...`` with this interpreter; returns the CompletedProcess."""

    def run(*args: object, check: bool = False) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_DIR), env.get("PYTHONPATH")]))
        proc = subprocess.run(
            [sys.executable, "-m", "gwsim", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"gwsim {args} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run
