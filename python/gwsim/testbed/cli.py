"""``gwsim testbed``: run measured experiments on the real gateway.

::

    gwsim testbed probe                      what this machine can run (nginx, Lua, memory cgroups)
    gwsim testbed run CONFIG [--store PATH] [--out DIR] [--json]
    gwsim testbed calibrate [--full | --counts N,N,..] [--rounds N] [--out FILE]
    gwsim testbed validate [--calibration FILE] [--full] [--repeat N] [--out DIR]
    gwsim testbed replay [--report DIR] [--calibration FILE] [--seeds N] [--set section.key=value ...] [--json]

``run`` starts the real gateway for the experiment in CONFIG (a TOML file,
see :mod:`gwsim.testbed.experiment`), drives it, samples it and prints the
summary (``--json``: one JSON object); ``--store`` keeps the measurement in
a run store next to simulations, ``--out`` writes summary.json,
timeseries.csv, events.csv and requests.csv (one row per request).
``calibrate`` fits the simulator's
parameters for this gateway (:mod:`gwsim.testbed.calibrate`) and writes
them as JSON; ``validate`` runs held-out experiments through the simulator
(with that calibration, or a quick one made first) and the testbed and
writes report.md, report.json and one plot per experiment
(:mod:`gwsim.testbed.validate`); ``replay`` simulates a saved report's
experiments again, under a calibration and overrides, against the report's
measured medians, measuring nothing (:mod:`gwsim.testbed.replay`). Invalid
input exits with status 2 and a message naming the table and key.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from pathlib import Path
from typing import Any, Mapping

__all__ = ["add_parser", "format_summary", "run"]

EXIT_USAGE = 2


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``gwsim testbed`` on the CLI's subcommand parser."""
    tb = commands.add_parser("testbed", help="measure the real nginx + LuaJIT gateway",
                             description="Run experiments on the real gateway (testbed/).")
    actions = tb.add_subparsers(dest="testbed_command", metavar="ACTION", required=True)
    actions.add_parser("probe", help="say what this machine can run",
                       description="Check for nginx with the Lua module and for memory cgroups.")
    run_p = actions.add_parser("run", help="one measured experiment",
                               description="Start the real gateway for CONFIG, drive it with open-loop traffic and "
                                           "admin writes, sample its memory, print the summary.")
    run_p.add_argument("config", metavar="CONFIG", help="experiment file (TOML)")
    run_p.add_argument("--store", metavar="PATH", help="keep the measurement in this run store (SQLite)")
    run_p.add_argument("--out", metavar="DIR",
                       help="write summary.json, timeseries.csv, events.csv and requests.csv (every request: when "
                            "it was due, its latency, its status) here")
    run_p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    cal = actions.add_parser("calibrate", help="fit the simulator's parameters for this gateway",
                             description="Measure one-worker gateways over a matrix of route counts and fit the "
                                         "simulator's memory and cost parameters.")
    size = cal.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true",
                      help="the full matrix (1k-20k routes) instead of the quick one, and how finds that compile "
                           "slow as native code piles up (measure_regex_growth)")
    size.add_argument("--counts", metavar="N,N,..", help="route counts to measure (at least two)")
    cal.add_argument("--rounds", type=int, default=None, metavar="N",
                     help="rounds of CPU samples over every route count (1-20, default 5)")
    cal.add_argument("--out", metavar="FILE", default="testbed/calibration.json",
                     help="calibration file to write (default: testbed/calibration.json)")
    val = actions.add_parser("validate", help="predicted against measured on held-out experiments",
                             description="Run held-out experiments through the simulator and the testbed and "
                                         "write a report with the targets.")
    val.add_argument("--calibration", metavar="FILE", help="calibration file (default: make a quick one first)")
    val.add_argument("--full", action="store_true", help="every held-out experiment, not the quick two")
    val.add_argument("--repeat", type=int, metavar="N", default=None,
                     help="runs of every experiment on both sides, judged on their medians (1-10; default 3 "
                          "with --full, else 1)")
    val.add_argument("--out", metavar="DIR", default="results/testbed-validation",
                     help="report directory (default: results/testbed-validation)")
    rep = actions.add_parser("replay", help="a saved validation's measurements against the simulator as it is now",
                             description="Simulate the experiments of a validation report again, under a calibration "
                                         "and overrides, against the report's measured medians: a change of the "
                                         "model or the calibration judged on the same measurements. Measures "
                                         "nothing.")
    rep.add_argument("--report", metavar="DIR", default="results/testbed-validation",
                     help="validation report directory or report.json (default: results/testbed-validation)")
    rep.add_argument("--calibration", metavar="FILE", default="testbed/calibration.json",
                     help="calibration file (default: testbed/calibration.json)")
    rep.add_argument("--seeds", type=int, default=3, metavar="N",
                     help="simulations per experiment, seeds 1..N, judged on their median (1-20, default 3)")
    rep.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                     help="scenario override applied to every simulation (repeatable), e.g. "
                          "memory.first_touch_ns_per_byte=0")
    rep.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    return tb


