"""The real gateway (nginx + LuaJIT, testbed/) started, written to, OOM-killed and stopped by the harness."""

from __future__ import annotations

import os
import re
import statistics
import time

import pytest

from conftest import REPO
from gwsim.testbed import Gateway, GatewaySettings, GatewayUnavailable, find_nginx, probe

try:
    find_nginx()
except GatewayUnavailable as e:  # pragma: no cover - setup installs nginx
    pytest.skip(str(e), allow_module_level=True)


def routes(n: int, services: int = 7) -> list[dict]:
    return [
        {"id": i, "paths": [f"/svc{i}/items"], "service": i % services + 1, "created_at": i}
        for i in range(1, n + 1)
    ]


def gone(pids: list[int]) -> bool:
    return not any(os.path.exists(f"/proc/{p}") for p in pids)


def test_routes_requests_and_every_worker_rebuilds_after_each_write():
    settings = GatewaySettings(workers=2, update_frequency_s=0.1)
    with Gateway(settings).start(routes(300)) as gw:
        pids = gw.worker_pids() + [gw.process.pid]
        assert len(gw.worker_pids()) == 2
        assert gw.request("/svc17/items/3") == (200, 17)
        assert gw.request("/svc170/items") == (200, 170)
        assert gw.request("/nowhere") == (404, None)
        # The upstream stub is a server block of the same nginx: a proxied answer names the worker that
        # served the request and the one that served its upstream call, both of the pod.
        status, headers, _ = gw._http(gw.ports.proxy, "GET", "/svc17/items/3", headers={"Host": "gateway.example.org"})
        assert status == 200
        assert {int(headers["x-gwsim-worker-pid"]), int(headers["x-gwsim-stub-pid"])} <= set(gw.worker_pids())

        builds = {w["pid"]: w["builds"] for w in gw.workers()}
        version = gw.write("create_route", body={"id": 1000, "paths": ["/new"], "service": 1, "created_at": 1000})
        workers = gw.wait_until_built(version, timeout_s=10)
        assert all(w["builds"] == builds[w["pid"]] + 1 for w in workers)
        assert all(w["paths"] == 301 for w in workers)
        assert gw.request("/new/x") == (200, 1000)

        version = gw.write("update_route", id=1000, body={"paths": ["/renamed"], "service": 1, "created_at": 1000})
        gw.wait_until_built(version, timeout_s=10)
        assert gw.request("/new/x") == (404, None)
        assert gw.request("/renamed") == (200, 1000)

        version = gw.write("delete_route", id=1000)
        gw.wait_until_built(version, timeout_s=10)
        assert gw.request("/renamed") == (404, None)

        # A write that changes nothing still makes every worker rebuild (Kong 2.x).
        builds = {w["pid"]: w["builds"] for w in gw.workers()}
        version = gw.write("noop")
        workers = gw.wait_until_built(version, timeout_s=10)
        assert all(w["builds"] == builds[w["pid"]] + 1 for w in workers)

        # Deleting a service cascades to its routes.
        version = gw.write("delete_service", id=3)
        gw.wait_until_built(version, timeout_s=10)
        assert gw.status()["routes"] == 300 - len([r for r in routes(300) if r["service"] == 3])
        assert gw.request("/svc2/items")[0] == 404  # route 2 pointed to service 3
        assert all(w["lua_kb"] > 0 for w in gw.workers())
        assert all(rss > 1 << 20 for rss in gw.rss_bytes().values())
    time.sleep(0.1)
    assert gone(pids), "every nginx process stops with the gateway"


def test_strict_mode_rebuilds_on_the_first_request_that_sees_the_change():
    with Gateway(GatewaySettings(workers=1, mode="strict")).start(routes(50)) as gw:
        before = gw.workers()[0]
        version = gw.write("noop")
        time.sleep(0.3)
        idle = gw.workers()[0]
        assert idle["builds"] == before["builds"] and idle["version"] < version
        assert gw.request("/svc3/items") == (200, 3)
        after = gw.workers()[0]
        assert after["builds"] == before["builds"] + 1 and after["version"] == version


def test_bad_settings_and_writes_are_refused_with_the_field_named():
    with pytest.raises(ValueError, match="workers"):
        GatewaySettings(workers=0).validate()
    with pytest.raises(ValueError, match="mode"):
        GatewaySettings(mode="lazy").validate()
    with pytest.raises(ValueError, match="memory_limit_bytes"):
        GatewaySettings(memory_limit_bytes=1024).validate()
    with pytest.raises(ValueError, match=r"routes\[1\]\.id"):
        Gateway(GatewaySettings(workers=1)).start([{"id": 1, "paths": ["/a"]}, {"paths": ["/b"]}])
    with Gateway(GatewaySettings(workers=1)).start(routes(5)) as gw:
        with pytest.raises(ValueError, match="kind"):
            gw.write("drop_table")
        with pytest.raises(ValueError, match="id"):
            gw.write("delete_route", id=0)
        with pytest.raises(RuntimeError, match="no route 99"):
            gw.write("delete_route", id=99)
        with pytest.raises(RuntimeError, match="400 no_route_requests must be an array"):
            gw._admin("POST", "/measure", {"requests": [], "no_route_requests": 3})


