"""``gwsim testbed replay``: a saved validation's measurements against the simulator as it is now.

A full validation measures the real gateway for a quarter of an hour, and a shared machine's speed moves
between two of them more than one mechanism moves the predictions. To judge a change of the model or of the
calibration, replay keeps the measured side fixed: it reads a validation report (``report.json``), simulates
each of its experiments again (the same configuration, the harness's share of the cores the report recorded,
seeds 1..k) under a calibration and optional ``section.key=value`` overrides, and compares the medians of
those predictions with the report's measured medians against the validation's targets. Nothing is measured.

The experiment configurations come from the report (reports written since replay exists hold them) or, for
older reports, from the held-out set by name.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

__all__ = ["QUANTITIES", "format_replay", "read_report", "replay"]

#: Report quantities judged by relative error: (report key, target key in validate.TARGETS, label).
QUANTITIES = (("steady_heap_bytes", "steady_heap", "steady heap"), ("peak_heap_bytes", "peak_heap", "peak heap"),
              ("rebuild_mean_s", "rebuild_mean", "rebuild"), ("latency_p99_s", "latency_p99", "p99"))


def read_report(path: Any) -> dict[str, Any]:
    """A validation's report.json (a directory holding one, or the file). ValueError names what is wrong."""
    p = Path(path)
    if p.is_dir():
        p = p / "report.json"
    try:
        report = json.loads(p.read_text())
    except OSError as e:
        raise ValueError(f"cannot read {p}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{p} is not JSON: {e}") from None
    if not isinstance(report, dict) or not isinstance(report.get("experiments"), list) or not report["experiments"]:
        raise ValueError(f"{p} holds no experiments: not a report of gwsim testbed validate")
    for k, e in enumerate(report["experiments"]):
        for key in ("name", "diagnostics", "oom_kills") + tuple(q for q, _, _ in QUANTITIES):
            if key not in e:
                raise ValueError(f"{p}: experiments[{k}] has no {key!r}")
    return report


def _config_of(experiment: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    from .validate import HELD_OUT

    if isinstance(experiment.get("config"), dict):
        return dict(experiment["config"])
    for e in HELD_OUT:
        if e["name"] == experiment["name"]:
            return dict(e["config"])
    return None


def replay(report: Mapping[str, Any], calibration: Mapping[str, Any], seeds: int = 3,
           overrides: Sequence[str] = (), progress: Optional[Callable[[str], None]] = None) -> dict[str, Any]:
    """Simulate every experiment of `report` `seeds` times under `calibration` and `overrides` and compare.

    Returns ``{"seeds", "overrides", "experiments": [{"name", "skipped"?, <quantity>: {"predicted",
    "measured", "error", "met", "was_predicted"}, "oom_kills": {...}}], "met": {label: [met, judged]}}``.
    ``was_predicted`` is the report's own prediction. ValueError for seeds outside [1, 20] or an override the
    scenario refuses (the message names it).
    """
    import gwsim

    from .calibrate import scenario_for
    from .experiment import load_config
    from .validate import TARGETS, _steady_and_peak, rebuild_wall_mean_s, worker_series

    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 20:
        raise ValueError(f"seeds must be an integer in [1, 20], got {seeds!r}")
    out: dict[str, Any] = {"seeds": seeds, "overrides": list(overrides), "experiments": []}
    met = {label: [0, 0] for _, _, label in QUANTITIES}
    met["OOM verdict"] = [0, 0]
    for e in report["experiments"]:
        raw = _config_of(e)
        if raw is None:
            out["experiments"].append({"name": e["name"], "skipped": "no configuration in the report and no "
                                                                     "held-out experiment of that name"})
            continue
        config = load_config(raw)
        cores = float(e["diagnostics"].get("harness_cores", 0.0))
        if progress:
            progress(f"{e['name']}: simulating {seeds} seed{'s' if seeds > 1 else ''}")
        values: dict[str, list[float]] = {q: [] for q, _, _ in QUANTITIES}
        values["oom_kills"] = []
        for k in range(seeds):
            scenario = scenario_for(config, calibration, cores)
            run = gwsim.run(scenario, overrides=list(overrides), seed=k + 1)
            series = worker_series(run["timeseries"])
            steady, peak = _steady_and_peak(series["time_s"], series["heap_bytes"], config["writes"]["start_s"])
            values["steady_heap_bytes"].append(steady)
            values["peak_heap_bytes"].append(peak)
            values["rebuild_mean_s"].append(rebuild_wall_mean_s(run["events"]))
            values["latency_p99_s"].append(float(run["summary"]["latency_p99_s"]))
            values["oom_kills"].append(float(run["summary"]["oom_kills"]))
        row: dict[str, Any] = {"name": e["name"]}
        for q, target, label in QUANTITIES:
            finite = [v for v in values[q] if math.isfinite(v)]
            predicted = statistics.median(finite) if finite else float("nan")
            measured = float(e[q]["measured"])
            error = predicted / measured - 1 if math.isfinite(predicted) and math.isfinite(measured) and measured \
                else float("nan")
            ok = math.isfinite(error) and abs(error) <= TARGETS[target]
            row[q] = {"predicted": predicted, "measured": measured, "error": error, "met": ok,
                      "was_predicted": float(e[q]["predicted"])}
            if math.isfinite(error):
                met[label][0] += int(ok)
                met[label][1] += 1
        kills = statistics.median(values["oom_kills"])
        measured_kills = float(e["oom_kills"]["measured"])
        verdict = (kills > 0) == (measured_kills > 0)
        row["oom_kills"] = {"predicted": kills, "measured": measured_kills, "met": verdict,
                            "was_predicted": float(e["oom_kills"]["predicted"])}
        met["OOM verdict"][0] += int(verdict)
        met["OOM verdict"][1] += 1
        out["experiments"].append(row)
    out["met"] = met
    return out


def format_replay(result: Mapping[str, Any]) -> str:
    """The replay as a table: each cell the prediction's error now (and as the report had it), then the counts."""
    def pct(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{100 * x:+.0f}%"

    lines = [f"Replayed on the report's measured medians ({result['seeds']} seed"
             f"{'s' if result['seeds'] > 1 else ''} per experiment"
             + (f"; overrides: {', '.join(result['overrides'])}" if result["overrides"] else "") + ").",
             "Each cell: relative error of the predicted median now (in the report), * where a target is met.", ""]
    header = f"{'experiment':<34}" + "".join(f"{label:>22}" for _, _, label in QUANTITIES) + f"{'OOM kills':>16}"
    lines += [header, "-" * len(header)]
    for row in result["experiments"]:
        if "skipped" in row:
            lines.append(f"{row['name']:<34}  skipped: {row['skipped']}")
            continue
        cells = ""
        for q, _, _ in QUANTITIES:
            c = row[q]
            was = c["was_predicted"] / c["measured"] - 1 if c["measured"] else float("nan")
            cells += f"{pct(c['error']) + ('*' if c['met'] else ' ') + ' (' + pct(was) + ')':>22}"
        o = row["oom_kills"]
        kills = "{:.0f}/{:.0f}{}".format(o["predicted"], o["measured"], "*" if o["met"] else " ")
        cells += f"{kills:>16}"
        lines.append(f"{row['name'][:33]:<34}{cells}")
    lines.append("")
    lines.append("met: " + ", ".join(f"{label} {m} of {n}" for label, (m, n) in result["met"].items()))
    return "\n".join(lines)
