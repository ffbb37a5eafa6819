"""The ``gwsim`` command line.

::

    gwsim run SCENARIO [--set section.key=value ...] [--seed N] [--json]
                       [--out DIR] [--quiet]
    gwsim scenario [SCENARIO] [--set section.key=value ...] [--seed N]
    gwsim compare SCENARIO [--strategies A,B] [--replications R] [--json] [--out DIR]
    gwsim analyze SCENARIO [--replications R] [--json]
    gwsim sweep SCENARIO --grid section.key=V1,V2 [--grid ...] [--replications R]
                         [--workers N] [--store PATH] [--json] [--out DIR]
    gwsim plan SCENARIO (--minimize FIELD | --maximize FIELD [--low V --high V] | --grid section.key=V1,V2 ...
                         [--best METRIC]) --require "METRIC OP NUMBER" ... [--replications R]
                         [--confidence C] [--workers N] [--store PATH] [--json] [--plot FILE]
    gwsim store ls PATH [--json]
    gwsim store show PATH KEY [--json]
    gwsim store export PATH --out FILE.csv
    gwsim routes stats|match FILE ...   (see gwsim.routes)
    gwsim testbed probe|run CONFIG ...  (see gwsim.testbed.cli)

``run`` simulates a scenario file (TOML or JSON) and prints a summary with
units (or, with ``--json``, one JSON object); ``--out`` also writes
summary.json, scenario.json, timeseries.csv, events.csv and memory.png.
``scenario`` prints the complete scenario, defaults filled in, as JSON (the
defaults alone without SCENARIO). ``compare`` runs one workload under every
router design with common random numbers and prints the design table.
``analyze`` prints the closed-form predictions (worker load, rebuild rate and
CPU, mean latency) next to a replicated simulation of the same scenario.
``sweep`` runs the Cartesian product of the ``--grid`` values, replicated
with common random numbers, and prints a table of means with 95% confidence
intervals; with ``--store`` every run is kept in a SQLite run store, runs
already there are not simulated again, and an interrupted sweep resumes.
``plan`` finds the smallest or largest value of a field (bisection) or the
best point of a grid that meets every ``--require`` constraint with the given
confidence, and explains the answer (exit status 1 when nothing is feasible).
``store`` lists, shows and exports the runs in such a store.
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

    swp = commands.add_parser(
        "sweep", help="run a grid of scenario variants, replicated, and print means with 95%% CIs",
        description="Run every combination of the --grid values R times each with common random numbers, and "
                    "print the mean of the main metrics per grid point with 95%% confidence intervals. With "
                    "--store, runs are kept in a SQLite run store as they complete and runs already stored "
                    "are not simulated again (an interrupted sweep resumes where it stopped).")
    swp.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml or .json)")
    scenario_options(swp)
    swp.add_argument("--grid", action="append", default=[], metavar="SECTION.KEY=V1,V2,...", required=True,
                     help="a field and the values to try, e.g. --grid cluster.workers_per_node=2,4,8 "
                          "(repeatable; the first --grid varies slowest)")
    swp.add_argument("--replications", type=_positive_int, default=1, metavar="R",
                     help="runs per grid point; R >= 2 adds 95%% confidence intervals (default 1)")
    swp.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                     help="local processes to run in (default 1)")
    swp.add_argument("--store", metavar="PATH", help="SQLite run store to look runs up in and write them to")
    swp.add_argument("--json", action="store_true", help="print one JSON record per run instead of the table")
    swp.add_argument("--out", metavar="DIR", help="also write runs.csv, summary.csv and table.txt")
    swp.add_argument("--quiet", action="store_true", help="no progress bar")

    pln = commands.add_parser(
        "plan", help="find the best field value meeting targets (no OOM kills, p99 below ...), with confidence",
        description="Find the smallest (--minimize) or largest (--maximize) value of one numeric field by "
                    "bisection, or the best point of a --grid, such that every --require constraint holds with "
                    "the given confidence over R replications (common random numbers), and explain the answer. "
                    "A constraint is METRIC OP NUMBER with OP one of < <= == >= >: '==' must hold in every run "
                    "(the rule of three bounds the per-run failure probability), '<' and '>' compare the "
                    "one-sided Student-t bound of the mean. Exit status 1 when no candidate is feasible.")
    pln.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml or .json)")
    scenario_options(pln)
    target = pln.add_mutually_exclusive_group(required=True)
    target.add_argument("--minimize", metavar="FIELD",
                        help="bisect for the smallest value of FIELD, e.g. cluster.pod_memory_limit_bytes")
    target.add_argument("--maximize", metavar="FIELD", help="bisect for the largest value of FIELD")
    target.add_argument("--grid", action="append", metavar="SECTION.KEY=V1,V2,...",
                        help="search the grid of these values (repeatable) for the best feasible point")
    pln.add_argument("--low", metavar="V", help="bisection: the low end of the bracket (e.g. 4GiB)")
    pln.add_argument("--high", metavar="V", help="bisection: the high end of the bracket")
    pln.add_argument("--best", metavar="[min|max] METRIC",
                     help="grid: order feasible points by this metric's mean or grid field "
                          "(default 'min latency_p99_s')")
    pln.add_argument("--require", action="append", required=True, metavar="'METRIC OP NUMBER'",
                     help="a constraint such as 'oom_kills == 0' or 'latency_p99_s < 0.5' (repeatable)")
    pln.add_argument("--replications", type=_positive_int, default=5, metavar="R",
                     help="runs per candidate, >= 2 (default 5)")
    pln.add_argument("--confidence", type=_open_unit, default=0.95, metavar="C",
                     help="confidence with which each constraint must hold, in (0, 1) (default 0.95)")
    pln.add_argument("--tolerance", type=_open_unit, default=0.05, metavar="F",
                     help="bisection: stop when the bracket is narrower than F times the answer (default 0.05)")
    pln.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                     help="local processes to run in (default 1)")
    pln.add_argument("--store", metavar="PATH", help="SQLite run store to look runs up in and write them to")
    pln.add_argument("--json", action="store_true", help="print the answer, explanation and probes as JSON")
    pln.add_argument("--plot", metavar="FILE", help="also draw the probes against the binding metric (PNG)")
    pln.add_argument("--quiet", action="store_true", help="no progress bar")

    sto = commands.add_parser("store", help="list, show and export the runs in a run store",
                              description="Inspect a SQLite run store written by gwsim sweep --store.")
    actions = sto.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    ls = actions.add_parser("ls", help="one line per stored run", description="List the stored runs.")
    ls.add_argument("path", metavar="PATH", help="the store (.sqlite)")
    ls.add_argument("--json", action="store_true", help="one JSON record per run")
    show = actions.add_parser("show", help="one stored run", description="Show one stored run's summary.")
    show.add_argument("path", metavar="PATH", help="the store (.sqlite)")
    show.add_argument("key", metavar="KEY",
                      help="the run's key hash:seed:version, or an unambiguous prefix (as gwsim store ls prints)")
    show.add_argument("--json", action="store_true", help="print the run as one JSON object")
    export = actions.add_parser("export", help="write every stored run's summary to a CSV file",
                                description="Write one CSV row per stored run: key, name, strategy and "
                                            "the summary scalars.")
    export.add_argument("path", metavar="PATH", help="the store (.sqlite)")
    export.add_argument("--out", metavar="FILE.csv", required=True, help="the CSV file to write")

    from . import routes
    from .testbed import cli as testbed_cli

    routes.add_parser(commands)
    testbed_cli.add_parser(commands)
    return parser


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (argparse names the argument in its error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def _open_unit(text: str) -> float:
    """argparse type: a number in the open interval (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


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


def _per_run(df):
    """A sweep frame without the per-configuration mean and CI columns :func:`gwsim.sweep` repeats on each row.

    The command line's per-run outputs (``--json`` lines, runs.csv) keep one
    record per run; the per-point statistics are in its table and summary.csv.
    """
    from .sweeps import configuration_columns

    return df.drop(columns=configuration_columns(df))


def _write_results(args: argparse.Namespace, df, table: str, extra: dict[str, Callable[[Any], Any]]) -> None:
    """Write runs.csv, table.txt and each `extra` file (name -> writer of a
    path) into the --out directory, and say where."""
    from pathlib import Path

    out = Path(args.out)
    files = ["runs.csv", "table.txt", *extra]
    try:
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "runs.csv", index=False)
        (out / "table.txt").write_text(table)
        for name, write in extra.items():
            write(out / name)
    except OSError as error:
        raise _UsageError(f"argument --out: cannot write results to {args.out}: {error}") from None
    print(f"results in {out}: {' '.join(files)}", file=sys.stderr if args.json else sys.stdout)


