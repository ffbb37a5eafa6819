"""The testbed's request stream described in the simulator's terms (gwsim.testbed.workload)."""

from __future__ import annotations

import random

import pytest

from gwsim.testbed.workload import (cache_key, expected_singleton_share, singleton_share, stream_of,
                                    unique_key_fraction)


def zipf_stream(n: int, routes: int, s: float, u: float, seed: int) -> list:
    """The simulator's key stream: a one-time key with probability u, else a route key by Zipf."""
    rng = random.Random(seed)
    weights = [(i + 1) ** -s for i in range(routes)]
    picks = rng.choices(range(routes), weights=weights, k=n)
    return [("one-time", k) if rng.random() < u else ("route", r) for k, r in enumerate(picks)]


def test_the_expected_share_of_keys_seen_once_matches_a_sampled_stream():
    from gwsim.testbed.workload import _zipf

    p = _zipf(3000, 1.0)
    for u in (0.0, 0.4, 0.8):
        sampled = sum(singleton_share(zipf_stream(2000, 3000, 1.0, u, seed)) for seed in range(20)) / 20
        assert expected_singleton_share(u, p, 2000) == pytest.approx(sampled, abs=0.01)


def test_the_one_time_share_of_a_simulated_stream_is_found_again():
    for u in (0.0, 0.3, 0.6):
        keys = zipf_stream(4000, 5000, 1.0, u, seed=3)
        assert unique_key_fraction(keys, 5000, 1.0) == pytest.approx(u, abs=0.04)
    assert unique_key_fraction([("a", k) for k in range(100)], 5000, 1.0) == 1.0
    assert unique_key_fraction(["same"] * 100, 5000, 1.0) == 0.0
    assert unique_key_fraction([], 5000, 1.0) == 0.0
    with pytest.raises(ValueError, match="routes"):
        unique_key_fraction(["a"], 0, 1.0)
    with pytest.raises(ValueError, match="zipf_s"):
        unique_key_fraction(["a"], 10, float("nan"))


def test_the_testbeds_stream_carries_ids_that_defeat_the_match_cache():
    from gwsim.testbed.experiment import load_config

    config = load_config({"routes": {"count": 4000}, "load": {"rate_per_s": 50, "duration_s": 20}})
    stream = stream_of(config)
    assert len(stream) == 1000
    keys = [cache_key(r) for r in stream]
    assert keys[0] == (stream[0].method, stream[0].path, stream[0].host,
                       tuple(sorted((k.lower(), v) for k, v in stream[0].headers)))
    # Paths with ids and random wildcard names: most keys are seen once.
    assert 0.3 < unique_key_fraction(keys, 4000, 1.0) < 0.9


def test_requests_aimed_at_no_route_are_told_apart_by_the_router():
    from gwsim.testbed.calibrate import _traffic_mix
    from gwsim.testbed.experiment import load_config
    from gwsim.testbed.workload import aimed_at_a_route

    config = load_config({"routes": {"count": 2000}, "load": {"rate_per_s": 50, "duration_s": 20}})
    stream = stream_of(config)
    found = aimed_at_a_route(config, stream)
    assert len(found) == len(stream)
    # The synthetic stream aims about 5% of its requests at hosts and paths no route has.
    missed = [r for r, f in zip(stream, found) if not f]
    assert 0.02 < len(missed) / len(stream) < 0.1
    assert all(r.host.endswith(".nomatch.invalid") for r in missed)
    mix = _traffic_mix(config)
    assert mix["no_route_fraction"] == len(missed) / len(stream)
    # The one-time keys are counted among the requests aimed at a route only.
    keys = [cache_key(r) for r, f in zip(stream, found) if f]
    assert mix["unique_key_fraction"] == unique_key_fraction(keys, 2000, 1.0)


def test_the_calibrations_quiet_load_sends_every_key_once_with_the_no_route_requests_spread():
    from gwsim.testbed.calibrate import _quiet_stream

    def q(path, host="a.example"):
        return {"method": "GET", "host": host, "path": path, "headers": [("accept", "*/*")]}

    found = [q(f"/r/{k}") for k in range(12)] + [q("/r/0")]  # one repeated key
    none = [{**q(f"/zz/{k}", "h.nomatch.invalid"), "headers": {"accept": "*/*"}} for k in range(4)]
    stream = _quiet_stream(found, none)
    keys = [cache_key(r) for r in stream]
    assert len(stream) == 16 and len(set(keys)) == 16
    # A request aimed at no route every three of the others, not bunched.
    at = [i for i, r in enumerate(stream) if r.host.endswith(".nomatch.invalid")]
    assert at == [2, 6, 10, 14]
    assert _quiet_stream(found, []) == [r for r in stream if not r.host.endswith(".nomatch.invalid")]
