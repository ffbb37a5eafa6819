"""Tuning advice: the best value of a scenario field that meets targets, with confidence.

:func:`plan` answers questions such as "what is the smallest pod memory limit
with no OOM kills and p99 under 500 ms?" or "which worker count and update
frequency give the lowest p99 without OOM kills?". It simulates candidate
values, `replications` runs each with common random numbers (through
:func:`gwsim.sweep`, so a run store is reused), accepts a candidate only when
every constraint holds with the stated confidence, and explains its answer.

Two searches:

* **Bisection** (``objective="min FIELD"`` or ``"max FIELD"``) for one numeric
  field on which feasibility is assumed monotone: for ``min``, if a value meets
  the constraints every larger value does too (more memory never causes an OOM
  kill); for ``max``, every smaller value does. A bracket is found first
  (from ``low``/``high`` when given; for ``cluster.pod_memory_limit_bytes``
  from the closed-form typical quiet pod and pod bound of
  :func:`gwsim.analyze.predict`; otherwise from the scenario's value), by
  halving or doubling until one end is infeasible and the other feasible,
  then bisected until the bracket is narrower than ``tolerance`` times the
  feasible end. Integer fields bisect over integers, byte fields over whole
  MiB. The assumption is checked on the probes: a feasible probe on the
  infeasible side of an infeasible one gives a warning.
* **Grid search** (``objective={"FIELD": [values], ...}``) over the Cartesian
  product of a few values; the feasible points are ordered by ``best``
  (default ``"min latency_p99_s"``), and the result names the runner-up and
  says why every other point was rejected (which constraint, by how much).

Constraints are strings ``"METRIC OP NUMBER"``: METRIC a summary scalar of
:func:`gwsim.run` (``oom_kills``, ``latency_p99_s``, ``error_rate`` ...), OP
one of ``<``, ``<=``, ``==``, ``>=``, ``>``. How each is checked with
confidence ``c`` over ``R`` runs:

* ``==``: every one of the R runs must give exactly NUMBER. With no exception
  in R runs, the per-run probability of an exception is at most
  ``-ln(1 - c) / R`` at confidence c (the rule of three: ``3/R`` at 95%),
  which the explanation states.
* ``<``, ``<=``: the upper end of the one-sided ``c`` Student-t interval of
  the mean, ``mean + t_{c,R-1} s / sqrt(R)``, must be below NUMBER.
* ``>``, ``>=``: the lower end, ``mean - t_{c,R-1} s / sqrt(R)``, must be
  above NUMBER.

The confidence is per candidate and per constraint (the probes are not
corrected for multiple comparisons).

Examples
--------
>>> import gwsim
>>> s = gwsim.apply_overrides(gwsim.load_scenario("scenarios/kong-2x-incident.toml"),   # doctest: +SKIP
...                           ["strategy=incremental", "kong.worker_consistency=eventual"])
>>> p = gwsim.plan(s, objective="min cluster.pod_memory_limit_bytes",      # doctest: +SKIP
...                constraints=["oom_kills == 0", "latency_p99_s < 1"], replications=3)
>>> p.answer                                                                # doctest: +SKIP
{'cluster.pod_memory_limit_bytes': 5358223360.0}
>>> print(p)                                                                # doctest: +SKIP
>>> p.plot(path="plan.png")                                                 # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import re
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .api import ScenarioLike, apply_overrides, run, scenario_dict
from .output import format_bytes
from .sweeps import _format_value, _plain, sweep, t_quantile

__all__ = ["Constraint", "InfeasiblePlanError", "PlanResult", "parse_constraint", "plan"]

_MIB = float(1 << 20)
_OPERATORS = ("<=", ">=", "==", "<", ">")
_CONSTRAINT_RE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|<|>)\s*"
    r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


# --------------------------------------------------------------------------
# Names, units and formatting


@functools.lru_cache(maxsize=1)
def summary_metrics() -> tuple[str, ...]:
    """Names of the summary scalars of :func:`gwsim.run`, sorted.

    Found by simulating one millisecond of a one-route scenario, so the list is
    always the compiled simulator's own.
    """
    from .api import default_scenario

    tiny = apply_overrides(default_scenario(), [
        "run.duration_s=1ms", "run.sample_interval_s=1ms", "routes.routes=1", "routes.services=1",
        "traffic.rate_per_s=1", "admin.script=[]", "admin.loops=[]",
    ])
    return tuple(sorted(k for k, v in run(tiny)["summary"].items()
                        if isinstance(v, (int, float)) and not isinstance(v, bool)))


def _flat_fields(scenario: Mapping[str, Any]) -> dict[str, Any]:
    from .scenario import _flatten

    return _flatten(scenario)


def _numeric_fields(scenario: Mapping[str, Any]) -> list[str]:
    return sorted(k for k, v in _flat_fields(scenario).items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "run.seed")


def _fmt(name: str, value: Any) -> str:
    """`value` of field or metric `name` with the unit its name implies."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    v = float(value)
    if math.isnan(v):
        return "-"
    if name.endswith("_bytes"):
        return format_bytes(v)
    if name.endswith("_s"):
        if math.isinf(v):
            return str(v)
        return f"{v * 1e3:.3g} ms" if abs(v) < 1 else f"{v:.4g} s"
    if name in ("error_rate",) or name.endswith("_utilization"):
        return f"{v * 100:.3g} %"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:.4g}"


def _unit_scale(name: str, values: Sequence[float]) -> tuple[str, float]:
    """(unit, factor) to plot `name`'s values in readable units."""
    if name.endswith("_bytes"):
        top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
        return ("GiB", 1.0 / 2**30) if top >= 2**30 else ("MiB", 1.0 / _MIB)
    if name.endswith("_s"):
        top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
        return ("ms", 1e3) if top < 1 else ("s", 1.0)
    if name in ("error_rate",) or name.endswith("_utilization"):
        return "%", 100.0
    return "", 1.0


