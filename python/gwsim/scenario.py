"""The :class:`Scenario` object: a validated, immutable scenario.

A :class:`Scenario` wraps the dict form of the C++ ``gwsim::gateway::scenario``
(see :mod:`gwsim.api`). Every way of making one goes through the C++
validator (``_core.apply_overrides``), so a Scenario always holds a complete
scenario, every field present, and an invalid field is reported as a
:class:`ValueError` that names it. Scenarios are values: :meth:`Scenario.replace`
returns a new one, equal scenarios compare and hash equal, and
:attr:`Scenario.hash` identifies the exact experiment.

Examples
--------
>>> from gwsim import Scenario
>>> s = Scenario.load("scenarios/quick-look.toml")                 # doctest: +SKIP
>>> s8 = s.replace(cluster__workers_per_node=8)                     # doctest: +SKIP
>>> s8 = s.replace(**{"cluster.workers_per_node": 8})               # the same
>>> s8                                                              # doctest: +SKIP
Scenario('quick-look', full_rebuild; cluster.workers_per_node=8, ...)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any, Union

from . import _core

__all__ = ["Scenario", "canonical_json"]

#: Scenario fields outside any section.
TOP_LEVEL_FIELDS = ("name", "strategy")
#: A repr longer than this is written one field per line.
_REPR_WIDTH = 100


def canonical_json(data: Any) -> str:
    """The canonical JSON text of plain data: sorted keys, no spaces, UTF-8.

    Floats are written with Python's shortest round-trip ``repr``, so equal
    values always give equal text.
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def _sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _validated(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` checked and completed by the C++ validator (ValueError naming the field)."""
    try:
        text = json.dumps(data, allow_nan=True)
    except TypeError as error:
        raise ValueError(f"scenario is not plain data: {error}") from None
    return json.loads(_core.apply_overrides(text, []))


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"cluster.nodes": 1, ...}``: leaves of nested dicts under dotted keys (lists are leaves)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _dotted(key: str) -> str:
    """``"cluster__workers_per_node"`` -> ``"cluster.workers_per_node"``."""
    return key.replace("__", ".")


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    """Set dotted field `key` of nested dict `data` to `value` (sections created when missing)."""
    parts = key.split(".")
    if not all(parts):
        raise ValueError(f"{key!r}: expected a field such as 'cluster.workers_per_node'")
    node = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise ValueError(f"{key}: {'.'.join(parts[: i + 1])} is not a section")
        node = child
    if isinstance(value, Scenario):
        raise ValueError(f"{key}: a Scenario is not a field value")
    node[parts[-1]] = copy.deepcopy(value)


class Scenario:
    """A complete, validated scenario.

    Parameters
    ----------
    data : mapping or Scenario, optional
        A scenario dict (sections ``cluster``, ``routes``, ``traffic``, ...;
        missing fields take their defaults). Default: the default scenario.

    Raises
    ------
    ValueError
        If a field is unknown or invalid; the message names the field.

    Notes
    -----
    ``run.seed`` is part of the scenario: two scenarios that differ only in
    their seed are different experiments and have different :attr:`hash`
    values. :attr:`unseeded_hash` leaves the seed out, for keys that record
    the seed separately (the run store of :mod:`gwsim.store`).
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Union[Mapping[str, Any], "Scenario", None] = None) -> None:
        if isinstance(data, Scenario):
            self._data: dict[str, Any] = copy.deepcopy(data._data)
        elif data is None:
            self._data = json.loads(_core.default_scenario())
        elif isinstance(data, Mapping):
            self._data = _validated(data)
        else:
            raise TypeError(f"Scenario() takes a mapping, got {type(data).__name__}; "
                            "use Scenario.load(path) for a file")
        self._hash: Union[str, None] = None

    # -- construction ------------------------------------------------------

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Scenario":
        """Read and validate a TOML (``.toml``) or JSON (``.json``) scenario file.

        Raises
        ------
        FileNotFoundError
            If `path` does not exist.
        ValueError
            If the file cannot be parsed or a field is unknown or invalid.
        """
        from .api import load_scenario

        return cls._trusted(load_scenario(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """The same as ``Scenario(data)``."""
        return cls(data)

    @classmethod
    def default(cls) -> "Scenario":
        """The default scenario (every field at its default)."""
        return cls()

    @classmethod
    def _trusted(cls, data: dict[str, Any]) -> "Scenario":
        """A Scenario around `data`, already validated and complete (no copy)."""
        self = cls.__new__(cls)
        self._data = data
        self._hash = None
        return self

    def replace(self, **changes: Any) -> "Scenario":
        """A new scenario with some fields changed.

        Parameters
        ----------
        **changes
            Dotted field names to new values, as
            ``replace(**{"cluster.workers_per_node": 8})`` or with a double
            underscore for the dot, ``replace(cluster__workers_per_node=8)``.
            Values may be anything the scenario files accept (numbers,
            ``"250ms"``, ``"8GiB"``, booleans, lists for ``admin.script``).
            Top-level fields are ``name`` and ``strategy``.

        Returns
        -------
        Scenario
            The new, validated scenario; this one is unchanged.

        Raises
        ------
        ValueError
            If a field is unknown or a value is invalid (the message names
            the field).
        """
        data = copy.deepcopy(self._data)
        keys = [_dotted(key) for key in changes]
        for key, value in zip(keys, changes.values()):
            _set(data, key, value)
        try:
            return Scenario(data)
        except ValueError as error:
            message = str(error)
            if any(key in message for key in keys):
                raise
            raise ValueError(f"{', '.join(keys)}: {message}") from None

    # -- access ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a dict (a deep copy: changing it leaves the Scenario alone)."""
        return copy.deepcopy(self._data)

    def to_json(self, indent: Union[int, None] = None) -> str:
        """The scenario as JSON text (keys sorted), readable by :meth:`load` and ``gwsim run``."""
        return json.dumps(self._data, indent=indent, sort_keys=True)

    def get(self, key: str) -> Any:
        """The value of dotted field `key` (``"cluster.workers_per_node"`` or ``"cluster__workers_per_node"``).

        Raises
        ------
        KeyError
            If there is no such field.
        """
        node: Any = self._data
        for part in _dotted(key).split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise KeyError(key)
            node = node[part]
        return copy.deepcopy(node)

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    @property
    def name(self) -> str:
        """The scenario's ``name``."""
        return str(self._data.get("name", ""))

    @property
    def strategy(self) -> str:
        """The rebuild strategy."""
        return str(self._data.get("strategy", ""))

    @property
    def seed(self) -> int:
        """``run.seed``."""
        return int(self._data["run"]["seed"])

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the complete scenario, ``run.seed`` included."""
        if self._hash is None:
            self._hash = _sha256(self._data)
        return self._hash

    @property
    def unseeded_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the complete scenario without ``run.seed``.

        With the seed alongside, it identifies one run (see :mod:`gwsim.store`).
        """
        data = copy.deepcopy(self._data)
        data.get("run", {}).pop("seed", None)
        return _sha256(data)

    def changes(self) -> dict[str, Any]:
        """Dotted fields whose values differ from the defaults (``name`` and ``strategy`` included)."""
        defaults = _flatten(json.loads(_core.default_scenario()))
        return {k: v for k, v in _flatten(self._data).items() if defaults.get(k, _MISSING) != v}

    # -- value semantics ---------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Scenario):
            return self._data == other._data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        diff = {k: v for k, v in self.changes().items() if k not in TOP_LEVEL_FIELDS}
        head = f"Scenario({self.name!r}, {self.strategy}"
        fields = [f"{k}={v!r}" for k, v in diff.items()]
        one_line = head + (f"; {', '.join(fields)}" if fields else "") + ")"
        if len(one_line) <= _REPR_WIDTH:
            return one_line
        return head + ";\n" + "".join(f"    {f},\n" for f in fields) + ")"

    def __copy__(self) -> "Scenario":
        return self

    def __deepcopy__(self, memo: dict) -> "Scenario":
        return self

    def __reduce__(self):
        return (Scenario._trusted, (self._data,))


_MISSING = object()
