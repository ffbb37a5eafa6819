"""Sampled experimental designs: Latin hypercubes and random points.

A design is a pandas DataFrame of points, one column per dotted scenario
field and one row per point, that :func:`gwsim.sweep` runs with
``samples=design`` (instead of a full-factorial ``grid``). Each field is
given as a ``(low, high)`` range or as a list of choices:

- a range of a field whose default value is an integer (e.g.
  ``cluster.workers_per_node``) gives integers in ``[low, high]``, each
  equally likely (the C++ validator rejects a float for an integer field);
- any other range gives floats in ``[low, high)``, uniform, or log-uniform
  when the field is in `log` (``low > 0`` then);
- a list gives its elements, each equally likely.

The same arguments and seed always give the same design.

Examples
--------
>>> from gwsim import designs, sweep
>>> design = designs.latin_hypercube(                               # doctest: +SKIP
...     {"traffic.rate_per_s": (50, 500), "cluster.workers_per_node": (1, 8),
...      "kong.worker_consistency": ["strict", "eventual"]},
...     n=20, seed=1, log=["traffic.rate_per_s"])
>>> df = sweep("scenarios/quick-look.toml", samples=design, replications=3)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _core

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["latin_hypercube", "random_design"]

Ranges = Mapping[str, Union[tuple[float, float], Sequence[Any]]]


class _Dimension:
    """One design column: maps a uniform draw in [0, 1) to a field value."""

    def __init__(self, key: str, spec: Any, integer: bool, log: bool):
        self.key = key
        self.choices: Optional[list[Any]] = None
        self.integer = False
        self.log = log
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(f"{key}: a range is a (low, high) pair, got {spec!r}")
            low, high = spec
            for bound in (low, high):
                if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
                    raise ValueError(f"{key}: range bounds must be finite numbers, got {spec!r}")
            if not low < high:
                raise ValueError(f"{key}: range needs low < high, got {spec!r}")
            if log and low <= 0:
                raise ValueError(f"{key}: a log-scale range needs low > 0, got {spec!r}")
            self.low, self.high = float(low), float(high)
            if integer:
                if not (float(low).is_integer() and float(high).is_integer()):
                    raise ValueError(f"{key}: the field is an integer; give integer bounds, got {spec!r}")
                self.integer = True
        elif isinstance(spec, (list, Sequence)) and not isinstance(spec, (str, bytes)):
            if log:
                raise ValueError(f"{key}: log scale applies to ranges, not to a list of choices")
            self.choices = list(spec)
            if not self.choices:
                raise ValueError(f"{key}: empty list of choices")
        else:
            raise ValueError(f"{key}: expected a (low, high) tuple or a list of choices, got {spec!r}")

    def values(self, u):
        """Field values for uniform draws `u` (a numpy array in [0, 1))."""
        import numpy as np

        if self.choices is not None:
            index = np.minimum((u * len(self.choices)).astype(np.int64), len(self.choices) - 1)
            return [self.choices[i] for i in index]
        if self.integer:
            low, high = int(self.low), int(self.high)
            if self.log:
                # log-uniform over [low, high + 1), then down to the integer below
                x = np.exp(np.log(low) + u * (np.log(high + 1) - np.log(low)))
            else:
                x = low + u * (high - low + 1)
            return np.minimum(np.floor(x).astype(np.int64), high)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)


def _default_value(defaults: Mapping[str, Any], key: str) -> Any:
    node: Any = defaults
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ValueError(f"{key}: no such scenario field")
        node = node[part]
    return node


def _dimensions(ranges: Ranges, log: Union[bool, Collection[str]], scenario: Any) -> list[_Dimension]:
    from .api import scenario_dict

    if not isinstance(ranges, Mapping) or not ranges:
        raise ValueError("ranges must be a non-empty mapping of scenario fields to (low, high) or choices")
    base = json.loads(_core.default_scenario()) if scenario is None else scenario_dict(scenario)
    if isinstance(log, bool):
        log_keys = set(ranges) if log else set()
    elif isinstance(log, (str, bytes)) or not isinstance(log, Iterable):
        raise ValueError(f"log must be a bool or a collection of field names, got {log!r}")
    else:
        log_keys = set(log)
        unknown = log_keys - set(ranges)
        if unknown:
            raise ValueError(f"log names fields without a range: {', '.join(sorted(unknown))}")
    dims = []
    for key, spec in ranges.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"design key {key!r}: expected a dotted scenario field")
        if key == "run.seed":
            raise ValueError("run.seed: seeds are set by sweep(seed=..., replications=...)")
        default = _default_value(base, key)
        integer = isinstance(default, int) and not isinstance(default, bool)
        if isinstance(log, bool):
            use_log = log and isinstance(spec, tuple)  # log=True: every range, choices as they are
        else:
            use_log = key in log_keys
        dims.append(_Dimension(key, spec, integer, use_log))
    return dims


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return n


def _frame(dims: list[_Dimension], unit, kind: str, seed: int):
    import pandas as pd

    df = pd.DataFrame({d.key: d.values(unit[:, j]) for j, d in enumerate(dims)})
    df.attrs["design"] = kind
    df.attrs["seed"] = seed
    return df


def latin_hypercube(
    ranges: Ranges,
    n: int,
    seed: int = 1,
    log: Union[bool, Collection[str]] = False,
    scenario: Any = None,
) -> pd.DataFrame:
    """A Latin hypercube design of `n` points.

    Each dimension's unit interval is cut into `n` equal strata and every
    stratum holds exactly one point, at a uniform position within it; the
    strata are paired across dimensions by independent random permutations.

    Parameters
    ----------
    ranges : mapping of str to (low, high) or list
        Dotted scenario fields to a ``(low, high)`` tuple (a range) or a list
        of choices (see the module documentation).
    n : int
        Number of points, >= 1.
    seed : int, default 1
        Seed of :func:`numpy.random.default_rng`; the same seed gives the
        same design.
    log : bool or collection of str, default False
        Fields sampled on a log scale (all ranges when True).
    scenario : Scenario, mapping, str or path-like, optional
        The scenario whose field types decide which ranges are integers.
        Default: the default scenario (the types do not depend on values).

    Returns
    -------
    pandas.DataFrame
        One row per point, one column per field in `ranges` order.
        ``attrs["design"] == "latin_hypercube"``, ``attrs["seed"]``.

    Raises
    ------
    ValueError
        If a field does not exist, a range or list is malformed, or `n` < 1;
        the message names the field.
    """
    import numpy as np

    n = _check_n(n)
    dims = _dimensions(ranges, log, scenario)
    rng = np.random.default_rng(seed)
    unit = np.empty((n, len(dims)))
    for j in range(len(dims)):
        unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return _frame(dims, unit, "latin_hypercube", seed)


def random_design(
    ranges: Ranges,
    n: int,
    seed: int = 1,
    log: Union[bool, Collection[str]] = False,
    scenario: Any = None,
) -> pd.DataFrame:
    """`n` independent uniformly random points (arguments as :func:`latin_hypercube`).

    Returns
    -------
    pandas.DataFrame
        One row per point, one column per field; ``attrs["design"] == "random"``.
    """
    import numpy as np

    n = _check_n(n)
    dims = _dimensions(ranges, log, scenario)
    rng = np.random.default_rng(seed)
    return _frame(dims, rng.random((n, len(dims))), "random", seed)