# --------------------------------------------------------------------------
# Constraints


@dataclass(frozen=True)
class Constraint:
    """One target on a summary metric: ``metric op threshold``."""

    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


def parse_constraint(text: str, metrics: Optional[Sequence[str]] = None) -> Constraint:
    """Parse ``"METRIC OP NUMBER"`` (OP one of ``< <= == >= >``).

    Parameters
    ----------
    text : str
        The constraint, e.g. ``"latency_p99_s < 0.5"``.
    metrics : sequence of str, optional
        The known metric names (default: :func:`summary_metrics`).

    Raises
    ------
    ValueError
        Naming the constraint, if it does not match the grammar, the number is
        not finite, or the metric is unknown (the known ones are listed).
    """
    if not isinstance(text, str):
        raise ValueError(f"constraint {text!r}: expected a string such as 'oom_kills == 0'")
    m = _CONSTRAINT_RE.match(text)
    if not m:
        raise ValueError(f"constraint {text!r}: expected METRIC OP NUMBER with OP one of "
                         f"{' '.join(_OPERATORS)}, e.g. 'latency_p99_s < 0.5' or 'oom_kills == 0'")
    metric, op, number = m.group(1), m.group(2), float(m.group(3))
    if not math.isfinite(number):
        raise ValueError(f"constraint {text!r}: the threshold must be a finite number")
    known = summary_metrics() if metrics is None else metrics
    if metric not in known:
        raise ValueError(f"constraint {text!r}: unknown metric {metric!r}; known metrics: {', '.join(known)}")
    return Constraint(metric, op, number)


@dataclass
class _Check:
    """How one constraint fared at one probe."""

    constraint: Constraint
    ok: bool
    mean: float
    bound: float        # one-sided confidence bound (==: the mean)
    exceptions: int     # ==: runs not equal to the threshold
    runs: int
    violation: float    # 0 when ok; else how far off, relative (==: fraction of runs)
    margin: float       # in metric units, > 0 when ok (==: 0)

    def describe(self) -> str:
        c = self.constraint
        if c.op == "==":
            if self.ok:
                return f"{c.metric} was {_fmt(c.metric, c.threshold)} in all {self.runs} runs"
            return (f"{c} failed in {self.exceptions} of {self.runs} runs "
                    f"(mean {_fmt(c.metric, self.mean)})")
        side = "upper" if c.op in ("<", "<=") else "lower"
        if math.isnan(self.bound):
            return f"{c}: the metric is undefined in some runs"
        if self.ok:
            return (f"{c.metric} {side} bound {_fmt(c.metric, self.bound)} {c.op} {_fmt(c.metric, c.threshold)} "
                    f"(margin {_fmt(c.metric, self.margin)})")
        return (f"{c} failed: {side} bound {_fmt(c.metric, self.bound)} "
                f"(mean {_fmt(c.metric, self.mean)}), off by {_fmt(c.metric, abs(self.margin))}")


def _check(constraint: Constraint, values: Sequence[float], confidence: float) -> _Check:
    import numpy as np

    x = np.asarray(values, dtype=float)
    n = int(x.size)
    c = constraint
    mean = float(np.mean(x)) if n else math.nan
    if c.op == "==":
        exceptions = int(np.sum(x != c.threshold))
        return _Check(c, exceptions == 0, mean, mean, exceptions, n, exceptions / max(n, 1), 0.0)
    if n == 0 or np.isnan(x).any():
        return _Check(c, False, mean, math.nan, 0, n, math.inf, -math.inf)
    half = t_quantile(confidence, n - 1) * float(np.std(x, ddof=1)) / math.sqrt(n) if n >= 2 else math.inf
    if c.op in ("<", "<="):
        bound = mean + half
        ok = bound < c.threshold if c.op == "<" else bound <= c.threshold
        margin = c.threshold - bound
    else:
        bound = mean - half
        ok = bound > c.threshold if c.op == ">" else bound >= c.threshold
        margin = bound - c.threshold
    scale = abs(c.threshold) if c.threshold != 0 else max(abs(mean), 1e-300)
    violation = 0.0 if ok else max(-margin, 0.0) / scale
    if not ok and violation == 0.0:
        violation = 1e-12   # on the threshold of a strict inequality
    return _Check(c, bool(ok), mean, bound, 0, n, violation, margin)


def _bound_text(p: float, runs: int, confidence: float) -> str:
    note = f"rule of three, {confidence:.0%}"
    if p >= 0.95:
        return f"{p:.3g} ({note}; vacuous with {runs} runs: use more replications)"
    return f"{p:.2g} ({note})"


def _rule_of_three(runs: int, confidence: float) -> float:
    """Upper confidence bound on a per-run probability after 0 events in `runs` runs."""
    return min(1.0, -math.log(1.0 - confidence) / runs)


# --------------------------------------------------------------------------
# Result


class InfeasiblePlanError(ValueError):
    """No probed candidate met every constraint; :attr:`result` holds the evidence."""

    def __init__(self, message: str, result: "PlanResult") -> None:
        super().__init__(message)
        self.result = result


