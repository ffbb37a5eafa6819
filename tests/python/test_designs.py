"""gwsim.designs: Latin hypercubes and random designs, and sweeps over them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gwsim
from gwsim import designs
from gwsim.sweeps import replication_seed, sweep

RANGES = {
    "traffic.rate_per_s": (20.0, 80.0),
    "cluster.pod_memory_limit_bytes": (2**30, 8 * 2**30),
    "kong.worker_consistency": ["strict", "eventual"],
}


@pytest.fixture
def tiny(tiny_scenario):
    return gwsim.Scenario.load(tiny_scenario).replace(run__duration_s="20s")


@pytest.mark.parametrize("n", [1, 7, 50])
def test_lhs_hits_each_stratum_once_per_dimension(n):
    df = designs.latin_hypercube(RANGES, n=n, seed=4)
    assert list(df.columns) == list(RANGES) and len(df) == n
    for key in ("traffic.rate_per_s", "cluster.pod_memory_limit_bytes"):
        low, high = RANGES[key]
        x = df[key].to_numpy()
        assert ((x >= low) & (x < high)).all()
        strata = np.floor((x - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n))
    # choices: each of k choices takes n/k points (n divisible by k) or within one
    counts = df["kong.worker_consistency"].value_counts()
    assert set(counts.index) <= {"strict", "eventual"}
    assert counts.max() - counts.min() <= 1 if len(counts) == 2 else n == 1


def test_lhs_log_scale_strata():
    n = 20
    df = designs.latin_hypercube({"traffic.rate_per_s": (1.0, 1000.0)}, n=n, seed=2, log=True)
    u = np.log(df["traffic.rate_per_s"]) / np.log(1000.0)
    assert sorted(np.floor(u * n).astype(int)) == list(range(n))


def test_lhs_integer_fields_are_integers_in_range():
    n = 8
    df = designs.latin_hypercube({"cluster.workers_per_node": (1, 8), "routes.routes": (100, 1000)}, n=n, seed=1)
    assert df["cluster.workers_per_node"].dtype == np.int64
    assert df["routes.routes"].dtype == np.int64
    # (1, 8) has 8 integers and 8 strata: a permutation
    assert sorted(df["cluster.workers_per_node"]) == list(range(1, 9))
    assert df["routes.routes"].between(100, 1000).all()
    # each value is accepted by the validator as an integer
    for value in df["cluster.workers_per_node"]:
        gwsim.apply_overrides(gwsim.default_scenario(), [f"cluster.workers_per_node={value}"])


def test_designs_are_deterministic():
    a = designs.latin_hypercube(RANGES, n=10, seed=3)
    pd.testing.assert_frame_equal(a, designs.latin_hypercube(RANGES, n=10, seed=3))
    assert not a.equals(designs.latin_hypercube(RANGES, n=10, seed=4))
    r = designs.random_design(RANGES, n=10, seed=3)
    pd.testing.assert_frame_equal(r, designs.random_design(RANGES, n=10, seed=3))
    assert r.attrs["design"] == "random" and a.attrs["design"] == "latin_hypercube"


def test_random_design_within_range():
    df = designs.random_design({"traffic.rate_per_s": (5.0, 6.0), "cluster.workers_per_node": (2, 3)}, 200, seed=1)
    assert df["traffic.rate_per_s"].between(5.0, 6.0).all()
    assert set(df["cluster.workers_per_node"]) == {2, 3}


@pytest.mark.parametrize(
    "ranges, kwargs, field",
    [
        ({"cluster.no_such_field": (1, 2)}, {}, "cluster.no_such_field"),
        ({"cluster.workers_per_node": (1.5, 3)}, {}, "cluster.workers_per_node"),
        ({"traffic.rate_per_s": (5, 1)}, {}, "traffic.rate_per_s"),
        ({"traffic.rate_per_s": (0.0, 1.0)}, {"log": True}, "traffic.rate_per_s"),
        ({"traffic.rate_per_s": []}, {}, "traffic.rate_per_s"),
        ({"traffic.rate_per_s": "fast"}, {}, "traffic.rate_per_s"),
        ({"run.seed": (1, 5)}, {}, "run.seed"),
        ({"traffic.rate_per_s": (1, 2)}, {"n": 0}, "n must"),
        ({"traffic.rate_per_s": (1, 2)}, {"log": ["traffic.other"]}, "traffic.other"),
    ],
)
def test_design_errors_name_the_field(ranges, kwargs, field):
    kwargs = {"n": 4, **kwargs}
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        designs.latin_hypercube(ranges, **kwargs)


def test_sweep_with_samples(tiny):
    design = designs.latin_hypercube(
        {"cluster.workers_per_node": (1, 3), "cluster.pod_memory_limit_bytes": (2**30, 4 * 2**30)}, n=3, seed=5)
    df = sweep(tiny, samples=design, replications=2, seed=6, progress=False)
    assert len(df) == 6
    assert df.attrs["grid"] == list(design.columns)
    assert df["cluster.workers_per_node"].tolist() == np.repeat(design["cluster.workers_per_node"], 2).tolist()
    assert df["seed"].tolist() == [replication_seed(6, 0), replication_seed(6, 1)] * 3
    # common random numbers: the memory limit does not change the traffic
    assert df.groupby("replication")["requests"].nunique().eq(1).all()
    # a list of mappings works the same
    records = design.to_dict(orient="records")
    again = sweep(tiny, samples=records, replications=2, seed=6, progress=False)
    pd.testing.assert_frame_equal(df.drop(columns="wall_time_s"), again.drop(columns="wall_time_s"))


def test_sweep_takes_grid_or_samples(tiny):
    design = designs.random_design({"cluster.workers_per_node": (1, 2)}, 2, seed=1)
    with pytest.raises(ValueError, match="grid or samples"):
        sweep(tiny, progress=False)
    with pytest.raises(ValueError, match="not both"):
        sweep(tiny, {"cluster.nodes": [1]}, samples=design, progress=False)
    with pytest.raises(ValueError, match=r"cluster\.workers_per_node"):
        sweep(tiny, samples=[{"cluster.workers_per_node": 2.5}], progress=False)
    with pytest.raises(ValueError, match="samples"):
        sweep(tiny, samples="not a design", progress=False)
