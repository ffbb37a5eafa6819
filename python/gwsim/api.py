"""Scenarios as dicts and the :func:`run` entry point.

A scenario is plain data: the dict form of the C++ ``gwsim::gateway::scenario``
(sections ``cluster``, ``database``, ``routes``, ``traffic``, ``kong``,
``memory``, ``cost``, ``admin``, ``run``; SI units, the unit in each key's
name). The C++ side parses and validates it; nothing here duplicates that.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result
    from .scenario import Scenario

__all__ = [
    "apply_overrides",
    "default_scenario",
    "load_scenario",
    "run",
    "scenario_dict",
    "to_dataframes",
]

#: What the entry points accept as a scenario: a :class:`gwsim.Scenario`, a
#: scenario dict, or the path of a scenario file.
ScenarioLike = Union["Scenario", Mapping[str, Any], str, "os.PathLike[str]"]


def scenario_dict(scenario: ScenarioLike) -> dict[str, Any]:
    """The complete, validated scenario dict of any :data:`ScenarioLike`.

    A :class:`gwsim.Scenario` gives a copy of its dict, a mapping is validated
    (defaults filled in), anything else is read as a scenario file.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    ValueError
        If a field is unknown or invalid.
    """
    from .scenario import Scenario

    if isinstance(scenario, Scenario):
        return scenario.to_dict()
    if isinstance(scenario, Mapping):
        return json.loads(_core.apply_overrides(json.dumps(dict(scenario)), []))
    return load_scenario(scenario)


def load_scenario(path: Union[str, "os.PathLike[str]"]) -> dict[str, Any]:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : str or path-like
        A TOML (``.toml``) or JSON (``.json``) scenario file.

    Returns
    -------
    dict
        The complete scenario, every field present (defaults filled in).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file cannot be parsed or a field is unknown or invalid; the
        message names the field.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"scenario file not found: {os.fspath(path)}")
    return json.loads(_core.load_scenario(os.fspath(p)))


def default_scenario() -> dict[str, Any]:
    """Return the default scenario (every field at its default) as a dict."""
    return json.loads(_core.default_scenario())


def apply_overrides(scenario: Union["Scenario", Mapping[str, Any]], assignments: Iterable[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` assignments to a scenario.

    Parameters
    ----------
    scenario : Scenario or mapping
        A :class:`gwsim.Scenario` or scenario dict (it is not modified).
    assignments : iterable of str
        Assignments such as ``"traffic.rate_per_s=500"`` or
        ``"cluster.pod_memory_limit_bytes=8GiB"``, applied in order.

    Returns
    -------
    dict
        The new, validated scenario.

    Raises
    ------
    ValueError
        If an assignment is malformed, names an unknown field, or leaves the
        scenario invalid.
    """
    from .scenario import Scenario

    if isinstance(scenario, Scenario):
        scenario = scenario.to_dict()
    return json.loads(_core.apply_overrides(json.dumps(scenario), list(assignments)))


def run(
    scenario: ScenarioLike,
    *,
    overrides: Iterable[str] = (),
    seed: Optional[int] = None,
    progress: Optional[Callable[[float], None]] = None,
) -> "Result":
    """Simulate a scenario.

    Parameters
    ----------
    scenario : Scenario, mapping, str or path-like
        A :class:`gwsim.Scenario`, a scenario dict, or the path of a scenario file.
    overrides : iterable of str, optional
        ``section.key=value`` assignments applied before the run.
    seed : int, optional
        Replaces ``run.seed``. The same scenario and seed give identical
        results (apart from ``wall_time_s``).
    progress : callable, optional
        Called with the fraction of simulated time done, about every 1%.

    Returns
    -------
    Result
        A dict (:class:`gwsim.result.Result`) with ``result.summary``,
        ``result.timeseries`` and ``result.events`` as pandas views and
        ``result.plot_memory()`` / ``result.plot_latency()``; its keys:
        ``"summary"``: scalars, units in the names (``*_s`` seconds,
        ``*_bytes`` bytes, rates and utilisations as fractions);
        ``"timeseries"``: numpy columns sampled every ``run.sample_interval_s``,
        one row per (time, node, worker), ``worker == -1`` for the whole pod;
        ``"events"``: list columns of admin writes, rebuilds, GC cycles, OOM
        kills and respawns; ``"scenario"``: the scenario dict that was run.

    Raises
    ------
    ValueError
        If the scenario or an override is invalid.
    """
    from .result import Result
    from .scenario import Scenario

    if isinstance(scenario, Scenario):
        s = scenario.to_dict()
    else:
        s = dict(scenario) if isinstance(scenario, Mapping) else load_scenario(scenario)
    assignments = list(overrides)
    if seed is not None:
        assignments.append(f"run.seed={int(seed)}")
    text = _core.apply_overrides(json.dumps(s), assignments)
    result = _core.run(text, progress)
    result["scenario"] = json.loads(text)
    return Result(result)


def to_dataframes(result: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a :func:`run` result into pandas objects.

    Returns
    -------
    dict
        ``"summary"`` (a Series), ``"timeseries"`` and ``"events"``
        (DataFrames).
    """
    import pandas as pd

    return {
        "summary": pd.Series(result["summary"]),
        "timeseries": pd.DataFrame(result["timeseries"]),
        "events": pd.DataFrame(result["events"]),
    }