def _compare(args: argparse.Namespace) -> int:
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
    runs = _per_run(df)
    if args.json:
        for record in runs.to_dict(orient="records"):
            print(json.dumps(record))
    else:
        sys.stdout.write(f"{scenario.get('name', '')}: {len(df)} runs\n\n" + table)
    if args.out:
        _write_results(args, runs, table, {"designs.png": lambda path: compare.plot_compare(df, path)})
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


def _grid_value(text: str) -> Any:
    """A --grid value: an int or float when it reads as one, else the text (units, names, booleans)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        parts = [v.strip() for v in values.split(",")]
        if not sep or not key or not values.strip() or any(not v for v in parts):
            raise _UsageError(f"argument --grid: expected SECTION.KEY=V1,V2,... got {item!r}")
        if key in grid:
            raise _UsageError(f"argument --grid: {key} is given twice")
        grid[key] = [_grid_value(v) for v in parts]
    return grid


def _open_store(path: str, argument: str, must_exist: bool):
    import sqlite3
    from pathlib import Path

    from .store import ResultStore

    if must_exist and not Path(path).is_file():
        raise _UsageError(f"argument {argument}: no such store file: {path}")
    try:
        store = ResultStore(path)
        store.connection.execute("SELECT count(*) FROM run_results").fetchone()
        return store
    except sqlite3.Error as error:
        raise _UsageError(f"argument {argument}: cannot open the store {path}: {error}") from None


def _sweep_table(df, keys: Sequence[str]) -> str:
    """Means (± 95% CI half-widths with >= 2 replications) of the design-table metrics per grid point."""
    from .compare import METRICS, _cell
    from .sweeps import summarize

    metrics = [m for m, *_ in METRICS if m in df.columns]
    replicated = df.groupby(list(keys), sort=False, dropna=False).size().min() >= 2
    headings = list(keys) + [f"{t} ({u})" if u else t for m, t, u, _ in METRICS if m in metrics]
    table = [headings]
    if replicated:
        summary = summarize(df, by=list(keys), metrics=metrics, level=0.95)
        for row in summary.to_dict(orient="records"):
            table.append([str(row[k]) for k in keys]
                         + [_cell(row[f"{m}_mean"], row[f"{m}_ci"], sc) for m, _, _, sc in METRICS if m in metrics])
    else:
        for row in df.to_dict(orient="records"):
            table.append([str(row[k]) for k in keys]
                         + [_cell(float(row[m]), None, sc) for m, _, _, sc in METRICS if m in metrics])
    widths = [max(len(r[i]) for r in table) for i in range(len(headings))]
    lines = []
    for n, r in enumerate(table):
        cells = [c.ljust(w) for c, w in zip(r[: len(keys)], widths)] + \
                [c.rjust(w) for c, w in zip(r[len(keys):], widths[len(keys):])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    note = ("± is the 95% confidence half-width (Student t), common random numbers" if replicated
            else "1 run per point (use --replications 2 or more for confidence intervals)")
    return "\n".join(lines) + "\n" + note + "\n"


def _sweep(args: argparse.Namespace) -> int:
    from .sweeps import sweep

    scenario = _resolve(args)
    grid = _parse_grid(args.grid)
    store = _open_store(args.store, "--store", must_exist=False) if args.store else None
    try:
        df = sweep(scenario, grid, replications=args.replications, seed=int(scenario["run"]["seed"]),
                   progress=not args.quiet and not args.json, workers=args.workers, store=store)
    except ValueError as error:
        message = str(error)
        raise _UsageError(f"argument --grid: {message}" if message.startswith("grid") else message) from None
    finally:
        if store is not None:
            store.close()
    table = _sweep_table(df, list(grid))
    runs = _per_run(df)
    if args.json:
        for record in runs.to_dict(orient="records"):
            print(json.dumps(record))
    else:
        points = len(df) // args.replications
        head = f"{scenario.get('name', '')}: {len(df)} runs ({points} points x {args.replications} replications)"
        if "from_store" in df.attrs:
            head += f", {df.attrs['from_store']} from the store {args.store}"
        sys.stdout.write(head + "\n\n" + table)
    if args.out:
        from .sweeps import summarize

        extra = {}
        if args.replications >= 2:
            extra["summary.csv"] = lambda path: summarize(df, by=list(grid)).to_csv(path, index=False)
        _write_results(args, runs, table, extra)
    return 0


def _plan(args: argparse.Namespace) -> int:
    import warnings

    from .plans import InfeasiblePlanError, plan

    scenario = _resolve(args)
    if args.grid is not None:
        if args.low is not None or args.high is not None:
            raise _UsageError("argument --low/--high: only with --minimize or --maximize")
        objective: Any = _parse_grid(args.grid)
        where = "--grid"
    else:
        if args.best is not None:
            raise _UsageError("argument --best: only with --grid")
        objective = f"min {args.minimize}" if args.minimize is not None else f"max {args.maximize}"
        where = "--minimize" if args.minimize is not None else "--maximize"
    if args.replications < 2:
        raise _UsageError("argument --replications: must be >= 2 for confidence bounds")
    arguments = {"constraint": "--require", "objective": where, "best": "--best", "low": "--low",
                 "high": "--high", "replications": "--replications", "confidence": "--confidence",
                 "tolerance": "--tolerance"}
    store = _open_store(args.store, "--store", must_exist=False) if args.store else None
    infeasible = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # the explanation states them
            result = plan(scenario, objective, args.require, best=args.best,
                          low=_grid_value(args.low) if args.low is not None else None,
                          high=_grid_value(args.high) if args.high is not None else None,
                          tolerance=args.tolerance, replications=args.replications, confidence=args.confidence,
                          seed=int(scenario["run"]["seed"]), workers=args.workers, store=store,
                          progress=not args.quiet and not args.json)
    except InfeasiblePlanError as error:
        infeasible = error
        result = error.result
    except ValueError as error:
        message = str(error)
        first = message.split(" ", 1)[0].split("/", 1)[0].rstrip(":")
        if first in arguments:
            raise _UsageError(f"argument {arguments[first]}: {message}") from None
        if first == "grid":
            raise _UsageError(f"argument --grid: {message}") from None
        raise _UsageError(message) from None
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        head = f"{scenario.get('name', '')} ({scenario['strategy']})"
        sys.stdout.write(head + "\n\n" + str(result))
    if args.plot:
        try:
            result.plot(path=args.plot)
        except OSError as error:
            raise _UsageError(f"argument --plot: cannot write {args.plot}: {error}") from None
        print(f"plot in {args.plot}", file=sys.stderr if args.json else sys.stdout)
    return 1 if infeasible is not None else 0


def _short_key(key: str) -> str:
    scenario_hash, seed, _ = key.split(":", 2)
    return f"{scenario_hash[:12]}:{seed}"


def _store(args: argparse.Namespace) -> int:
    store = _open_store(args.path, "PATH", must_exist=True)
    try:
        if args.store_command == "ls":
            df = store.results()
            if args.json:
                for record in df.to_dict(orient="records"):
                    print(json.dumps(record))
                return 0
            from .compare import METRICS, _cell

            metrics = [(m, t, u, sc) for m, t, u, sc in METRICS if m in df.columns][:4]
            headings = ["key", "name", "strategy", "version"] + [f"{t} ({u})" if u else t for _, t, u, _ in metrics]
            table = [headings]
            for _, row in df.iterrows():
                table.append([_short_key(row["key"]), str(row["name"]), str(row["strategy"]), str(row["version"])]
                             + [_cell(float(row[m]), None, sc) for m, _, _, sc in metrics])
            widths = [max(len(r[i]) for r in table) for i in range(len(headings))]
            for n, r in enumerate(table):
                print("  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths))).rstrip())
                if n == 0:
                    print("  ".join("-" * w for w in widths))
            print(f"{len(df)} runs in {args.path}")
            return 0
        if args.store_command == "show":
            try:
                run = store.result(args.key)
            except KeyError as error:
                raise _UsageError(f"argument KEY: {error.args[0]}") from None
            if args.json:
                print(json.dumps({"key": run["key"], "summary": run["summary"], "scenario": run["scenario"],
                                  "timeseries_rows": len(run["timeseries"]), "events_rows": len(run["events"])}))
                return 0
            from . import output
            from .scenario import Scenario

            print(f"key: {run['key']}")
            print(f"scenario: {Scenario._trusted(run['scenario'])!r}")
            print(f"timeseries: {len(run['timeseries'])} rows; events: {len(run['events'])} rows\n")
            sys.stdout.write(output.format_summary(run["summary"], run["scenario"]))
            return 0
        # export
        df = store.results()
        try:
            df.to_csv(args.out, index=False)
        except OSError as error:
            raise _UsageError(f"argument --out: cannot write {args.out}: {error}") from None
        print(f"{len(df)} runs written to {args.out}", file=sys.stderr)
        return 0
    finally:
        store.close()


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
        The exit status: 0 success, 1 no feasible answer (``plan``), 2 invalid input or usage,
        130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "store":
            return _store(args)
        if args.command == "routes":
            from . import routes

            return routes.run(args)
        if args.command == "testbed":
            from .testbed import cli as testbed_cli

            return testbed_cli.run(args)
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