@pytest.mark.skipif(not probe()[0], reason=f"no memory cgroup here: {probe()[1]}")
def test_workers_over_the_pod_limit_are_oom_killed_and_respawned():
    big = [
        {"id": i, "paths": [f"/svc{i}/items/with/a/longer/path/{i}"], "hosts": [f"h{i % 50}.example.com"],
         "service": 1, "created_at": i}
        for i in range(1, 20_001)
    ]
    # The quiet gateway's memory, measured under a generous limit.
    roomy = GatewaySettings(workers=2, update_frequency_s=0.05, memory_limit_bytes=4 << 30, config_dict_size_mb=64)
    with Gateway(roomy).start(big, timeout_s=120) as gw:
        time.sleep(0.3)
        quiet = gw.cgroup.usage_bytes()
        assert gw.oom_kills() == 0
    # A pod limit a quarter above it: enough while quiet, not while continuous
    # writes keep an old and a new router (and their garbage) alive at once.
    tight = GatewaySettings(workers=2, update_frequency_s=0.05, memory_limit_bytes=int(quiet * 1.25),
                            config_dict_size_mb=64)
    with Gateway(tight).start(big, timeout_s=120) as gw:
        assert gw.oom_kills() == 0
        first = set(gw.worker_pids())
        deadline = time.monotonic() + 30
        while gw.oom_kills() == 0 and time.monotonic() < deadline:
            try:
                gw.write("noop")
            except OSError:  # the admin request's worker was the one killed
                pass
            time.sleep(0.05)
        assert gw.oom_kills() >= 1, f"no OOM kill within 30 s of continuous writes at {tight.memory_limit_bytes} B"
        deadline = time.monotonic() + 10
        while (len(gw.worker_pids()) < 2 or set(gw.worker_pids()) == first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(gw.worker_pids()) == 2, "the master respawns the killed worker"
        assert set(gw.worker_pids()) != first
        cgroup = gw.cgroup
    assert not cgroup.path.exists(), "the cgroup is removed with the gateway"


def test_a_respawned_worker_builds_at_its_first_timer_tick_as_kong_2x_does():
    import os
    import signal

    with Gateway(GatewaySettings(workers=2, update_frequency_s=1.5)).start(routes(300)) as gw:
        assert all(w["full_builds"] == 1 for w in gw.workers())
        first = set(gw.worker_pids())
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while not (set(gw.worker_pids()) - first) and time.monotonic() < deadline:
            time.sleep(0.02)
        (new,) = set(gw.worker_pids()) - first
        time.sleep(0.4)  # several stats intervals, well before the timer's 1.5 s
        record = {w["pid"]: w for w in gw.workers()}[new]
        assert record["full_builds"] == 0, "a respawned Kong 2.x worker has no router until its timer fires"
        deadline = time.monotonic() + 5
        while {w["pid"]: w for w in gw.workers()}[new]["full_builds"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {w["pid"]: w for w in gw.workers()}[new]["full_builds"] == 1


def test_an_experiment_measures_rebuilds_memory_and_latency(tmp_path):
    from gwsim.store import open as open_store
    from gwsim.testbed.experiment import run_experiment

    config = {
        "gateway": {"workers": 2, "update_frequency_s": 0.2},
        "routes": {"count": 1000},
        "load": {"rate_per_s": 100, "duration_s": 3},
        "writes": {"kind": "update_route", "start_s": 1, "count": 2, "interval_s": 0.5},
        "sample": {"interval_s": 0.05},
    }
    result = run_experiment(config)
    s = result["summary"]
    assert s["requests"] == 300
    assert s["completed"] == 300 and s["errors"] == 0
    assert 0 < s["not_found"] < 60  # 5% of the synthetic requests aim at no route
    # The workers time every select: one that finds no route searches the whole router, dearer than the
    # average one that finds a route (most of which hit the match cache).
    assert 0 < s["matched_select_cpu_mean_s"] < s["not_found_select_cpu_mean_s"] < 0.1
    assert s["admin_writes"] == 2
    assert s["rebuilds"] >= 2  # every worker rebuilt at least once after the writes
    assert 0 < s["rebuild_mean_s"] < 5
    # The build's own CPU leaves out the requests served while it was yielded.
    assert 0 < s["rebuild_own_cpu_mean_s"] <= s["rebuild_cpu_mean_s"] + 1e-3
    assert 0 < s["latency_p50_s"] <= s["latency_p99_s"] <= s["latency_max_s"] < 10
    assert s["peak_worker_heap_bytes"] > 1 << 20
    ts = result["timeseries"]
    assert len(ts["time_s"]) > 20 and set(ts["worker"]) == {0, 1}
    assert max(ts["version"]) >= 3  # the initial set and both writes
    # Every request: when it was due (every 10 ms), its latency and status, as the summary counts them.
    rq = result["requests"]
    assert len(rq["time_s"]) == len(rq["latency_s"]) == len(rq["status"]) == 300
    assert rq["time_s"][:3] == pytest.approx([0.0, 0.01, 0.02])
    assert sum(1 for x in rq["status"] if x == 404) == s["not_found"]
    assert max(rq["latency_s"]) == s["latency_max_s"]
    with open_store(tmp_path / "runs.sqlite") as store:
        first = store.put_measurement(result["config"], result)
        second = store.put_measurement(result["config"], result)
        assert first != second, "every measurement is kept"
        assert len(store.timeseries(first)) == len(ts["time_s"])


def test_experiment_config_errors_name_the_key(tmp_path):
    from gwsim.cli import main
    from gwsim.testbed.experiment import load_config

    with pytest.raises(ValueError, match=r"load\.rate_per_s"):
        load_config({"load": {"rate_per_s": -1}})
    with pytest.raises(ValueError, match=r"unknown key writes\.when"):
        load_config({"writes": {"when": 3}})
    with pytest.raises(ValueError, match=r"unknown table \[pods\]"):
        load_config({"pods": {}})
    with pytest.raises(ValueError, match=r"gateway\.workers"):
        load_config({"gateway": {"workers": 0}})
    with pytest.raises(ValueError, match=r"routes: .*regex_fraction"):
        from gwsim.testbed.experiment import _routes_and_requests
        _routes_and_requests(load_config({"routes": {"regex_fraction": 2.0}}))
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway]\nmode = 'lazy'\n")
    assert main(["testbed", "run", str(bad)]) == 2


def test_calibration_fits_the_simulators_parameters_and_the_scenario_runs(tmp_path):
    import gwsim
    from gwsim.testbed.calibrate import (CHANGES, CPU_FIGURES, PARAMETERS, calibrate, cpu_spread, read_calibration,
                                         scenario_for, write_calibration)
    from gwsim.testbed.experiment import load_config
    from gwsim.testbed.validate import lone_rebuilds

    cal = calibrate(counts=(500, 2000), rounds=3)
    p = cal["parameters"]
    # The CPU figures are the medians of samples taken in rounds over both route counts; the samples are kept.
    for pt in cal["points"]:
        assert set(pt["cpu_samples"]) == set(CPU_FIGURES)
        for name, samples in pt["cpu_samples"].items():
            assert len(samples) == 3 and pt[name] == statistics.median(samples)
        mid, lo, hi = cpu_spread(pt)
        assert 0 < lo <= mid == pt["build_cpu_s"] <= hi
    # In-place changes one write at a time, as the incremental router's worker applies them.
    assert all(len(pt["change_cpu_samples"]) == CHANGES and pt["change_cpu_s"] > 0 for pt in cal["points"])
    change_ns = cal["fits"]["incremental_change_ns"]
    assert change_ns["a"] + change_ns["b"] * 2000 > 0
    # Building more routes takes more CPU, sampled over the same stretch of time.
    assert cal["points"][1]["build_cpu_s"] > cal["points"][0]["build_cpu_s"]
    assert set(PARAMETERS) <= set(p)
    assert 500 < p["memory.router_bytes_per_route"] < 100_000  # a Lua route with its per-path objects
    assert cal["fits"]["router_bytes"]["r2"] > 0.9
    # The incremental router keeps indexes for changes in place on top of the routes.
    assert p["memory.incremental_router_bytes_per_route"] > 0.5 * p["memory.router_bytes_per_route"]
    assert 0 < p["traffic.match_hit_cpu_s"] < 1e-3
    # Requests aimed at no route, timed apart: none of them found a route, and each searched the whole router,
    # dearer than a miss that finds one; the selects' mean over the stream lies between the two.
    for pt in cal["points"]:
        assert pt["no_route_requests_found"] == 0 and 0 < pt["no_route_share"] < 0.2
        assert pt["no_route_cpu_s"] > pt["miss_cpu_s"] > 0
    big = cal["points"][-1]
    assert big["miss_cpu_s"] < big["select_cpu_s"] < big["no_route_cpu_s"]
    # The simulator's match costs are the selects as the worker timed them during the quiet load: every key once
    # (all misses), those aimed at no route spread among the rest; the load's CPU per request holds them.
    for pt in cal["points"]:
        assert 150 < pt["load_selects"] <= 250
        assert 0 < pt["load_miss_cpu_s"] < pt["load_select_cpu_s"] < pt["load_no_route_cpu_s"]
        assert pt["load_select_cpu_s"] < pt["request_cpu_s"]
    assert p["traffic.match_miss_cpu_s"]["values"] == [pt["load_miss_cpu_s"] for pt in cal["points"]]
    # The upstream stub runs on the gateway's own worker: the same load sent to its port straight costs the
    # worker CPU per request (tens of microseconds, less than the proxied request), left out of the plugins'.
    for pt in cal["points"]:
        assert 0 < pt["upstream_cpu_s"] < pt["request_cpu_s"] and 0.5 < pt["proxied_share"] < 1
    assert p["traffic.upstream_cpu_s"] == statistics.median(pt["upstream_cpu_s"] for pt in cal["points"])
    assert p["traffic.match_no_route_cpu_s"]["values"] == [pt["load_no_route_cpu_s"] for pt in cal["points"]]
    # nginx and LuaJIT outside the heap: megabytes, not the hundreds the
    # measurements' own routers leave resident.
    assert 1 << 20 < p["memory.non_heap_bytes"] < 64 << 20
    assert p["memory.release_delay_s"] in (0.0, 3600.0)
    # The decoded routes a build holds until it ends: part of what reading the pages allocated (the page
    # strings die at once), and of the build's garbage.
    assert all(0 < pt["held_bytes"] < pt["read_alloc_bytes"] for pt in cal["points"])
    assert 0 < p["memory.build_held_per_route_bytes"] <= p["memory.build_garbage_per_route_bytes"]
    # The testbed yields with a 1 ms sleep: each yield costs a build about that much wall time.
    assert 0.0005 < p["kong.yield_delay_s"] < 0.02
    # ngx.re's cache past its capacity: every find of the later passes compiled its pattern (PCRE and JIT:
    # microseconds, not the ~0.1 us of a cached find), allocated its cdata and left native code behind.
    assert cal["regex"]["patterns"] > 1024
    # Memory touched for the first time: three fresh gateways, each touching fewer new pages the second time
    # (the allocator kept most of what it freed), at a cost of the order of a nanosecond per byte.
    ft = cal["first_touch"]
    assert len(ft["runs"]) == 3 and p["memory.first_touch_ns_per_byte"] == ft["ns_per_byte"]
    assert all(r["resident_first_bytes"] > r["resident_again_bytes"] for r in ft["runs"])
    assert 0.05 < p["memory.first_touch_ns_per_byte"] < 20
    # The quick calibration leaves out how compiles slow as their code piles up (calibrate --full measures it).
    assert cal["not_measured"] == ["traffic.regex_compile_ns_per_native_mib"]
    assert p["traffic.regex_compile_ns_per_native_mib"] == 0.0
    # Builds side by side on two gateways against builds alone: both sets of samples kept, a contention
    # in the simulator's range (a build beside another takes at most a few times its CPU).
    c = cal["contention"]
    assert len(c["lone_cpu_s"]) == len(c["paired_cpu_s"]) == 2 * c["rounds"] == 2 * len(c["ratios"])
    assert 0 <= p["cluster.build_contention"] == c["contention"] < 3
    assert 5e-6 < p["traffic.regex_compile_cpu_s"] < 1e-3
    assert 16 < p["memory.regex_object_bytes"] < 4096
    assert 200 < p["memory.regex_native_bytes"] < 64 << 10
    # Whole rebuilds on the lone worker, and the simulator's prediction of them.
    assert all(pt["rebuild_cpu_s"] > 0 and pt["rebuild_wall_s"] >= pt["rebuild_cpu_s"] * 0.5 for pt in cal["points"])
    lone = lone_rebuilds(cal)
    assert [r["routes"] for r in lone] == [500, 2000]
    assert all(0 < r["rebuild_cpu_s"]["predicted"] < 10 * r["rebuild_cpu_s"]["measured"] for r in lone)
    write_calibration(cal, tmp_path / "cal.json")
    cal = read_calibration(tmp_path / "cal.json")
    config = load_config({"routes": {"count": 2000},
                          "gateway": {"workers": 2, "memory_limit_mb": 256, "update_frequency_s": 0.5},
                          "load": {"rate_per_s": 50, "duration_s": 5}, "writes": {"count": 2, "start_s": 1}})
    scenario = scenario_for(config, cal)
    assert scenario["cost"]["build_ns_per_path"] + scenario["cost"]["build_ns_per_path_log"] > 0
    # The experiment's route set: its distinct regex paths, tried through a cache of 1,024.
    assert 0 < scenario["routes"]["regex_paths"] < 1024 and scenario["kong"]["regex_cache_entries"] == 1024
    assert scenario["traffic"]["regex_compile_cpu_s"] == p["traffic.regex_compile_cpu_s"]
    assert scenario["traffic"]["upstream_on_workers"] is True
    assert scenario["traffic"]["upstream_cpu_s"] == p["traffic.upstream_cpu_s"]
    # About 5% of the synthetic requests are aimed at no route, timed at their own cost.
    assert 0.02 < scenario["traffic"]["no_route_fraction"] < 0.1
    assert scenario["traffic"]["match_no_route_cpu_s"] > scenario["traffic"]["match_miss_cpu_s"]
    summary = gwsim.run(scenario)["summary"]
    assert summary["rebuilds"] >= 2 * 2
    assert 0 < summary["not_found"] < 0.2 * summary["requests"]
    assert summary["peak_worker_heap_bytes"] > p["memory.router_bytes_per_route"] * 2000
    with pytest.raises(ValueError, match="not a testbed calibration"):
        (tmp_path / "other.json").write_text("{}")
        read_calibration(tmp_path / "other.json")


@pytest.mark.skipif(not probe()[0], reason=f"no memory cgroup here: {probe()[1]}")
def test_quick_validation_the_gateway_ooms_where_the_simulator_says_and_only_there(tmp_path):
    """The quick mode of gwsim testbed validate: a quick calibration, then the two held-out
    experiments (a roomy pod and a tight one under continuous writes) through both."""
    from gwsim.testbed.calibrate import MATRIX_QUICK, calibrate
    from gwsim.testbed.validate import HELD_OUT_QUICK, lone_rebuilds, validate, write_report

    cal = calibrate(MATRIX_QUICK)
    rows = validate(cal, HELD_OUT_QUICK)
    verdicts = {row["name"]: (row["oom_kills"]["predicted"] > 0, row["oom_kills"]["measured"] > 0) for row in rows}
    assert verdicts == {"roomy pod, continuous writes": (False, False), "tight pod, continuous writes": (True, True)}
    report = write_report(rows, tmp_path, lone_rebuilds(cal), calibrated_at=cal["measured_at"])
    text = report.read_text()
    assert "Lone rebuilds" in text and "| 16,000 |" in text
    # Minutes old: the report says so (in hours).
    age = re.search(r"The calibration was measured at [0-9-]+ [0-9:]+ UTC, ([0-9.]+) h before this report", text)
    assert age and float(age.group(1)) < 1
    assert "same verdict" in text and (tmp_path / "memory-1.png").exists()
    # The slowest request of each second, predicted and measured, plotted for every experiment.
    assert (tmp_path / "latency-1.png").exists() and "(latency-1.png)" in text
    for row in rows:
        for side in ("predicted", "measured"):
            seconds, worst = row["latency_traces"][side]
            assert len(seconds) > 10 and all(0 < w < 30 for w in worst)
    # One table: its rows follow each other without blank lines.
    table = text.split("| --- |", 1)[1].split("\n\n", 1)[0]
    assert table.count("continuous writes") == 2
    assert "## Where the model misses, and why" in text
    for row in rows:
        # A select that finds no route: the calibrated cost against the workers' own timing, the same order.
        nr = row["diagnostics"]["no_route_select_cpu_s"]
        assert 0.2 < nr["predicted"] / nr["measured"] < 5
        # A worker's heap, not the pod's: the steady heap of a worker of
        # 8,000 routes is tens of MiB on both sides.
        assert row["peak_heap_bytes"]["predicted"] < 2 * row["peak_heap_bytes"]["measured"]


def test_build_costs_are_read_as_measured_at_the_experiments_size():
    from gwsim.testbed.calibrate import _at

    assert _at(3.5, 1000) == 3.5
    assert _at({"a": 1.0, "b": 0.5}, 10) == 6.0  # fitted against the routes
    # Measured per route at 1,000, 5,000 and 20,000 routes: interpolated between, held outside.
    measured = {"routes": [1000.0, 5000.0, 20000.0], "values": [6.0, 7.0, 10.0]}
    assert _at(measured, 1000) == 6.0 and _at(measured, 500) == 6.0 and _at(measured, 50000) == 10.0
    assert _at(measured, 3000) == pytest.approx(6.5)
    assert _at(measured, 12500) == pytest.approx(8.5)


def test_the_validation_compares_worker_rows_and_leaves_the_harness_share_to_the_pod():
    from gwsim.testbed.calibrate import scenario_for
    from gwsim.testbed.experiment import load_config
    from gwsim.testbed.validate import worker_series

    series = worker_series({"time_s": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0], "worker": [0, 1, -1, 0, 1, -1],
                            "heap_bytes": [1.0, 2.0, 3.0, 0.0, 2.0, 2.0]})  # worker 0 killed at 1 s
    assert series == {"time_s": [0.0, 0.0, 1.0], "heap_bytes": [1.0, 2.0, 2.0]}
    cal = {"parameters": {k: 1.0 for k in ("cluster.master_memory_bytes", "store_bytes_per_route",
                                            "paths_per_route", "traffic.match_miss_cpu_s",
                                            "traffic.match_hit_cpu_s", "traffic.request_garbage_bytes",
                                            "traffic.plugin_cpu_s", "traffic.upstream_latency_s",
                                            "memory.gc_mark_ns_per_byte", "memory.gc_sweep_ns_per_byte",
                                            "memory.baseline_heap_bytes", "memory.router_bytes_per_route",
                                            "memory.build_garbage_per_route_bytes", "memory.lru_slot_bytes",
                                            "memory.non_heap_bytes", "cost.build_ns_per_path",
                                            "cost.build_ns_per_path_log", "cost.incremental_ns_per_change")}}
    cal["parameters"]["cluster.cpu_cores"] = 2.0
    config = load_config({"routes": {"count": 100}})
    assert scenario_for(config, cal)["cluster"]["cpu_cores"] == 2.0
    assert scenario_for(config, cal, harness_cores=0.25)["cluster"]["cpu_cores"] == 1.75
    assert scenario_for(config, cal)["cluster"]["start_heap"] == "just_built"
    # The stub's legs run on the workers; a calibration from before they were timed apart charges them nothing.
    assert scenario_for(config, cal)["traffic"]["upstream_on_workers"] is True
    assert scenario_for(config, cal)["traffic"]["upstream_cpu_s"] == 0.0
    cal["parameters"]["traffic.upstream_cpu_s"] = 3e-5
    assert scenario_for(config, cal)["traffic"]["upstream_cpu_s"] == 3e-5
    with pytest.raises(ValueError, match="harness_cores"):
        scenario_for(config, cal, harness_cores=-1)