def _ms(seconds: float) -> str:
    return "n/a" if not math.isfinite(seconds) else f"{seconds * 1e3:,.1f} ms"


def _mib(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def format_summary(summary: Mapping[str, Any]) -> str:
    """The experiment summary as aligned lines with units."""
    limit = summary["memory_limit_bytes"]
    rows = [
        ("requests", f"{summary['requests']:,} ({summary['completed']:,} answered, {summary['not_found']:,} of them "
                     f"404: aimed at no route)"),
        ("errors", f"{summary['errors']:,} ({100 * summary['error_rate']:.2f} %: 5xx, {summary['timeouts']:,} without "
                   f"an answer, {summary['dropped']:,} dropped by the client)"),
        ("latency p50 / p99 / max", f"{_ms(summary['latency_p50_s'])} / {_ms(summary['latency_p99_s'])} / "
                                    f"{_ms(summary['latency_max_s'])}"),
        ("admin writes", f"{summary['admin_writes']:,}"),
        ("rebuilds", f"{summary['rebuilds']:,} (mean {_ms(summary['rebuild_mean_s'])}, "
                     f"max {_ms(summary['rebuild_max_s'])})"),
        ("peak worker Lua heap", _mib(summary["peak_worker_heap_bytes"])),
        ("peak pod memory", _mib(summary["peak_pod_memory_bytes"]) + (f" of {_mib(limit)}" if limit else " (no limit)")),
        ("OOM kills", f"{summary['oom_kills']:,} ({summary['worker_restarts']:,} workers respawned)"),
    ]
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {v}\n" for k, v in rows)


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``gwsim testbed`` command; the exit status."""
    from . import GatewayUnavailable, find_nginx, probe

    # A SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so that the
    # gateways, clients and cgroups of a run are stopped and removed.
    signal.signal(signal.SIGTERM, _terminated)

    if args.testbed_command == "probe":
        try:
            nginx = find_nginx()
            print(f"nginx with the Lua module: {nginx}")
        except GatewayUnavailable as e:
            print(f"nginx: {e}")
        ok, why = probe()
        print("memory cgroups: " + ("available" if ok else f"not available ({why}); experiments run without a limit"))
        return 0

    if args.testbed_command == "calibrate":
        return _calibrate(args)
    if args.testbed_command == "replay":
        return _replay(args)
    if args.testbed_command == "validate":
        return _validate(args)

    from .experiment import load_config, run_experiment

    try:
        config = load_config(Path(args.config))
    except (OSError, ValueError) as e:
        print(f"gwsim: error: {args.config}: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = run_experiment(config)
    except GatewayUnavailable as e:
        print(f"gwsim: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    summary = result["summary"]
    if args.store:
        from ..store import open as open_store

        with open_store(args.store) as store:
            key = store.put_measurement(config, result)
        print(f"stored as {key} in {args.store}", file=sys.stderr)
    if args.out:
        from ..output import write_columns_csv

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps({"summary": summary, "config": config}, indent=2))
        write_columns_csv(out / "timeseries.csv", result["timeseries"])
        write_columns_csv(out / "events.csv", result["events"])
        write_columns_csv(out / "requests.csv", result["requests"])
    if args.json:
        print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                          for k, v in summary.items()}))
    else:
        sys.stdout.write(format_summary(summary))
    return 0


def _progress(message: str) -> None:
    print(f"[testbed] {message}", file=sys.stderr, flush=True)


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate import CPU_ROUNDS, MATRIX_FULL, MATRIX_QUICK, calibrate, cpu_spread, write_calibration

    counts: Any = MATRIX_FULL if args.full else MATRIX_QUICK
    if args.counts:
        try:
            counts = [int(c) for c in args.counts.split(",")]
        except ValueError:
            print(f"gwsim: error: --counts must be integers separated by commas, got {args.counts!r}", file=sys.stderr)
            return EXIT_USAGE
    try:
        cal = calibrate(counts, progress=_progress, rounds=CPU_ROUNDS if args.rounds is None else args.rounds,
                        regex_growth=bool(args.full))
    except ValueError as e:
        print(f"gwsim: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    write_calibration(cal, args.out)
    print("CPU samples per route count (median [lowest-highest] of the rounds):")
    for point in cal["points"]:
        cells = []
        for figure, label in (("read_cpu_s", "read"), ("build_cpu_s", "build"), ("gc_phase_mark_cpu_s", "marking"),
                              ("miss_cpu_s", "miss"), ("no_route_cpu_s", "no route")):
            mid, lo, hi = cpu_spread(point, figure)
            cells.append(f"{label} {mid * 1e3:.2f} ms [{lo * 1e3:.2f}-{hi * 1e3:.2f}]")
        print(f"  {int(point['routes']):>7,} routes  " + "  ".join(cells))
    for name, f in cal["fits"].items():
        print(f"{name:<20} terms {'+'.join(f['terms']):<6} R^2 {f['r2']:.4f}  largest residual "
              f"{100 * f['max_relative_residual']:.1f}%")
    touch = cal.get("first_touch")
    if touch:
        each = ", ".join(f"{r['ns_per_byte']:.2f}" for r in touch["runs"])
        print(f"memory touched for the first time: {touch['ns_per_byte']:.2f} ns per byte (median of {each})")
    growth = cal.get("regex_growth")
    if growth:
        print(f"a find that compiles: {growth['cpu_s_first'] * 1e6:.1f} us over the first fifth of the passes, "
              f"{growth['cpu_s_last'] * 1e6:.1f} us over the last with {growth['native_mib_last']:.0f} MiB more "
              f"native code held; slope {growth['ns_per_native_mib']:.1f} ns per MiB (R^2 {growth['r2']:.2f})")
    print(f"calibration written to {args.out}")
    return 0


def _calibration_arg(path: str) -> Any:
    """The calibration file of --calibration, or None after printing why it cannot be used."""
    from .calibrate import read_calibration

    try:
        return read_calibration(path)
    except (OSError, ValueError) as e:
        print(f"gwsim: error: --calibration: {e}", file=sys.stderr)
        return None


def _replay(args: argparse.Namespace) -> int:
    from .replay import format_replay, read_report, replay

    if not 1 <= args.seeds <= 20:
        print(f"gwsim: error: --seeds must be in [1, 20], got {args.seeds}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = read_report(args.report)
    except ValueError as e:
        print(f"gwsim: error: --report: {e}", file=sys.stderr)
        return EXIT_USAGE
    cal = _calibration_arg(args.calibration)
    if cal is None:
        return EXIT_USAGE
    try:
        result = replay(report, cal, seeds=args.seeds, overrides=args.overrides, progress=_progress)
    except ValueError as e:  # an override the scenario refuses
        print(f"gwsim: error: --set: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result, allow_nan=True))
    else:
        print(format_replay(result))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .calibrate import MATRIX_QUICK, calibrate
    from .validate import HELD_OUT, HELD_OUT_QUICK, lone_rebuilds, validate, write_report

    repeats = args.repeat if args.repeat is not None else (3 if args.full else 1)
    if not 1 <= repeats <= 10:
        print(f"gwsim: error: --repeat must be in [1, 10], got {repeats}", file=sys.stderr)
        return EXIT_USAGE
    if args.calibration:
        cal = _calibration_arg(args.calibration)
        if cal is None:
            return EXIT_USAGE
    else:
        _progress("no --calibration: making a quick one")
        cal = calibrate(MATRIX_QUICK, progress=_progress)
    rows = validate(cal, HELD_OUT if args.full else HELD_OUT_QUICK, progress=_progress, repeats=repeats)
    report = write_report(rows, args.out, lone_rebuilds(cal), calibrated_at=cal.get("measured_at"))
    sys.stdout.write(report.read_text())
    print(f"report: {report}")
    return 0