@dataclass
class PlanResult:
    """What :func:`plan` found and why.

    Attributes
    ----------
    answer : dict or None
        The chosen field values (``None`` when nothing was feasible).
    feasible : bool
        Whether an answer was found.
    method : str
        ``"bisection"`` or ``"grid"``.
    objective : str
        What was optimised, e.g. ``"min cluster.pod_memory_limit_bytes"``.
    fields : list of str
        The searched fields.
    constraints : list of Constraint
    replications : int
        Runs per candidate (common random numbers: the same seeds everywhere).
    confidence : float
    evidence : pandas.DataFrame
        One row per probed candidate in probe order: the field values,
        ``probe`` (0-based), ``phase`` (``bracket``, ``bisect`` or ``grid``),
        ``feasible``, ``failed`` (the failed constraints, readable), and for
        every constraint metric (and the `best` metric) ``<metric>_mean``,
        ``<metric>_ci`` (two-sided half-width at `confidence`) and, per
        constraint, ``<metric>_bound`` (the one-sided bound that was compared).
    runs : pandas.DataFrame
        Every run (as :func:`gwsim.sweep` returns them).
    binding : str or None
        The constraint that limits the answer: for bisection the one that
        failed at the neighbouring infeasible probe, for a grid the one with
        the smallest relative margin at the answer.
    margin : str or None
        The binding constraint's state at the answer, readable.
    runner_up : dict or None
        Grid search: the second-best feasible point.
    warnings : list of str
        Monotonicity violations, a bracket edge taken as the answer, etc.
    explanation : str
        A few sentences: what was searched, how many runs, the answer, the
        binding constraint and margin, and the confidence statement.
    wall_time_s : float
        Time the search took.
    """

    answer: Optional[dict[str, Any]]
    feasible: bool
    method: str
    objective: str
    fields: list[str]
    constraints: list[Constraint]
    replications: int
    confidence: float
    evidence: Any
    runs: Any
    binding: Optional[str] = None
    margin: Optional[str] = None
    runner_up: Optional[dict[str, Any]] = None
    warnings: list[str] = field(default_factory=list)
    explanation: str = ""
    wall_time_s: float = 0.0
    best: Optional[str] = None
    _checks: list[list[_Check]] = field(default_factory=list, repr=False)
    _answer_probe: Optional[int] = field(default=None, repr=False)

    @property
    def n_runs(self) -> int:
        """Simulation runs behind the answer (including any read from a store)."""
        return int(len(self.runs)) if self.runs is not None else 0

    def table(self) -> str:
        """The probes as a compact text table with units."""
        ev = self.evidence
        metrics = list(dict.fromkeys(c.metric for c in self.constraints))
        if self.best and self.best not in metrics and self.best not in self.fields:
            metrics.append(self.best)
        heads = ["#"] + self.fields + ["ok"] + [f"{m} (mean ± ci)" for m in metrics] + ["why rejected"]
        rows = [heads]
        for _, r in ev.iterrows():
            cells = [str(int(r["probe"]))] + [_fmt(f, r[f]) for f in self.fields]
            mark = "yes" if r["feasible"] else "no"
            if self._answer_probe is not None and int(r["probe"]) == self._answer_probe:
                mark = "yes*"
            cells.append(mark)
            for m in metrics:
                ci = r[f"{m}_ci"]
                text = _fmt(m, r[f"{m}_mean"])
                if isinstance(ci, float) and math.isfinite(ci):
                    text += f" ± {_fmt(m, ci)}"
                cells.append(text)
            cells.append(r["failed"] or "")
            rows.append(cells)
        widths = [max(len(row[i]) for row in rows) for i in range(len(heads))]
        lines = []
        for n, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        star = "* the answer; " if self._answer_probe is not None else ""
        lines.append(f"{star}± is the two-sided {self.confidence:.0%} Student-t half-width over "
                     f"{self.replications} runs (common random numbers)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explanation + "\n\n" + self.table() + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the answer, the explanation and every probe."""

        def plain(v: Any) -> Any:
            if hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()
            if isinstance(v, float) and not math.isfinite(v):
                return None
            return v

        probes = [{k: plain(v) for k, v in rec.items()} for rec in self.evidence.to_dict(orient="records")]
        return {
            "answer": self.answer,
            "feasible": self.feasible,
            "method": self.method,
            "objective": self.objective,
            "best": self.best,
            "constraints": [str(c) for c in self.constraints],
            "replications": self.replications,
            "confidence": self.confidence,
            "runs": self.n_runs,
            "binding": self.binding,
            "margin": self.margin,
            "runner_up": self.runner_up,
            "warnings": list(self.warnings),
            "explanation": self.explanation,
            "wall_time_s": self.wall_time_s,
            "probes": probes,
        }

    def plot(self, metric: Optional[str] = None, *, path: Any = None, dpi: int = 120) -> Any:
        """The probed values against a constraint metric, with CIs and the threshold.

        Parameters
        ----------
        metric : str, optional
            The metric to plot (default: the binding constraint's, else the
            first constraint's).
        path : str or path-like, optional
            Also save the figure there.
        dpi : int, default 120
            Resolution when saving.

        Returns
        -------
        matplotlib.figure.Figure
            One panel: the metric's mean at every probe with two-sided
            confidence-interval error bars, feasible probes filled, infeasible
            hollow, the threshold as a dashed line and the answer marked.
        """
        from matplotlib.figure import Figure

        if metric is None:
            names = [c.metric for c in self.constraints]
            metric = next((c.metric for c in self.constraints if str(c) == self.binding), names[0])
        if f"{metric}_mean" not in self.evidence.columns:
            raise ValueError(f"metric {metric!r} was not recorded; recorded: "
                             f"{', '.join(c[:-5] for c in self.evidence.columns if c.endswith('_mean'))}")
        ev = self.evidence
        y = ev[f"{metric}_mean"].astype(float).tolist()
        err = ev[f"{metric}_ci"].astype(float).fillna(0.0).tolist()
        thresholds = [c.threshold for c in self.constraints if c.metric == metric]
        y_unit, y_scale = _unit_scale(metric, y + thresholds)
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        ax = fig.subplots()
        if self.method == "bisection":
            f = self.fields[0]
            xs = ev[f].astype(float).tolist()
            x_unit, x_scale = _unit_scale(f, xs)
            x = [v * x_scale for v in xs]
            ax.set_xlabel(f"{f}" + (f" ({x_unit})" if x_unit else ""))
        else:
            x = list(range(len(ev)))
            labels = [", ".join(_fmt(f, r[f]) for f in self.fields) for _, r in ev.iterrows()]
            ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
            ax.set_xlabel(" / ".join(self.fields))
        feasible = ev["feasible"].astype(bool).tolist()
        for ok, label, style in ((True, "feasible", {"color": "tab:green"}),
                                 (False, "infeasible", {"color": "tab:red", "mfc": "white"})):
            idx = [i for i, v in enumerate(feasible) if v == ok]
            if idx:
                ax.errorbar([x[i] for i in idx], [y[i] * y_scale for i in idx],
                            yerr=[err[i] * y_scale for i in idx], fmt="o", capsize=3, label=label, **style)
        for c in self.constraints:
            if c.metric == metric:
                ax.axhline(c.threshold * y_scale, color="black", linestyle="--", linewidth=1.0,
                           label=f"threshold: {c}")
        if self._answer_probe is not None:
            i = int(ev.index[ev["probe"] == self._answer_probe][0])
            ax.axvline(x[i], color="tab:blue", linestyle=":", linewidth=1.2, label="answer")
        ax.set_ylabel(f"{metric}, mean per run" + (f" ({y_unit})" if y_unit else ""))
        ax.set_title(f"{self.objective}: {len(ev)} candidates x {self.replications} runs, "
                     f"{self.confidence:.0%} CIs", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(True, alpha=0.3)
        if path is not None:
            fig.savefig(path, dpi=dpi)
        return fig


# --------------------------------------------------------------------------
# Probing


class _Prober:
    """Runs candidates (one small sweep each) and remembers them."""

    def __init__(self, base, fields, constraints, metrics, replications, confidence, seed,
                 workers, client, store, bar):
        self.base = base
        self.fields = fields
        self.constraints = constraints
        self.metrics = metrics
        self.replications = replications
        self.confidence = confidence
        self.seed = seed
        self.workers = workers
        self.client = client
        self.store = store
        self.bar = bar
        self.records: list[dict[str, Any]] = []
        self.checks: list[list[_Check]] = []
        self.frames: list[Any] = []
        self.by_value: dict[Any, int] = {}

    def evaluate(self, df, keys: Sequence[str], phase: str) -> list[int]:
        """Record every grid point of a sweep frame; return their probe indices."""
        import numpy as np

        out = []
        q = (1.0 + self.confidence) / 2.0
        keys = list(keys)
        groups = df.groupby(keys[0] if len(keys) == 1 else keys, sort=False, dropna=False) if keys else [((), df)]
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            record: dict[str, Any] = dict(zip(keys, key))
            record["probe"] = len(self.records)
            record["phase"] = phase
            checks = [_check(c, part[c.metric].to_numpy(dtype=float), self.confidence) for c in self.constraints]
            record["feasible"] = all(ch.ok for ch in checks)
            record["failed"] = "; ".join(ch.describe() for ch in checks if not ch.ok)
            n = len(part)
            for m in self.metrics:
                x = part[m].to_numpy(dtype=float)
                record[f"{m}_mean"] = float(np.mean(x))
                record[f"{m}_ci"] = (t_quantile(q, n - 1) * float(np.std(x, ddof=1)) / math.sqrt(n)
                                     if n >= 2 else math.nan)
            for ch in checks:
                if ch.constraint.op != "==":
                    record[f"{ch.constraint.metric}_bound"] = ch.bound
            self.records.append(record)
            self.checks.append(checks)
            out.append(record["probe"])
        self.frames.append(df)
        return out

    def probe(self, value: Any, phase: str) -> int:
        """Run one value of the single field (cached); return its probe index."""
        if value in self.by_value:
            return self.by_value[value]
        f = self.fields[0]
        df = sweep(self.base, {f: [value]}, replications=self.replications, seed=self.seed, client=self.client,
                   progress=False, workers=self.workers, store=self.store)
        (i,) = self.evaluate(df, [f], phase)
        self.by_value[value] = i
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{_fmt(f, value)}: {'ok' if self.records[i]['feasible'] else 'fails'}")
        return i

    def feasible(self, i: int) -> bool:
        return bool(self.records[i]["feasible"])

    def frame(self):
        import pandas as pd

        ev = pd.DataFrame(self.records)
        runs = pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame()
        return ev, runs


# --------------------------------------------------------------------------
# Objective parsing and field values


def _parse_objective(objective: Any, base: Mapping[str, Any]) -> tuple[str, Any]:
    """("bisection", (direction, field)) or ("grid", {field: values})."""
    flat = _flat_fields(base)
    if isinstance(objective, str):
        parts = objective.split()
        words = {"min": "min", "minimize": "min", "minimise": "min",
                 "max": "max", "maximize": "max", "maximise": "max"}
        if len(parts) != 2 or parts[0].lower() not in words:
            raise ValueError(f"objective {objective!r}: expected 'min FIELD' or 'max FIELD' "
                             "(e.g. 'min cluster.pod_memory_limit_bytes') or a mapping of fields to values")
        direction, name = words[parts[0].lower()], parts[1]
        numeric = _numeric_fields(base)
        if name not in flat:
            raise ValueError(f"objective {objective!r}: unknown field {name!r}; numeric fields: {', '.join(numeric)}")
        if name not in numeric:
            raise ValueError(f"objective {objective!r}: field {name!r} is not numeric (it is {flat[name]!r}); "
                             f"bisection needs one of: {', '.join(numeric)}; search other fields with a grid")
        return "bisection", (direction, name)
    if isinstance(objective, Mapping):
        if not objective:
            raise ValueError("objective: the grid is empty")
        grid = {}
        for name, values in objective.items():
            if name not in flat or name in ("run.seed", "name"):
                known = [k for k in flat if k not in ("run.seed", "name")]
                raise ValueError(f"objective: unknown field {name!r}; fields: {', '.join(known)}")
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
                raise ValueError(f"objective: field {name!r} needs a non-empty list of values, got {values!r}")
            grid[name] = list(values)
        return "grid", grid
    raise ValueError(f"objective {objective!r}: expected 'min FIELD', 'max FIELD' or a mapping of fields to values")


def _field_value(base: Mapping[str, Any], name: str, value: Any, what: str) -> Any:
    """The validated value of `name` after setting it to `value` (units such as 8GiB allowed)."""
    try:
        s = apply_overrides(base, [f"{name}={_format_value(value)}"])
    except ValueError as error:
        raise ValueError(f"{what} {value!r}: {error}") from None
    return _flat_fields(s)[name]


def _parse_best(best: Optional[str], metrics: Sequence[str], fields: Sequence[str]) -> tuple[str, str]:
    """(direction, metric or field) of the grid ordering."""
    text = "min latency_p99_s" if best is None else str(best)
    parts = text.split()
    if len(parts) == 1:
        parts = ["min", parts[0]]
    words = {"min": "min", "minimize": "min", "minimise": "min", "max": "max", "maximize": "max", "maximise": "max"}
    if len(parts) != 2 or parts[0].lower() not in words:
        raise ValueError(f"best {best!r}: expected METRIC, 'min METRIC' or 'max METRIC' (or a grid field)")
    name = parts[1]
    if name not in metrics and name not in fields:
        raise ValueError(f"best {best!r}: unknown metric {name!r}; known metrics: {', '.join(metrics)}; "
                         f"grid fields: {', '.join(fields)}")
    return words[parts[0].lower()], name


# --------------------------------------------------------------------------
# plan


def plan(
    scenario: ScenarioLike,
    objective: Union[str, Mapping[str, Sequence[Any]]],
    constraints: Sequence[str],
    *,
    best: Optional[str] = None,
    low: Any = None,
    high: Any = None,
    tolerance: float = 0.05,
    replications: int = 5,
    confidence: float = 0.95,
    seed: Optional[int] = None,
    max_probes: int = 30,
    workers: Optional[int] = 1,
    client: Any = None,
    store: Any = None,
    progress: bool = False,
) -> PlanResult:
    """Find the best value of scenario fields that meets `constraints` with confidence.

    Parameters
    ----------
    scenario : Scenario, mapping, str or path-like
        The base scenario.
    objective : str or mapping
        ``"min FIELD"`` / ``"max FIELD"`` (also ``minimize``/``maximize``):
        bisection over one numeric field, assumed monotone (see the module
        docstring). Or a mapping of fields to value lists,
        ``{"cluster.workers_per_node": [2, 4, 8], "kong.worker_state_update_frequency_s": ["1s", "5s"]}``:
        a grid search ordered by `best`.
    constraints : sequence of str
        ``"METRIC OP NUMBER"`` each, e.g. ``["oom_kills == 0", "latency_p99_s < 0.5"]``.
    best : str, optional
        Grid search only: ``"min METRIC"``, ``"max METRIC"`` or ``METRIC``
        (minimised), where METRIC is a summary metric (compared by its mean
        over the replications) or a grid field. Default ``"min latency_p99_s"``.
    low, high : optional
        Bisection only: the bracket (values as :func:`gwsim.apply_overrides`
        takes them, e.g. ``"512MiB"``). A given bound is trusted as the edge
        of the search: if the `low` end of a ``min`` search is already
        feasible it is the answer (with a warning), and if the `high` end is
        infeasible the search fails. Missing bounds are guessed (see the
        module docstring) and widened by halving or doubling.
    tolerance : float, default 0.05
        Bisection stops when the bracket is narrower than ``tolerance`` times
        the feasible end (or one step for integer fields, one MiB for byte fields).
    replications : int, default 5
        Runs per candidate, >= 2, the same seeds at every candidate (common
        random numbers).
    confidence : float, default 0.95
        In (0, 1): the confidence with which each constraint must hold.
    seed : int, optional
        Base seed of the replications; default the scenario's ``run.seed``.
    max_probes : int, default 30
        Bisection: at most this many candidates.
    workers, client, store
        As for :func:`gwsim.sweep`: local processes, a Dask client, a run
        store (repeated plans reuse stored runs). `workers` defaults to 1
        here (sequential), not to one process per core as in
        :func:`gwsim.sweep`: a plan runs many small sweeps, one per probe,
        and a new process pool for each would cost more than it saves; pass
        ``workers=None`` for one process per core.
    progress : bool, default False
        Show a tqdm bar over the candidates (bisection) or runs (grid) when
        standard error is a terminal.

    Returns
    -------
    PlanResult
        The answer, the evidence and an explanation; ``str(result)`` prints
        both, :meth:`PlanResult.plot` draws the probes.

    Raises
    ------
    ValueError
        For an unknown field or metric (the message names it and lists the
        known ones), a malformed constraint (named), ``confidence`` outside
        (0, 1), ``replications < 2``, a bad bracket or tolerance.
    InfeasiblePlanError
        (a ValueError) when no candidate meets every constraint: the message
        names the constraint that came closest and the best probe; the
        error's ``result`` attribute holds the evidence.
    """
    started = time.perf_counter()
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2 (confidence bounds need two runs), "
                         f"got {replications!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if not isinstance(tolerance, (int, float)) or not 0.0 < tolerance < 1.0:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance!r}")
    if isinstance(max_probes, bool) or not isinstance(max_probes, int) or max_probes < 2:
        raise ValueError(f"max_probes must be an integer >= 2, got {max_probes!r}")
    if isinstance(constraints, str):
        constraints = [constraints]
    if not constraints:
        raise ValueError("constraints: give at least one, e.g. ['oom_kills == 0']")
    metrics_known = summary_metrics()
    parsed = [parse_constraint(c, metrics_known) for c in constraints]
    base = scenario_dict(scenario)
    if seed is None:
        seed = int(base["run"]["seed"])
    kind, spec = _parse_objective(objective, base)

    if kind == "bisection":
        if best is not None:
            raise ValueError("best: only for a grid objective (bisection optimises its field)")
        direction, name = spec
        fields = [name]
        best_spec = None
    else:
        if low is not None or high is not None:
            raise ValueError("low/high: only for a 'min FIELD' or 'max FIELD' objective")
        fields = list(spec)
        best_spec = _parse_best(best, metrics_known, fields)

    metrics = list(dict.fromkeys([c.metric for c in parsed]
                                 + ([best_spec[1]] if best_spec and best_spec[1] in metrics_known else [])))
    bar = None
    if progress and kind == "bisection" and sys.stderr is not None and getattr(sys.stderr, "isatty", lambda: False)():
        try:
            from tqdm import tqdm

            bar = tqdm(desc="plan", unit=" candidate", file=sys.stderr, leave=False)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            bar = None
    prober = _Prober(base, fields, parsed, metrics, replications, confidence, seed, workers, client, store, bar)
    try:
        if kind == "bisection":
            result = _bisect(prober, base, direction, name, low, high, tolerance, max_probes)
        else:
            result = _grid(prober, base, spec, best_spec, progress)
    finally:
        if bar is not None:
            bar.close()
    result.wall_time_s = time.perf_counter() - started
    result.explanation = result.explanation.replace("{wall}", f"{result.wall_time_s:.1f} s")
    for w in result.warnings:
        warnings.warn(w, RuntimeWarning, stacklevel=2)
    if not result.feasible:
        raise InfeasiblePlanError(result.explanation, result)
    return result


# --------------------------------------------------------------------------
# Bisection


def _bisect(prober: _Prober, base, direction: str, name: str, low: Any, high: Any,
            tolerance: float, max_probes: int) -> PlanResult:
    current = _flat_fields(base)[name]
    integer = isinstance(current, int)
    quantum = 1 if integer else (_MIB if name.endswith("_bytes") else None)

    def snap(v: float) -> Any:
        if quantum is None:
            return float(v)
        if integer:
            return int(round(v))
        return float(max(1, round(v / quantum)) * quantum)

    lo = _field_value(base, name, low, "low") if low is not None else None
    hi = _field_value(base, name, high, "high") if high is not None else None
    if lo is not None and hi is not None and not lo < hi:
        raise ValueError(f"low must be below high, got low={low!r} and high={high!r}")
    notes: list[str] = []
    warns: list[str] = []

    # The ambitious end (what we would like: low for min, high for max) and the safe end.
    user_amb, user_safe = (lo, hi) if direction == "min" else (hi, lo)
    amb_given, safe_given = user_amb is not None, user_safe is not None
    guess_amb, guess_safe = user_amb, user_safe
    if name == "cluster.pod_memory_limit_bytes" and direction == "min":
        from .analyze import predict

        mem = predict(base)["memory"]
        typical, bound = float(mem["typical_quiet_pod_bytes"]), float(mem["pod_bound_bytes"])
        if guess_amb is None and math.isfinite(typical) and typical > 0:
            guess_amb = snap(typical)
            notes.append(f"the bracket starts at the closed-form typical quiet pod, {format_bytes(typical)}")
        if guess_safe is None and math.isfinite(bound) and bound > (guess_amb or 0):
            guess_safe = snap(bound)
            notes.append(f"the closed-form pod bound is {format_bytes(bound)}")
    if guess_amb is None and guess_safe is None:
        guess_amb = current
        notes.append(f"the bracket starts at the scenario's value ({_fmt(name, current)})")

    def toward_safe(v):
        nv = (v * 2 if v > 0 else (1 if integer else 1.0)) if direction == "min" else v / 2
        return snap(nv)

    def toward_amb(v):
        nv = v / 2 if direction == "min" else (v * 2 if v > 0 else 1)
        return snap(nv)

    def limited() -> bool:
        return len(prober.records) >= max_probes

    invalid: dict[Any, str] = {}

    def try_probe(v, phase) -> Optional[int]:
        """Probe `v`; None (and a note) when the validator rejects it: it then counts as infeasible."""
        try:
            apply_overrides(base, [f"{name}={_format_value(v)}"])
        except ValueError as error:
            invalid[v] = str(error)
            return None
        return prober.probe(v, phase)

    def feasible(j: Optional[int]) -> bool:
        return j is not None and prober.feasible(j)

    ok_v = bad_v = None   # the best feasible value so far; the infeasible value next to it
    edge_note = None
    start = guess_amb if guess_amb is not None else guess_safe
    i = prober.probe(start, "bracket")
    if prober.feasible(i):
        ok_v = start
        if amb_given and start == user_amb:
            edge_note = "low" if direction == "min" else "high"
        else:
            v = start
            while bad_v is None and not limited():
                nv = toward_amb(v)
                if nv == v or (direction == "min" and nv <= 0):
                    edge_note = "smallest"
                    break
                if feasible(try_probe(nv, "bracket")):
                    ok_v = v = nv
                else:
                    bad_v = nv
    else:
        bad_v = start
        v = start
        if guess_safe is not None and guess_safe != start:
            j = prober.probe(guess_safe, "bracket")
            if prober.feasible(j):
                ok_v = guess_safe
            elif not safe_given:
                bad_v = v = guess_safe
        if ok_v is None and not safe_given:
            # Widen toward the safe side until feasible; give up when the failures stop shrinking
            # (two steps without progress: more of the field does not help) or after 12 steps.
            def shortfall(k: int) -> tuple[int, float]:
                failing = [ch for ch in prober.checks[k] if not ch.ok]
                return (len(failing), sum(ch.violation for ch in failing))

            last, stalled, steps = shortfall(prober.by_value[v]), 0, 0
            while ok_v is None and not limited() and stalled < 2 and steps < 12:
                nv = toward_safe(v)
                if nv == v:
                    break
                j = try_probe(nv, "bracket")
                steps += 1
                if j is None:
                    break
                if prober.feasible(j):
                    ok_v = nv
                else:
                    bad_v = v = nv
                    now = shortfall(j)
                    stalled = stalled + 1 if now >= last else 0
                    last = min(last, now)
            if ok_v is None and stalled >= 2:
                notes.append(f"widening stopped at {_fmt(name, v)}: the failures did not shrink over the last "
                             "two steps")

    # Bisection between bad_v and ok_v.
    if ok_v is not None and bad_v is not None:
        while not limited():
            width = abs(ok_v - bad_v)
            if width <= tolerance * abs(ok_v) or (quantum is not None and width <= quantum):
                break
            mid = snap((ok_v + bad_v) / 2)
            if mid in (ok_v, bad_v):
                break
            if feasible(try_probe(mid, "bisect")):
                ok_v = mid
            else:
                bad_v = mid
        else:
            warns.append(f"stopped after max_probes={max_probes} candidates before reaching the tolerance")
    elif limited() and ok_v is None:
        warns.append(f"stopped after max_probes={max_probes} candidates without a feasible one")

    if edge_note == "low" or edge_note == "high":
        warns.append(f"the given {edge_note} end {_fmt(name, ok_v)} is already feasible: the optimum may lie "
                     f"beyond it (widen the bracket)")
    elif edge_note == "smallest":
        warns.append(f"{_fmt(name, ok_v)} is feasible and is the edge of the search")

    # Monotonicity, checked per constraint: along the field toward the safe side, once a constraint
    # holds it must keep holding. (Bisection only probes between the best feasible and the worst
    # infeasible value, so the overall verdicts are a step by construction; a single constraint is not.)
    order = sorted(range(len(prober.records)), key=lambda k: prober.records[k][name])
    if direction == "max":
        order.reverse()
    safer = "larger" if direction == "min" else "smaller"
    for n_c, constraint in enumerate(prober.constraints):
        held = None
        for k in order:
            if prober.checks[k][n_c].ok:
                held = held if held is not None else k
            elif held is not None:
                warns.append(
                    f"{constraint} is not monotone in {name}: it held at {_fmt(name, prober.records[held][name])} "
                    f"but not at the {safer} {_fmt(name, prober.records[k][name])}; the search assumes {safer} "
                    "values are safer, so check the answer (e.g. with a grid around it)")
                break

    ev, runs = prober.frame()
    objective = f"{direction} {name}"
    result = PlanResult(
        answer={name: ok_v} if ok_v is not None else None, feasible=ok_v is not None, method="bisection",
        objective=objective, fields=[name], constraints=prober.constraints, replications=prober.replications,
        confidence=prober.confidence, evidence=ev, runs=runs, warnings=warns, _checks=prober.checks,
        _answer_probe=prober.by_value.get(ok_v) if ok_v is not None else None)

    R, c = prober.replications, prober.confidence
    searched = (f"Searched {name} for the {'smallest' if direction == 'min' else 'largest'} value meeting "
                f"{', '.join(str(x) for x in prober.constraints)} by bisection "
                f"(feasibility assumed monotone: {'larger' if direction == 'min' else 'smaller'} values are safer"
                + (f"; {'; '.join(notes)}" if notes else "") + f"): {len(ev)} candidate{'s' * (len(ev) != 1)} "
                f"x {R} runs = "
                f"{len(runs)} runs with common random numbers in {{wall}}.")
    if ok_v is None:
        result.explanation = searched + " " + _infeasible_text(prober)
        return result
    a = prober.by_value[ok_v]
    checks_a = prober.checks[a]
    if bad_v is not None and bad_v in invalid:
        binding = min(checks_a, key=lambda ch: _relative_margin(ch))
        neighbour = (f" The next {'lower' if direction == 'min' else 'higher'} value, {_fmt(name, bad_v)}, "
                     f"is not valid ({invalid[bad_v]}).")
    elif bad_v is not None:
        b = prober.by_value[bad_v]
        failing = [ch for ch in prober.checks[b] if not ch.ok]
        binding = max(failing, key=lambda ch: ch.violation) if failing else None
        neighbour = (f" The next {'lower' if direction == 'min' else 'higher'} candidate, {_fmt(name, bad_v)}, "
                     f"failed: {prober.records[b]['failed']}.")
    else:
        binding = min(checks_a, key=lambda ch: _relative_margin(ch))
        neighbour = ""
    binding_at_answer = next(ch for ch in checks_a if ch.constraint == binding.constraint) if binding else None
    result.binding = str(binding.constraint) if binding else None
    result.margin = binding_at_answer.describe() if binding_at_answer else None
    width = abs(ok_v - bad_v) if bad_v is not None else math.nan
    answer = (f"Answer: {name} = {_fmt(name, ok_v)}"
              + (f" (within {_fmt(name, width)}, {width / abs(ok_v):.1%}, of the boundary)" if bad_v is not None
                 else "") + ".")
    binding_text = (f" The binding constraint is {binding.constraint}; at the answer "
                    f"{binding_at_answer.describe()}." if binding else "")
    result.explanation = " ".join(
        [searched, answer + neighbour + binding_text, _confidence_text(checks_a, R, c)]
        + ([f"Warning: {w}." for w in warns]))
    return result


def _relative_margin(ch: _Check) -> float:
    if ch.constraint.op == "==":
        return math.inf if ch.ok else -ch.violation
    scale = abs(ch.constraint.threshold) if ch.constraint.threshold != 0 else 1.0
    return ch.margin / scale


def _confidence_text(checks: Sequence[_Check], R: int, c: float) -> str:
    parts = []
    for ch in checks:
        k = ch.constraint
        if k.op == "==":
            parts.append(f"{k.metric} was {_fmt(k.metric, k.threshold)} in all {R} runs, so the per-run probability "
                         f"of {k.metric} != {k.threshold:g} is at most {_bound_text(_rule_of_three(R, c), R, c)}")
        else:
            side = "upper" if k.op in ("<", "<=") else "lower"
            parts.append(f"the one-sided {c:.0%} {side} bound of the mean {k.metric} is "
                         f"{_fmt(k.metric, ch.bound)} {k.op} {_fmt(k.metric, k.threshold)}")
    return f"With {c:.0%} confidence per constraint over {R} runs: " + "; ".join(parts) + "."


def _infeasible_text(prober: _Prober) -> str:
    """Which constraint came closest to holding, and the best probe."""
    if not prober.records:
        return "No candidate was run."
    def score(k: int) -> tuple[int, float]:
        failing = [ch for ch in prober.checks[k] if not ch.ok]
        return (len(failing), sum(ch.violation for ch in failing))
    k = min(range(len(prober.records)), key=score)
    rec = prober.records[k]
    where = ", ".join(f"{f} = {_fmt(f, rec[f])}" for f in prober.fields)
    text = f"No candidate met every constraint. The best probe was {where}: {rec['failed']}."
    fails = [(ch.violation, j, ch) for j in range(len(prober.records)) for ch in prober.checks[j] if not ch.ok]
    _, j, closest = min(fails, key=lambda t: (t[0], t[1]))
    if j != k:
        at = ", ".join(f"{f} = {_fmt(f, prober.records[j][f])}" for f in prober.fields)
        text += f" The failure closest to holding was at {at}: {closest.describe()}."
    return text


# --------------------------------------------------------------------------
# Grid search


def _grid(prober: _Prober, base, grid: dict[str, list[Any]], best_spec: tuple[str, str], progress: bool) -> PlanResult:
    import numpy as np

    keys = list(grid)
    df = sweep(base, grid, replications=prober.replications, seed=prober.seed, client=prober.client,
               progress=progress, workers=prober.workers, store=prober.store)
    probes = prober.evaluate(df, keys, "grid")
    ev, runs = prober.frame()
    direction, key = best_spec
    # The ordering value of every point: a metric's mean, or a field's validated value.
    if key in keys:
        score = [_field_value(base, key, prober.records[i][key], key) for i in probes]
    else:
        score = [prober.records[i][f"{key}_mean"] for i in probes]
    sign = 1.0 if direction == "min" else -1.0
    feasible = [i for i in probes if prober.feasible(i)]
    ranked = sorted(feasible, key=lambda i: (sign * float(score[i]), i))
    R, c = prober.replications, prober.confidence
    point = lambda i: {k: _plain(prober.records[i][k]) for k in keys}  # noqa: E731
    where = lambda i: ", ".join(f"{k} = {_fmt(k, prober.records[i][k])}" for k in keys)  # noqa: E731
    objective = f"{direction} {key} over " + " x ".join(f"{k} {grid[k]}" for k in keys)
    result = PlanResult(
        answer=point(ranked[0]) if ranked else None, feasible=bool(ranked), method="grid", objective=objective,
        fields=keys, constraints=prober.constraints, replications=R, confidence=c, evidence=ev, runs=runs,
        best=key, _checks=prober.checks, _answer_probe=ranked[0] if ranked else None)
    searched = (f"Searched the grid {' x '.join(f'{k} in {grid[k]}' for k in keys)} ({len(probes)} points x {R} "
                f"runs = {len(runs)} runs, common random numbers, in {{wall}}) for the {direction}imum "
                f"{'mean ' if key not in keys else ''}{key} meeting {', '.join(str(x) for x in prober.constraints)}.")
    rejected = [i for i in probes if not prober.feasible(i)]
    rejected_text = ""
    if rejected:
        rejected_text = " Rejected: " + "; ".join(f"{where(i)} ({prober.records[i]['failed']})" for i in rejected) + "."
    if not ranked:
        result.explanation = searched + " " + _infeasible_text(prober)
        return result
    a = ranked[0]
    checks_a = prober.checks[a]
    binding = min(checks_a, key=_relative_margin)
    result.binding = str(binding.constraint)
    result.margin = binding.describe()
    answer = f"Answer: {where(a)} ({key} {_fmt(key, score[a])})."
    runner = ""
    if len(ranked) > 1:
        b = ranked[1]
        result.runner_up = point(b)
        runner = f" Runner-up: {where(b)} ({key} {_fmt(key, score[b])})"
        if key not in keys:
            # Paired difference (common random numbers make the runs comparable seed by seed).
            fa = _point_runs(df, keys, prober.records[a])[key].to_numpy(dtype=float)
            fb = _point_runs(df, keys, prober.records[b])[key].to_numpy(dtype=float)
            d = fb - fa
            half = t_quantile((1 + c) / 2, len(d) - 1) * float(np.std(d, ddof=1)) / math.sqrt(len(d))
            diff = float(np.mean(d))
            significant = abs(diff) > half
            if half == 0.0 and diff == 0.0:
                runner += "; identical in every run (a tie broken by grid order)"
            else:
                runner += (f"; the paired difference is {_fmt(key, abs(diff))} ± {_fmt(key, half)} "
                           f"({c:.0%}, {'significant' if significant else 'not significant: statistically tied'})")
        runner += "."
    binding_text = f" The tightest constraint at the answer is {binding.constraint}: {binding.describe()}."
    result.explanation = " ".join([searched, answer + runner + binding_text + rejected_text,
                                   _confidence_text(checks_a, R, c)])
    return result


def _point_runs(df, keys, record):
    mask = None
    for k in keys:
        m = df[k] == record[k]
        mask = m if mask is None else mask & m
    return df[mask].sort_values("replication")