def test_the_incremental_router_changes_routes_in_place():
    settings = GatewaySettings(workers=2, update_frequency_s=0.1, router="incremental")
    with Gateway(settings).start(routes(300)) as gw:
        assert all(w["full_builds"] == 1 for w in gw.workers())
        version = gw.write("create_route", body={"id": 1000, "paths": ["/new"], "service": 1, "created_at": 1000})
        gw.wait_until_built(version, timeout_s=10)
        assert gw.request("/new/x") == (200, 1000)
        version = gw.write("update_route", id=1000, body={"paths": ["/renamed"], "service": 1, "created_at": 1000})
        gw.wait_until_built(version, timeout_s=10)
        assert gw.request("/new/x") == (404, None) and gw.request("/renamed") == (200, 1000)
        gw.write("delete_route", id=1000)
        version = gw.write("delete_service", id=3)  # two versions behind: both applied at once
        workers = gw.wait_until_built(version, timeout_s=10)
        assert gw.request("/renamed") == (404, None)
        assert gw.request("/svc2/items")[0] == 404  # route 2 pointed to service 3
        assert gw.request("/svc17/items/3") == (200, 17)
        # Every version adopted in place: no full build since the first.
        assert all(w["full_builds"] == 1 and w["paths"] == 300 - 43 for w in workers)
        # A service update changes all its routes: a full build.
        version = gw.write("put_service", id=1, body={"name": "one"})
        workers = gw.wait_until_built(version, timeout_s=10)
        assert all(w["full_builds"] == 2 for w in workers)
        assert gw.request("/svc17/items/3") == (200, 17)
    with pytest.raises(ValueError, match="router"):
        GatewaySettings(router="radix").validate()


