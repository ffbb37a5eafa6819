"""Scaling of gwsim sweeps: local processes from 1 to 2 cores, and Dask's overhead.

Two measurements, each a ratio of wall times taken in the same invocation:

1. **Core scaling.** A sweep of ``--runs`` (default 200) one-simulated-hour
   runs of a small scenario (``scenarios/quick-look.toml``, ``run.duration_s``
   set to one hour), once with ``workers=1`` (sequential, in this process) and
   once with ``workers=2`` (a local process pool). Reported as
   ``speedup = wall(1 worker) / wall(2 workers)``; the target is >= 1.8.

2. **Dask overhead.** A sweep of ``2 x cores x 4`` runs of about one second of
   wall time each, on the local process pool with 2 workers and on a
   ``dask.distributed.LocalCluster(n_workers=2, threads_per_worker=1,
   processes=True)``. Reported as ``overhead = wall(Dask) / wall(local pool) - 1``;
   the target is <= 0.10. Starting the cluster is timed separately and not
   included (a cluster is started once and reused by many sweeps), while the
   local pool's process start-up is included in its time (it starts a new pool
   for every sweep), so the comparison does not favour the pool.

The machine's load average is printed before and after; a load above 0.5 per
core means other work shared the cores and the ratios understate scaling.

Usage::

    .venv/bin/python bench/python/sweep_scaling.py [--json FILE] [--runs 200]
        [--dask-runs N] [--dask-run-hours H] [--repeats 1] [--wait-for-idle SECONDS]
        [--skip-scaling] [--skip-dask]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Optional

__all__ = ["main", "measure_dask_overhead", "measure_scaling"]

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
SCENARIO = REPO / "scenarios" / "quick-look.toml"

#: Load average (1 minute) per core above which the figures are flagged.
BUSY_LOAD_PER_CORE = 0.5


def _import_gwsim():
    """Import gwsim from the checkout; make the path visible to spawned workers too."""
    if str(PYTHON_DIR) not in sys.path:
        sys.path.insert(0, str(PYTHON_DIR))
    # Worker processes (the spawn-based pool and Dask's nannies) start fresh
    # interpreters: they find gwsim through PYTHONPATH.
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(PYTHON_DIR) not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(PYTHON_DIR), *parts])
    import gwsim

    return gwsim


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"load_1min": one, "load_5min": five, "load_15min": fifteen}


def _report_load(when: str, cores: int) -> dict[str, float]:
    load = _load()
    per_core = load["load_1min"] / cores
    print(f"load average {when}: {load['load_1min']:.2f} {load['load_5min']:.2f} {load['load_15min']:.2f} "
          f"(1/5/15 min; {per_core:.2f} per core over {cores} cores)")
    if per_core > BUSY_LOAD_PER_CORE:
        print(f"WARNING: load {per_core:.2f} per core > {BUSY_LOAD_PER_CORE}: other work is using the cores, "
              "the ratios below understate scaling", file=sys.stderr)
    load["per_core"] = per_core
    return load


def _wait_for_idle(cores: int, timeout_s: float) -> float:
    """Poll the load average until it is <= BUSY_LOAD_PER_CORE per core or `timeout_s` passes; seconds waited."""
    start = time.monotonic()
    while timeout_s > 0 and os.getloadavg()[0] / cores > BUSY_LOAD_PER_CORE:
        if time.monotonic() - start >= timeout_s:
            print(f"still busy after {timeout_s:g} s of waiting; measuring anyway", file=sys.stderr)
            break
        time.sleep(5.0)
    return time.monotonic() - start


def _timed_sweep(gwsim, scenario: dict[str, Any], runs: int, **kwargs) -> tuple[float, float]:
    """(wall seconds of the sweep, sum of the runs' own wall_time_s)."""
    start = time.perf_counter()
    df = gwsim.sweep(scenario, {"run.duration_s": [scenario["run"]["duration_s"]]}, replications=runs,
                     seed=1, progress=False, **kwargs)
    wall = time.perf_counter() - start
    assert len(df) == runs
    return wall, float(df["wall_time_s"].sum())


def measure_scaling(gwsim, runs: int = 200, repeats: int = 1) -> dict[str, Any]:
    """Wall time of `runs` one-hour runs with 1 and 2 local workers; best of `repeats`.

    The two timings alternate within each repeat, so slow drift in the
    machine's load affects both alike. Besides the sweep wall times the mean
    of the runs' own ``wall_time_s`` is kept for each: when it grows with 2
    workers, the two processes did not have a core each.
    """
    scenario = gwsim.apply_overrides(gwsim.load_scenario(SCENARIO), ["run.duration_s=3600s"])
    gwsim.run(scenario, overrides=["run.duration_s=600s"])  # warm the import and the allocator
    one, two, run1, run2 = [], [], [], []
    for _ in range(repeats):
        wall, work = _timed_sweep(gwsim, scenario, runs, workers=1)
        one.append(wall)
        run1.append(work / runs)
        wall, work = _timed_sweep(gwsim, scenario, runs, workers=2)
        two.append(wall)
        run2.append(work / runs)
    best1, best2 = min(one), min(two)
    return {
        "scenario": str(SCENARIO.relative_to(REPO)),
        "simulated_s_per_run": 3600.0,
        "runs": runs,
        "repeats": repeats,
        "wall_1_worker_s": best1,
        "wall_2_workers_s": best2,
        "all_wall_1_worker_s": one,
        "all_wall_2_workers_s": two,
        "mean_run_wall_s": run1[one.index(best1)],
        "mean_run_wall_2_workers_s": run2[two.index(best2)],
        "speedup": best1 / best2,
        "target_speedup": 1.8,
    }


def _calibrate_duration(gwsim, base: dict[str, Any], target_wall_s: float) -> float:
    """Simulated seconds that take about `target_wall_s` of wall time per run."""
    probe_s = 7200.0
    start = time.perf_counter()
    gwsim.run(base, overrides=[f"run.duration_s={probe_s:g}s"])
    per_sim_s = (time.perf_counter() - start) / probe_s
    return float(round(target_wall_s / per_sim_s / 600.0) * 600.0) or 600.0


def measure_dask_overhead(gwsim, runs: int, hours: Optional[float] = None, repeats: int = 1,
                          workers: int = 2) -> dict[str, Any]:
    """Wall time of `runs` ~1 s runs on the local pool and on a Dask LocalCluster (same worker count)."""
    from dask.distributed import Client, LocalCluster

    base = gwsim.load_scenario(SCENARIO)
    duration_s = hours * 3600.0 if hours else _calibrate_duration(gwsim, base, 1.0)
    scenario = gwsim.apply_overrides(base, [f"run.duration_s={duration_s:g}s"])

    local, dask, run_local, run_dask = [], [], [], []
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        # Import gwsim in every worker before timing (a long-lived cluster has it loaded).
        client.run(lambda: __import__("gwsim").__version__)
        startup = time.perf_counter() - start
        for _ in range(repeats):
            wall, work = _timed_sweep(gwsim, scenario, runs, workers=workers)
            local.append(wall)
            run_local.append(work / runs)
            wall, work = _timed_sweep(gwsim, scenario, runs, client=client)
            dask.append(wall)
            run_dask.append(work / runs)
    finally:
        client.close()
        cluster.close()
    best_local, best_dask = min(local), min(dask)
    return {
        "scenario": str(SCENARIO.relative_to(REPO)),
        "simulated_s_per_run": duration_s,
        "runs": runs,
        "workers": workers,
        "repeats": repeats,
        "mean_run_wall_s": run_local[local.index(best_local)],
        "mean_run_wall_dask_s": run_dask[dask.index(best_dask)],
        "wall_local_pool_s": best_local,
        "wall_dask_s": best_dask,
        "all_wall_local_pool_s": local,
        "all_wall_dask_s": dask,
        "dask_cluster_startup_s": startup,
        "dask_overhead": best_dask / best_local - 1.0,
        # Wall time over the ideal (runs x mean run time / workers): the cost of
        # dispatching alone, separated from runs that themselves ran slower.
        "local_pool_wall_over_ideal": best_local / (runs * run_local[local.index(best_local)] / workers),
        "dask_wall_over_ideal": best_dask / (runs * run_dask[dask.index(best_dask)] / workers),
        "target_dask_overhead": 0.10,
    }


def _table(results: dict[str, Any]) -> str:
    """A: 1 worker / the local pool; B: 2 workers / Dask. s/run: mean of the runs' own wall_time_s."""
    rows = [("measurement", "runs", "wall A (s)", "s/run A", "wall B (s)", "s/run B", "ratio", "target")]
    s = results.get("scaling")
    if s:
        rows.append(("A 1 worker, B 2 workers; 1 h runs", f"{s['runs']}",
                     f"{s['wall_1_worker_s']:.2f}", f"{s['mean_run_wall_s']:.3f}",
                     f"{s['wall_2_workers_s']:.2f}", f"{s['mean_run_wall_2_workers_s']:.3f}",
                     f"speed-up {s['speedup']:.2f}x", ">= 1.80x"))
    d = results.get("dask")
    if d:
        rows.append((f"A local pool, B Dask; {d['workers']} workers", f"{d['runs']}",
                     f"{d['wall_local_pool_s']:.2f}", f"{d['mean_run_wall_s']:.3f}",
                     f"{d['wall_dask_s']:.2f}", f"{d['mean_run_wall_dask_s']:.3f}",
                     f"overhead {d['dask_overhead']:+.1%}", "<= +10%"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON to FILE")
    parser.add_argument("--runs", type=int, default=200, help="runs in the core-scaling sweep (default 200)")
    parser.add_argument("--dask-runs", type=int, default=None,
                        help="runs in the Dask comparison (default 2 x cores x 4)")
    parser.add_argument("--dask-run-hours", type=float, default=None,
                        help="simulated hours per Dask-comparison run (default: calibrated to ~1 s of wall time)")
    parser.add_argument("--repeats", type=int, default=1, help="repeat each timing, keep the best (default 1)")
    parser.add_argument("--wait-for-idle", type=float, default=0.0, metavar="SECONDS",
                        help="first wait up to SECONDS for the 1-minute load to fall to 0.5 per core (default 0)")
    parser.add_argument("--skip-scaling", action="store_true", help="skip the 1 -> 2 worker measurement")
    parser.add_argument("--skip-dask", action="store_true", help="skip the Dask measurement")
    args = parser.parse_args(argv)

    gwsim = _import_gwsim()
    cores = _cores()
    results: dict[str, Any] = {
        "gwsim_version": gwsim.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": cores,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if args.wait_for_idle > 0:
        waited = _wait_for_idle(cores, args.wait_for_idle)
        print(f"waited {waited:.0f} s for the load to fall")
        results["waited_for_idle_s"] = waited
    results["load_start"] = _report_load("at start", cores)
    if cores < 2:
        print("WARNING: fewer than 2 cores available; the 2-worker figures are meaningless", file=sys.stderr)

    if not args.skip_scaling:
        print(f"core scaling: {args.runs} one-hour runs with 1 and 2 workers ...", flush=True)
        results["scaling"] = measure_scaling(gwsim, runs=args.runs, repeats=args.repeats)
    if not args.skip_dask:
        runs = args.dask_runs or 2 * cores * 4
        print(f"Dask overhead: {runs} ~1 s runs on a 2-process pool and a 2-worker LocalCluster ...", flush=True)
        results["dask"] = measure_dask_overhead(gwsim, runs, hours=args.dask_run_hours, repeats=args.repeats)

    results["load_end"] = _report_load("at end", cores)
    print()
    print(_table(results))
    busy = max(results["load_start"]["per_core"], results["load_end"]["per_core"])
    results["busy"] = busy > BUSY_LOAD_PER_CORE
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
