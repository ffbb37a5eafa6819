"""gwsim.Scenario: construction, replace, hashing, repr, and use by the entry points."""

from __future__ import annotations

import hashlib
import json
import pickle

import pytest

import gwsim
from gwsim import Scenario
from gwsim.analyze import analyze
from gwsim.compare import compare
from gwsim.sweeps import sweep


@pytest.fixture
def tiny(tiny_scenario) -> Scenario:
    return Scenario.load(tiny_scenario).replace(run__duration_s="20s")


def test_load_matches_load_scenario(tiny_scenario):
    s = Scenario.load(tiny_scenario)
    assert s.to_dict() == gwsim.load_scenario(tiny_scenario)
    assert s.name == "tiny" and s.strategy == "full_rebuild" and s.seed == 7
    assert s["cluster.workers_per_node"] == 2 == s.get("cluster__workers_per_node")
    with pytest.raises(KeyError):
        s.get("cluster.nope")
    with pytest.raises(FileNotFoundError):
        Scenario.load(tiny_scenario.parent / "missing.toml")


def test_dict_forms_and_defaults():
    assert Scenario().to_dict() == gwsim.default_scenario()
    assert Scenario.default() == Scenario({})
    s = Scenario({"name": "x", "cluster": {"workers_per_node": 3}})
    assert Scenario.from_dict(s.to_dict()) == s
    assert Scenario(s) == s
    # every field is filled in
    assert s.to_dict()["routes"] == gwsim.default_scenario()["routes"]
    with pytest.raises(TypeError):
        Scenario(42)


def test_to_dict_is_a_deep_copy(tiny):
    d = tiny.to_dict()
    d["cluster"]["workers_per_node"] = 99
    d["admin"]["script"].append({"at_s": 1.0, "kind": "noop"})
    assert tiny["cluster.workers_per_node"] == 2
    assert len(tiny["admin.script"]) == 1


def test_replace_both_spellings(tiny):
    a = tiny.replace(**{"cluster.workers_per_node": 8})
    b = tiny.replace(cluster__workers_per_node=8)
    assert a == b
    assert a["cluster.workers_per_node"] == 8
    assert tiny["cluster.workers_per_node"] == 2  # unchanged
    c = tiny.replace(cluster__pod_memory_limit_bytes="2GiB", strategy="incremental", name="other")
    assert c["cluster.pod_memory_limit_bytes"] == 2 * 2**30
    assert c.strategy == "incremental" and c.name == "other"
    assert tiny.replace() == tiny


@pytest.mark.parametrize(
    "key, value, field",
    [
        ("cluster.no_such_field", 1, "cluster.no_such_field"),
        ("cluster__no_such_field", 1, "cluster.no_such_field"),
        ("nosection.x", 1, "nosection.x"),
        ("cluster.workers_per_node", 2.5, "cluster.workers_per_node"),
        ("cluster.workers_per_node", -1, "cluster.workers_per_node"),
        ("cluster.workers_per_node", "many", "cluster.workers_per_node"),
        ("run.duration_s", "soon", "run.duration_s"),
        ("strategy", "no_such_strategy", "strategy"),
        ("cluster.nodes.deeper", 1, "cluster.nodes"),
    ],
)
def test_replace_errors_name_the_field(tiny, key, value, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        tiny.replace(**{key: value})


def test_constructor_errors_name_the_field():
    with pytest.raises(ValueError, match=r"traffic\.rate_per_sec"):
        Scenario({"traffic": {"rate_per_sec": 5}})
    with pytest.raises(ValueError, match=r"traffic\.rate_per_s"):
        Scenario({"traffic": {"rate_per_s": -5}})


def test_json_round_trip(tiny, tmp_path):
    text = tiny.to_json()
    assert json.loads(text) == tiny.to_dict()
    path = tmp_path / "s.json"
    path.write_text(tiny.to_json(indent=2))
    assert Scenario.load(path) == tiny


def test_hash_is_sha256_of_canonical_json(tiny):
    canonical = json.dumps(tiny.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert tiny.hash == hashlib.sha256(canonical.encode()).hexdigest()
    # equal scenarios, however spelled, hash equal; the seed is part of the scenario
    same = Scenario({**tiny.to_dict(), "cluster": {**tiny.to_dict()["cluster"], "workers_per_node": 2.0}})
    assert same == tiny and same.hash == tiny.hash and hash(same) == hash(tiny)
    reseeded = tiny.replace(run__seed=8)
    assert reseeded != tiny and reseeded.hash != tiny.hash
    assert reseeded.unseeded_hash == tiny.unseeded_hash
    assert tiny.replace(cluster__nodes=2).unseeded_hash != tiny.unseeded_hash
    assert len({tiny, same, reseeded}) == 2


def test_repr_shows_name_strategy_and_changes():
    s = Scenario({"name": "small", "cluster": {"workers_per_node": 3}})
    assert repr(s) == "Scenario('small', full_rebuild; cluster.workers_per_node=3)"
    assert repr(Scenario()) == "Scenario('unnamed', full_rebuild)"
    assert s.changes() == {"name": "small", "cluster.workers_per_node": 3}
    big = Scenario({"name": "big", "routes": {"routes": 10, "services": 10}, "traffic": {"rate_per_s": 5},
                    "cluster": {"nodes": 3, "workers_per_node": 7}})
    text = repr(big)
    assert text.startswith("Scenario('big', full_rebuild;\n")
    assert "    routes.routes=10,\n" in text and text.endswith(")")


def test_equality_and_pickle(tiny):
    assert tiny == Scenario(tiny.to_dict())
    assert tiny != tiny.to_dict()  # a Scenario is not a dict
    assert pickle.loads(pickle.dumps(tiny)) == tiny


def test_entry_points_accept_a_scenario(tiny):
    as_dict = tiny.to_dict()
    a = gwsim.run(tiny, seed=3)
    b = gwsim.run(as_dict, seed=3)
    assert a["summary"]["requests"] == b["summary"]["requests"]
    assert a["scenario"]["cluster"] == as_dict["cluster"]
    assert gwsim.apply_overrides(tiny, ["cluster.nodes=2"])["cluster"]["nodes"] == 2
    df = sweep(tiny, {"cluster.workers_per_node": [1, 2]}, progress=False)
    assert df.attrs["scenario"] == as_dict
    table = compare(tiny, ["full_rebuild", "incremental"], progress=False)
    assert table["strategy"].tolist() == ["full_rebuild", "incremental"]
    report = analyze(tiny, replications=2, progress=False)
    assert len(report["runs"]) == 2