def test_collector_costs_come_from_the_stepped_cycle_and_fall_back_on_full_collections():
    from gwsim.testbed.calibrate import gc_costs, mean_object_bytes

    # m = 1 ns per byte marked, s = 0.2 per byte swept, f = 0.75 more per byte freed.
    # Stepped cycle: 100 MB at its start, 40 MB freed; 60 ms marking 60 MB live, 20 + 30 ms sweeping 100 MB.
    # Full collections of W = 100 MB live (T1 = 120 ms) and of the same with R = 40 MB dead
    # (T2 = 60 + 20 + 30 = 110 ms).
    point = {"gc_phase_heap_bytes": 100e6, "gc_phase_freed_bytes": 40e6, "gc_phase_mark_cpu_s": 0.060,
             "gc_phase_sweep_cpu_s": 0.050, "heap_bytes": 60e6, "router_bytes": 40e6,
             "collect_live_cpu_s": 0.120, "collect_garbage_cpu_s": 0.110}
    assert gc_costs(point) == pytest.approx((1.0, 0.2, 0.75))
    # Timer noise never makes a cost negative.
    assert min(gc_costs({**point, "collect_garbage_cpu_s": 0.0})) == 0.0
    # 2,500 sweep steps at stepmul 200 visit 500,000 objects of 100 MB: 200 B each.
    assert mean_object_bytes({**point, "gc_phase_sweep_steps": 2500, "gc_stepmul": 200}) == pytest.approx(200.0)
    assert mean_object_bytes({}) == 64.0
    # Without it: T1 = (m + s) W and T2 = m A + s W with m = 1, s = 0.5, W = 100 MB, A = 60 MB; no freeing term.
    old = {k: point[k] for k in ("heap_bytes", "router_bytes")}
    old["collect_live_cpu_s"] = 1.5 * 100e6 * 1e-9
    old["collect_garbage_cpu_s"] = (1.0 * 60e6 + 0.5 * 100e6) * 1e-9
    assert gc_costs(old) == pytest.approx((1.0, 0.5, 0.0))


