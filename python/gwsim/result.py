"""What :func:`gwsim.run` returns: the run's records, with pandas views and plots.

A :class:`Result` is the plain dict the simulator produces (``"summary"``,
``"timeseries"``, ``"events"``, ``"scenario"``: so ``result["summary"]`` and
JSON serialisation work as for any dict) plus attributes that give the same
data the way notebooks want it: ``result.summary`` (a dict of scalars),
``result.timeseries`` and ``result.events`` (pandas DataFrames, built once on
first use), and ``result.plot_memory()`` / ``result.plot_latency()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["Result"]


class Result(dict):
    """One simulated run (see the module docstring)."""

    @property
    def summary(self) -> dict[str, Any]:
        """Summary scalars, units in the names (``*_s`` seconds, ``*_bytes`` bytes)."""
        return self["summary"]

    @property
    def scenario(self) -> dict[str, Any]:
        """The complete scenario that was run."""
        return self["scenario"]

    @property
    def timeseries(self) -> pd.DataFrame:
        """The sampled time series as a DataFrame: one row per (time, node,
        worker), ``worker == -1`` for the whole pod."""
        return self._frame("timeseries")

    @property
    def events(self) -> pd.DataFrame:
        """Admin writes, rebuilds, GC cycles, OOM kills and respawns as a DataFrame."""
        return self._frame("events")

    def _frame(self, key: str) -> pd.DataFrame:
        import pandas as pd

        cache = self.__dict__.setdefault("_frames", {})
        if key not in cache:
            cache[key] = pd.DataFrame(self[key])
        return cache[key]

    def plot_memory(self, **kwargs: Any) -> Any:
        """:func:`gwsim.plots.plot_memory` of this run (keyword arguments passed on)."""
        from .plots import plot_memory

        return plot_memory(self, **kwargs)

    def plot_latency(self, **kwargs: Any) -> Any:
        """:func:`gwsim.plots.plot_latency` of this run (keyword arguments passed on)."""
        from .plots import plot_latency

        return plot_latency(self, **kwargs)

    def __repr__(self) -> str:
        s = self.get("summary", {})
        scenario = self.get("scenario", {})
        parts = [
            f"{s.get('requests', 0):,} requests",
            f"errors {100.0 * s.get('error_rate', 0.0):.2f} %",
            f"p99 {1e3 * s.get('latency_p99_s', 0.0):,.1f} ms",
            f"{s.get('oom_kills', 0)} OOM kills",
            f"peak pod {s.get('peak_pod_memory_bytes', 0.0) / 2**30:.2f} GiB",
        ]
        return f"Result({scenario.get('name', '?')!r}, {scenario.get('strategy', '?')}: {', '.join(parts)})"

    def __reduce__(self) -> tuple[type[Result], tuple[dict[str, Any]]]:
        return (Result, (dict(self),))
