"""``gwsim testbed``: run measured experiments on the real gateway.

::

    gwsim testbed probe                      what this machine can run (nginx, Lua, memory cgroups)
    gwsim testbed run CONFIG [--store PATH] [--out DIR] [--json]

``run`` starts the real gateway for the experiment in CONFIG (a TOML file,
see :mod:`gwsim.testbed.experiment`), drives it, samples it and prints the
summary (``--json``: one JSON object); ``--store`` keeps the measurement in
a run store next to simulations, ``--out`` writes summary.json,
timeseries.csv and events.csv. Invalid input exits with status 2 and a
message naming the table and key.
"""

from __future__ import annotations

import argparse
import json
import math
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
    run_p.add_argument("--out", metavar="DIR", help="write summary.json, timeseries.csv and events.csv here")
    run_p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
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


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``gwsim testbed`` command; the exit status."""
    from . import GatewayUnavailable, find_nginx, probe

    if args.testbed_command == "probe":
        try:
            nginx = find_nginx()
            print(f"nginx with the Lua module: {nginx}")
        except GatewayUnavailable as e:
            print(f"nginx: {e}")
        ok, why = probe()
        print("memory cgroups: " + ("available" if ok else f"not available ({why}); experiments run without a limit"))
        return 0

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
    if args.json:
        print(json.dumps({k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                          for k, v in summary.items()}))
    else:
        sys.stdout.write(format_summary(summary))
    return 0