def test_repeated_runs_are_judged_on_their_medians():
    from gwsim.testbed.validate import summarize_repeats

    def row(pred_p99, meas_p99, meas_kills):
        return {"name": "x", "steady_heap_bytes": {"predicted": 100.0, "measured": 100.0},
                "peak_heap_bytes": {"predicted": 200.0, "measured": 190.0},
                "rebuild_mean_s": {"predicted": 0.2, "measured": 0.3},
                "latency_p99_s": {"predicted": pred_p99, "measured": meas_p99},
                "oom_kills": {"predicted": 1, "measured": meas_kills}, "traces": {}, "diagnostics": {}}

    one = summarize_repeats([row(0.05, 0.1, 0)])
    assert one["repeats"] == 1 and "range" not in one
    three = summarize_repeats([row(0.05, 0.05, 0), row(0.06, 0.2, 2), row(0.07, 0.07, 1)])
    assert three["repeats"] == 3
    assert three["latency_p99_s"] == {"predicted": 0.06, "measured": 0.07}
    assert three["range"]["latency_p99_s"]["measured"] == {"low": 0.05, "high": 0.2}
    assert three["errors"]["latency_p99"] == pytest.approx(-1 / 7)
    assert three["met"]["latency_p99"] and not three["met"]["rebuild_mean"]
    assert three["met"]["oom_verdict"]  # median kills 1 on both sides
    with pytest.raises(ValueError):
        summarize_repeats([])


