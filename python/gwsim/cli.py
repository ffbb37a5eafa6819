"""The ``gwsim`` command line.

::

    gwsim run SCENARIO [--set section.key=value ...] [--seed N] [--json]
                       [--out DIR] [--quiet]
    gwsim scenario [SCENARIO] [--set section.key=value ...] [--seed N]
    gwsim compare SCENARIO [--strategies A,B] [--replications R] [--json] [--out DIR]
    gwsim analyze SCENARIO [--replications R] [--json]
    gwsim routes stats|match FILE ...   (see gwsim.routes)

``run`` simulates a scenario file (TOML or JSON) and prints a summary with
units (or, with ``--json``, one JSON object); ``--out`` also writes
summary.json, scenario.json, timeseries.csv, events.csv and memory.png.
``scenario`` prints the complete scenario, defaults filled in, as JSON (the
defaults alone without SCENARIO). ``compare`` runs one workload under every
router design with common random numbers and prints the design table.
``analyze`` prints the closed-form predictions (worker load, rebuild rate and
CPU, mean latency) next to a replicated simulation of the same scenario.
Invalid input exits with status 2 and a
message naming the file or field.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, Callable, Optional

__all__ = ["main"]

EXIT_USAGE = 2


class _UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gwsim",
        description="Simulate API-gateway router rebuilds: memory, latency and errors.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def scenario_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--set", dest="assignments", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override one scenario field, e.g. --set cluster.workers_per_node=2 "
                            "(repeatable; sizes like 8GiB and durations like 250ms are accepted)")
        p.add_argument("--seed", type=int, metavar="N", help="random seed (replaces run.seed)")

    run = commands.add_parser("run", help="simulate a scenario file and summarise it",
                              description="Simulate a scenario file (TOML or JSON) and summarise the run.")
    run.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml or .json)")
    scenario_options(run)
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument("--out", metavar="DIR",
                     help="also write summary.json, scenario.json, timeseries.csv, events.csv and memory.png")
    run.add_argument("--quiet", action="store_true", help="no progress bar or notes on stderr")

    show = commands.add_parser("scenario", help="print a scenario with every default filled in",
                               description="Print a scenario as JSON, defaults filled in and validated.")
    show.add_argument("scenario", metavar="SCENARIO", nargs="?", help="scenario file (default: the defaults)")
    scenario_options(show)

    cmp = commands.add_parser(
        "compare", help="run one workload under every router design and print the design table",
        description="Run a scenario once per rebuild strategy with common random numbers and print p99, "
                    "errors, OOM kills, peak memory, rebuild CPU and staleness per strategy.")
    cmp.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml or .json); its strategy is ignored")
    scenario_options(cmp)
    cmp.add_argument("--strategies", metavar="A,B,...",
                     help="comma-separated strategies in table order (default: every registered one)")
    cmp.add_argument("--replications", type=int, default=1, metavar="R",
                     help="runs per strategy; R >= 2 adds 95%% confidence intervals (default 1)")
    cmp.add_argument("--workers", type=int, default=1, metavar="N", help="local processes to run in (default 1)")
    cmp.add_argument("--json", action="store_true", help="print one JSON record per run instead of the table")
    cmp.add_argument("--out", metavar="DIR", help="also write runs.csv, table.txt and designs.png")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")

    ana = commands.add_parser(
        "analyze", help="closed-form predictions next to a simulation of the same scenario",
        description="Predict a scenario's worker load, rebuild rate and CPU and mean latency with the closed "
                    "forms (models/gateway/analysis.hpp), simulate it R times, and print both with 95%% "
                    "confidence intervals.")
    ana.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml or .json)")
    scenario_options(ana)
    ana.add_argument("--replications", type=int, default=5, metavar="R", help="simulation runs (default 5)")
    ana.add_argument("--workers", type=int, default=1, metavar="N", help="local processes to run in (default 1)")
    ana.add_argument("--json", action="store_true", help="print the prediction and the comparison as JSON")
    ana.add_argument("--quiet", action="store_true", help="no progress bar")

    from . import routes

    routes.add_parser(commands)
    return parser


def _resolve(args: argparse.Namespace) -> dict[str, Any]:
    """Load the scenario named on the command line and apply --set/--seed."""
    from . import api

    assignments = list(args.assignments)
    if args.seed is not None:
        assignments.append(f"run.seed={args.seed}")
    try:
        base = api.load_scenario(args.scenario) if args.scenario else api.default_scenario()
        return api.apply_overrides(base, assignments) if assignments else base
    except FileNotFoundError as error:
        raise _UsageError(str(error)) from None
    except (ValueError, OSError, RuntimeError) as error:
        raise _UsageError(str(error)) from None


def _progress_bar(enabled: bool) -> tuple[Optional[Callable[[float], None]], Callable[[], None]]:
    """A tqdm bar on stderr fed by run()'s progress callback, if enabled."""
    if not enabled:
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=100, file=sys.stderr, unit="%", leave=False, dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n:.0f}% of simulated time [{elapsed}<{remaining}]")

    def update(fraction: float) -> None:
        bar.update(round(fraction * 100) - bar.n)

    return update, bar.close


def _run(args: argparse.Namespace) -> int:
    from . import api, output

    scenario = _resolve(args)
    progress, close = _progress_bar(sys.stderr.isatty() and not args.quiet and not args.json)
    try:
        result = api.run(scenario, progress=progress)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    finally:
        close()

    record = output.summary_record(result["summary"], result["scenario"])
    if args.json:
        print(json.dumps(record))
    else:
        sys.stdout.write(output.format_summary(result["summary"], result["scenario"]))
    if args.out:
        try:
            files = output.write_results(args.out, result)
        except OSError as error:
            raise _UsageError(f"cannot write results to {args.out}: {error}") from None
        note = f"\nresults in {args.out}: " + " ".join(f.name for f in files)
        if not args.json:
            print(note)
        elif not args.quiet:
            print(note.strip(), file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import compare

    scenario = _resolve(args)
    strategies = None
    if args.strategies is not None:
        strategies = [name.strip() for name in args.strategies.split(",") if name.strip()]
    seed = int(scenario["run"]["seed"])
    try:
        df = compare.compare(scenario, strategies, replications=args.replications, seed=seed,
                             progress=not args.quiet and not args.json, workers=args.workers)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    table = compare.format_table(df)
    if args.json:
        for record in df.to_dict(orient="records"):
            print(json.dumps(record))
    else:
        sys.stdout.write(f"{scenario.get('name', '')}: {len(df)} runs\n\n" + table)
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            df.to_csv(out / "runs.csv", index=False)
            (out / "table.txt").write_text(table)
            compare.plot_compare(df, out / "designs.png")
        except OSError as error:
            raise _UsageError(f"cannot write results to {args.out}: {error}") from None
        print(f"results in {out}: runs.csv table.txt designs.png", file=sys.stderr if args.json else sys.stdout)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from . import analyze

    scenario = _resolve(args)
    try:
        report = analyze.analyze(scenario, replications=args.replications, seed=int(scenario["run"]["seed"]),
                                 progress=not args.quiet and not args.json, workers=args.workers)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    if args.json:
        print(analyze.to_json(report))
    else:
        print(f"{scenario.get('name', '')} ({scenario['strategy']})\n")
        print(analyze.format_analysis(report))
    return 0


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(_resolve(args), indent=2))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 success, 2 invalid input or usage, 130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "routes":
            from . import routes

            return routes.run(args)
        return _show(args)
    except _UsageError as error:
        print(f"gwsim: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gwsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (| head): not an error worth a traceback.
        sys.stderr.close()
        return 0
