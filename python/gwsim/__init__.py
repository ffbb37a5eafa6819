"""gwsim: simulate API-gateway router rebuilds, their memory and their latency.

The package has two layers: ``gwsim._core`` is the compiled simulator (JSON
text in, dicts and numpy arrays out) and the modules here give the Python
face: scenarios (:class:`Scenario`, or plain dicts), :func:`run`, file output (:mod:`gwsim.output`),
plots (:mod:`gwsim.plots`), tuning advice (:func:`plan`, returning a :class:`PlanResult`) and the
command line (:mod:`gwsim.cli`).

Examples
--------
>>> import gwsim
>>> s = gwsim.load_scenario("scenarios/kong-2x-incident.toml")   # doctest: +SKIP
>>> r = gwsim.run(s, overrides=["cluster.workers_per_node=2"])  # doctest: +SKIP
>>> r["summary"]["oom_kills"]                                   # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "__version__",
    "apply_overrides",
    "default_scenario",
    "designs",
    "load_scenario",
    "plan",
    "run",
    "to_dataframes",
    "store",
    "sweep",
    "sweeps",
    "plans",
    "Result",
    "summarize",
    "PlanResult",
    "ResultStore",
    "Scenario",
]


def _build_dir() -> Path:
    """Directory the compiled module is built into.

    ``$GWSIM_BUILD_DIR/python/gwsim`` when the variable is set, otherwise
    ``<repository>/build/python/gwsim`` (this file is
    ``<repository>/python/gwsim/__init__.py``).
    """
    override = os.environ.get("GWSIM_BUILD_DIR")
    if override:
        return Path(override).resolve() / "python" / "gwsim"
    return Path(__file__).resolve().parents[2] / "build" / "python" / "gwsim"


# The pure-Python modules live in the source tree and _core in the build tree:
# one package spread over both directories.
_core_dir = _build_dir()
if str(_core_dir) not in __path__:
    __path__.append(str(_core_dir))

try:
    from . import _core
except ImportError as error:  # pragma: no cover - depends on the checkout's state
    import sys

    raise ImportError(
        f"gwsim's compiled module _core could not be loaded from {_core_dir} "
        f"with {sys.executable} (Python {sys.version.split()[0]}): {error}.\n"
        "Run ./gwsim setup in the repository to build it, and use the "
        "repository's .venv/bin/python (or set GWSIM_BUILD_DIR to another "
        "build directory)."
    ) from error

__version__: str = _core.__version__

from .api import apply_overrides, default_scenario, load_scenario, run, to_dataframes  # noqa: E402
from .result import Result  # noqa: E402
from .scenario import Scenario  # noqa: E402
from . import designs, store, sweeps  # noqa: E402
from .store import ResultStore  # noqa: E402
from .sweeps import summarize, sweep  # noqa: E402
from .plans import PlanResult, plan  # noqa: E402