def test_validate_refuses_a_repeat_count_out_of_range(capsys):
    from gwsim.cli import main

    assert main(["testbed", "validate", "--repeat", "0", "--calibration", "testbed/calibration.json"]) == 2
    assert "--repeat must be in [1, 10]" in capsys.readouterr().err


def test_calibrate_refuses_a_round_count_out_of_range_before_measuring(capsys):
    from gwsim.cli import main

    assert main(["testbed", "calibrate", "--rounds", "0", "--out", os.devnull]) == 2
    assert "rounds must be in [1, 20], got 0" in capsys.readouterr().err


def test_regex_paths_follow_kongs_rule_and_refits_without_them_say_so():
    from gwsim.testbed.calibrate import fit_points, read_calibration, regex_paths

    assert regex_paths([{"paths": ["/a", r"/b/\d+", "/c-d_e~f%20"]}, {"paths": [r"/b/\d+", "/x$"]}, {}]) == \
        [r"/b/\d+", "/x$"]
    saved = read_calibration(REPO / "testbed" / "calibration.json")
    refit = fit_points(saved["points"], saved["seed"])
    assert refit["not_measured"] == ["traffic.regex_compile_cpu_s", "memory.regex_object_bytes",
                                     "memory.regex_native_bytes", "cluster.build_contention",
                                     "traffic.regex_compile_ns_per_native_mib", "memory.first_touch_ns_per_byte"]
    assert refit["parameters"]["traffic.regex_compile_cpu_s"] == 30e-6
    assert refit["parameters"]["cluster.build_contention"] == 0.0
    assert refit["parameters"]["traffic.regex_compile_ns_per_native_mib"] == 0.0
    # Refitted with the saved measurements, nothing is missing and the contention is the one measured.
    again = fit_points(saved["points"], saved["seed"], regex=saved["regex"], contention=saved["contention"],
                       regex_growth=saved["regex_growth"], first_touch=saved["first_touch"])
    assert "not_measured" not in again
    assert again["parameters"]["memory.first_touch_ns_per_byte"] == saved["first_touch"]["ns_per_byte"] > 0
    assert again["parameters"]["cluster.build_contention"] == saved["parameters"]["cluster.build_contention"]
    # (The slope is what the shipped calibration measured: 0 when the finds did not slow that time.)
    assert again["parameters"]["traffic.regex_compile_ns_per_native_mib"] == \
        saved["regex_growth"]["ns_per_native_mib"] >= 0
    c = saved["contention"]
    # Each round's ratio pairs its own lone and paired builds.
    assert c["ratios"] == [sum(c["paired_cpu_s"][2 * r:2 * r + 2]) / sum(c["lone_cpu_s"][2 * r:2 * r + 2])
                           for r in range(c["rounds"])]
    assert c["contention"] == max(0.0, statistics.median(c["ratios"]) - 1)


