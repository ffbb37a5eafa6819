"""Every scenario file in scenarios/ runs, and the incident ones show what
they are meant to show: the Kong 2.x incident gets workers OOM-killed and a
p99 far above its quiet baseline; the incremental counterpart, under the same
writes and seed, does not OOM."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from conftest import REPO

import gwsim

SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))


def _summary(scenario):
    return gwsim.run(scenario)["summary"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_and_conserves_requests(path: Path) -> None:
    s = _summary(gwsim.load_scenario(path))
    assert s["requests"] > 0
    assert s["requests"] == s["completed"] + s["errors"] + s["in_flight"]


def _quiet(scenario):
    quiet = copy.deepcopy(scenario)
    quiet["admin"] = {"script": [], "loops": [], "poisson_rate_per_s": 0.0}
    return quiet


def test_incident_kills_workers_and_blows_up_the_tail() -> None:
    incident = gwsim.load_scenario(REPO / "scenarios" / "kong-2x-incident.toml")
    writes = _summary(incident)
    quiet = _summary(_quiet(incident))
    assert quiet["oom_kills"] == 0
    assert writes["oom_kills"] > 0
    assert writes["errors"] > 0
    assert writes["latency_p99_s"] > 20 * quiet["latency_p99_s"]


def test_incremental_counterpart_survives_the_same_writes() -> None:
    incident = _summary(gwsim.load_scenario(REPO / "scenarios" / "kong-2x-incident.toml"))
    incremental = _summary(gwsim.load_scenario(REPO / "scenarios" / "kong-2x-incident-incremental.toml"))
    # Same seed, same traffic and writes: only the design differs.
    assert incremental["requests"] == incident["requests"]
    assert incremental["admin_writes"] == incident["admin_writes"]
    assert incremental["oom_kills"] == 0
    assert incremental["errors"] < incident["errors"] / 100
    assert incremental["latency_p99_s"] < incident["latency_p99_s"] / 20


def test_regex_cache_cliff_falls_over_without_a_write_and_a_larger_cache_stops_it() -> None:
    cliff = gwsim.load_scenario(REPO / "scenarios" / "regex-cache-cliff.toml")
    assert cliff["routes"]["regex_paths"] > cliff["kong"]["regex_cache_entries"]
    past = _summary(cliff)
    roomy = copy.deepcopy(cliff)
    roomy["kong"]["regex_cache_entries"] = cliff["routes"]["regex_paths"]
    held = _summary(roomy)
    # Same traffic and seed, no admin write in either.
    assert past["requests"] == held["requests"]
    assert past["admin_writes"] == held["admin_writes"] == 0
    assert past["oom_kills"] > 0
    assert past["errors"] > 0
    assert past["latency_p99_s"] > 10 * held["latency_p99_s"]
    assert held["oom_kills"] == 0
    assert held["errors"] == 0
    assert held["peak_pod_memory_bytes"] < 0.7 * past["peak_pod_memory_bytes"]
