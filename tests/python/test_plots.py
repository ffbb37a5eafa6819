"""gwsim.plots: every plot returns a labelled Figure; heatmap cells, bands, errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import gwsim
from gwsim import compare, plots


@pytest.fixture(scope="module")
def tiny_frames(tmp_path_factory):
    """The tiny scenario run once: (the run result, its DataFrames)."""
    from conftest import TINY_TOML

    path = tmp_path_factory.mktemp("plots") / "tiny.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    result = gwsim.run(path)
    return result, gwsim.to_dataframes(result)


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    """A 2 x 2 grid over the tiny scenario, 2 replications per point."""
    from conftest import TINY_TOML

    path = tmp_path_factory.mktemp("sweep") / "tiny.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    return gwsim.sweep(path, {"cluster.workers_per_node": [1, 2], "traffic.rate_per_s": [20, 50]},
                       replications=2, progress=False)


def _labels(fig: Figure) -> list[str]:
    return [a.get_xlabel() for a in fig.axes] + [a.get_ylabel() for a in fig.axes]


def test_units_from_names():
    assert plots.metric_unit("latency_p99_s") == ("s", 1.0)
    assert plots.metric_unit("latency_p99_s_mean") == ("s", 1.0)
    assert plots.metric_unit("peak_pod_memory_bytes")[0] == "GiB"
    assert plots.metric_unit("traffic.rate_per_s")[0] == "1/s"
    assert plots.metric_unit("error_rate") == ("%", 100.0)
    assert plots.metric_unit("oom_kills")[0] == "count"
    assert plots.metric_label("latency_p99_s") == "latency p99 (s)"
    assert plots.metric_label("peak_pod_memory_bytes") == "peak pod memory (GiB)"
    assert plots.metric_label("cluster.workers_per_node") == "cluster.workers_per_node (workers)"


def test_memory_from_frames_and_result(tiny_frames, tmp_path):
    result, frames = tiny_frames
    fig = plots.plot_memory(frames, limit=2 * 2**30, path=tmp_path / "memory.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "memory.png").stat().st_size > 0
    mem_ax = fig.axes[0]
    assert "GiB" in mem_ax.get_ylabel()
    assert any("(s)" in label for label in _labels(fig))
    legend = [t.get_text() for t in mem_ax.get_legend().get_texts()]
    assert "pod limit 2 GiB" in legend
    assert "admin write" in legend
    assert "rebuild start" in legend and "rebuild end" in legend

    # The raw run result (as gwsim run --out uses it) still works and titles itself.
    fig = plots.plot_memory(result)
    assert "tiny" in fig._suptitle.get_text()


def test_memory_into_axes_marks_oom_and_gc(tiny_frames):
    _, frames = tiny_frames
    events = frames["events"].copy()
    extra = events.iloc[:2].copy()
    extra["kind"] = ["gc_cycle_end", "oom_kill"]
    events = pd.concat([events, extra], ignore_index=True)
    fig = Figure()
    ax = fig.add_subplot()
    out = plots.plot_memory({"timeseries": frames["timeseries"], "events": events}, limit=2**30, ax=ax)
    assert out is fig
    assert "GiB" in ax.get_ylabel() and "(s)" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "GC cycle end" in legend and "OOM kill" in legend


def test_latency_percentiles(tiny_frames):
    _, frames = tiny_frames
    fig = plots.plot_latency(frames)
    ax = fig.axes[0]
    assert "(ms)" in ax.get_ylabel() and "(s)" in ax.get_xlabel()
    labels = [line.get_label() for line in ax.get_lines()]
    assert "p50, worst worker" in labels and "p99, worst worker" in labels
    with pytest.raises(ValueError, match="latency_p75_s"):
        plots.plot_latency(frames, percentiles=("p75",))


def test_heatmap_annotates_every_cell(tiny_sweep):
    fig = plots.plot_sweep_heatmap(tiny_sweep, x="cluster.workers_per_node", y="traffic.rate_per_s",
                                   metric="latency_p99_s")
    ax = fig.axes[0]
    assert len(ax.texts) == 4
    assert all(t.get_text() not in ("", "n/a") for t in ax.texts)
    assert "workers" in ax.get_xlabel() and "1/s" in ax.get_ylabel()
    colour_bar = fig.axes[1]
    assert "(s)" in colour_bar.get_ylabel()

    # A memory metric is shown in GiB.
    fig = plots.plot_sweep_heatmap(tiny_sweep, x="cluster.workers_per_node", y="traffic.rate_per_s",
                                   metric="peak_pod_memory_bytes")
    assert "GiB" in fig.axes[1].get_ylabel()


def test_lines_have_confidence_bands(tiny_sweep):
    fig = plots.plot_sweep_lines(tiny_sweep, x="traffic.rate_per_s", metric="latency_p99_s",
                                 hue="cluster.workers_per_node")
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert "(s)" in ax.get_ylabel() and "1/s" in ax.get_xlabel()

    # A summarize frame works too; one replication draws no bands.
    summary = gwsim.summarize(tiny_sweep, metrics=["latency_p99_s"])
    fig = plots.plot_sweep_lines(summary, x="traffic.rate_per_s", metric="latency_p99_s",
                                 hue="cluster.workers_per_node")
    assert sum(isinstance(c, PolyCollection) for c in fig.axes[0].collections) == 2
    single = tiny_sweep[tiny_sweep["replication"] == 0]
    fig = plots.plot_sweep_lines(single, x="traffic.rate_per_s", metric="latency_p99_s",
                                 hue="cluster.workers_per_node")
    assert not any(isinstance(c, PolyCollection) for c in fig.axes[0].collections)


@pytest.mark.parametrize(
    "call, column",
    [
        (lambda df: plots.plot_sweep_heatmap(df, x="nope.x", y="traffic.rate_per_s", metric="latency_p99_s"),
         "nope.x"),
        (lambda df: plots.plot_sweep_heatmap(df, x="cluster.workers_per_node", y="traffic.rate_per_s",
                                             metric="latency_p42_s"), "latency_p42_s"),
        (lambda df: plots.plot_sweep_lines(df, x="traffic.rate_per_s", metric="latency_p99_s", hue="bad_hue"),
         "bad_hue"),
        (lambda df: plots.plot_sweep_lines(df, x="missing_x", metric="latency_p99_s"), "missing_x"),
    ],
)
def test_bad_columns_are_named(tiny_sweep, call, column):
    with pytest.raises(ValueError, match=column):
        call(tiny_sweep)


def test_compare_chart_is_reachable():
    assert plots.plot_compare is compare.plot_compare
    assert "plot_compare" in plots.__all__