def test_regex_growth_refuses_bad_arguments_before_starting_a_gateway():
    from gwsim.testbed.calibrate import measure_regex_growth

    with pytest.raises(ValueError, match=r"passes must be an integer in \[5, 500\]"):
        measure_regex_growth(passes=4)
    with pytest.raises(ValueError, match=r"passes must be an integer in \[5, 500\]"):
        measure_regex_growth(passes=5.0)


def test_first_touch_refuses_bad_arguments_before_starting_a_gateway():
    from gwsim.testbed.calibrate import measure_first_touch

    with pytest.raises(ValueError, match=r"gateways must be an integer in \[1, 9\]"):
        measure_first_touch(gateways=0)
    with pytest.raises(ValueError, match=r"mib must be an integer in \[8, 1024\]"):
        measure_first_touch(mib=4)


def test_regex_growth_times_every_pass_as_evicted_patterns_pile_up():
    from gwsim.testbed.calibrate import measure_regex_growth

    g = measure_regex_growth(passes=5)
    assert g["patterns"] > 1024 and len(g["passes"]) == 5
    assert all(0 < p["cpu_s"] < 0.01 for p in g["passes"])
    # Every find compiles and, the collector stopped, its code stays: the code held grows pass by pass
    # (each pass about 2 KiB a pattern) while the heap grows by its cdata only.
    mib = [p["native_mib"] for p in g["passes"]]
    assert mib[0] == 0 and all(b > a + 1 for a, b in zip(mib, mib[1:]))
    assert g["native_mib_last"] == mib[-1]
    heap_gain = g["passes"][-1]["heap_bytes"] - g["passes"][0]["heap_bytes"]
    assert 0 < heap_gain < 2**20 * mib[-1]
    assert g["cpu_s_first"] == g["passes"][0]["cpu_s"] and g["cpu_s_last"] == g["passes"][-1]["cpu_s"]
    assert g["ns_per_native_mib"] >= 0 and g["r2"] <= 1


def test_a_calibration_written_before_a_parameter_existed_reads_it_as_not_measured(tmp_path):
    import json

    from gwsim.testbed.calibrate import read_calibration

    saved = json.loads((REPO / "testbed" / "calibration.json").read_text())
    del saved["parameters"]["traffic.regex_compile_ns_per_native_mib"]
    del saved["parameters"]["traffic.match_no_route_cpu_s"]
    del saved["parameters"]["memory.first_touch_ns_per_byte"]
    saved.pop("not_measured", None)
    (tmp_path / "old.json").write_text(json.dumps(saved))
    old = read_calibration(tmp_path / "old.json")
    assert old["parameters"]["traffic.regex_compile_ns_per_native_mib"] == 0.0
    # Before requests aimed at no route were timed apart, every miss was charged the mean one.
    p = old["parameters"]
    assert p["traffic.match_no_route_cpu_s"] == p["traffic.match_miss_cpu_s"]
    assert old["parameters"]["memory.first_touch_ns_per_byte"] == 0.0
    assert old["not_measured"] == ["traffic.regex_compile_ns_per_native_mib", "memory.first_touch_ns_per_byte",
                                   "traffic.match_no_route_cpu_s"]
    # Any other parameter missing: not a calibration.
    del saved["parameters"]["traffic.regex_compile_cpu_s"]
    (tmp_path / "broken.json").write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="missing parameters: traffic.regex_compile_cpu_s"):
        read_calibration(tmp_path / "broken.json")


def test_the_slowest_request_of_each_second_on_both_sides():
    from gwsim.testbed.validate import simulated_slowest_per_second, slowest_per_second

    # Measured: by the second each answer ended in; unanswered requests are left out.
    t, lat = slowest_per_second([0.1, 0.5, 0.95, 1.2, 2.0], [0.05, 0.2, 0.1, float("nan"), 0.3])
    assert t == [0.0, 1.0, 2.0] and lat == [0.2, 0.1, 0.3]  # 0.95 s + 0.1 s ends in second 1
    # Simulated: a worker's sample at t covers the interval ending at t; pod rows and empty samples are left out.
    series = {"time_s": [0.5, 1.0, 1.0, 1.5, 2.0], "worker": [0, 1, -1, 0, 0],
              "latency_p99_s": [0.01, 0.04, 9.0, 0.02, 0.0]}
    assert simulated_slowest_per_second(series) == ([0.0, 1.0], [0.04, 0.02])
