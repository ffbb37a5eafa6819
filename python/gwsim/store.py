"""A SQLite store for simulation results (standard-library :mod:`sqlite3`).

One database file holds two kinds of content:

- named tables (:meth:`ResultStore.save`, :meth:`ResultStore.load`,
  :meth:`ResultStore.runs`): whole sweep tables from :func:`gwsim.sweep`, or
  the summary of a single :func:`gwsim.run`;
- single runs (:meth:`ResultStore.put_run`, :meth:`ResultStore.results`,
  :meth:`ResultStore.timeseries`, :meth:`ResultStore.events`), keyed by
  (scenario hash without the seed, seed, gwsim version): what
  ``gwsim.sweep(..., store=path)`` looks up before simulating and writes as
  each run completes.

The database is opened in write-ahead-log mode (``PRAGMA journal_mode=WAL``)
so readers can watch a sweep that is writing; each stored run is one
transaction, so a killed writer loses no completed run.

Schema: named tables
--------------------
``runs``: one row per saved result.

=============  =======  ====================================================
column         type     meaning
=============  =======  ====================================================
``id``         INTEGER  primary key, the run id :meth:`ResultStore.save` returns
``name``       TEXT     the name given to :meth:`ResultStore.save`
``created``    TEXT     when it was saved, ISO 8601 UTC (bookkeeping only)
``scenario``   TEXT     the scenario as JSON, or NULL
``columns``    TEXT     JSON list of ``[column name, pandas dtype]``
``n_rows``     INTEGER  number of rows
=============  =======  ====================================================

``rows``: the table itself, one SQLite row per DataFrame row.

=============  =======  ====================================================
``run_id``     INTEGER  ``runs.id`` (deleted with its run)
``row``        INTEGER  0-based row position
``data``       TEXT     JSON list of the row's values, in ``runs.columns`` order
=============  =======  ====================================================

Schema: single runs
-------------------
``run_results``: one row per stored run.

=================  =======  ================================================
column             type     meaning
=================  =======  ================================================
``scenario_hash``  TEXT     :attr:`gwsim.Scenario.unseeded_hash` of the run's
                            scenario (SHA-256 of its canonical JSON without
                            ``run.seed``)
``seed``           INTEGER  the run's seed
``version``        TEXT     ``gwsim._core.__version__`` that simulated it
``name``           TEXT     the scenario's name
``strategy``       TEXT     the scenario's rebuild strategy
``scenario``       TEXT     the complete scenario as JSON, ``run.seed`` = seed
``summary``        TEXT     JSON object of the summary scalars, in run order
``created``        TEXT     when it was stored, ISO 8601 UTC (bookkeeping only)
=================  =======  ================================================

The first three columns are the primary key; as text, a run's key is
``"<scenario_hash>:<seed>:<version>"`` (:func:`run_key`).

``run_frames``: the run's ``timeseries`` and ``events`` (``kind``), one row
each: ``columns`` (JSON list of ``[name, pandas dtype]``), ``n_rows`` and
``data``, the zlib-compressed JSON object of column lists.

Values are stored as JSON (integers exactly, floats with full precision,
NaN as ``NaN``) and the column dtypes are restored on load, so
:meth:`ResultStore.load` gives back an equal frame. Table creation is
idempotent: opening an existing store leaves it as it is. The stored content
is exactly what was saved; the only clock reading is ``runs.created``.

Examples
--------
>>> from gwsim.store import ResultStore
>>> with ResultStore("results.sqlite") as store:          # doctest: +SKIP
...     run_id = store.save(df, "workers sweep")
...     store.runs()
...     again = store.load(run_id)

>>> import gwsim
>>> df = gwsim.sweep("scenarios/quick-look.toml", {"cluster.workers_per_node": [2, 4]},  # doctest: +SKIP
...                  replications=3, store="runs.sqlite")
>>> with gwsim.store.open("runs.sqlite") as store:        # doctest: +SKIP
...     table = store.results()
...     ts = store.timeseries(table["key"][0])
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["ResultStore", "open", "run_key"]

#: ``(scenario hash without the seed, seed, gwsim version)``: one stored run.
RunKey = tuple[str, int, str]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT    NOT NULL,
    created  TEXT    NOT NULL,
    scenario TEXT,
    columns  TEXT    NOT NULL,
    n_rows   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    row    INTEGER NOT NULL,
    data   TEXT    NOT NULL,
    PRIMARY KEY (run_id, row)
);
CREATE TABLE IF NOT EXISTS run_results (
    scenario_hash TEXT    NOT NULL,
    seed          INTEGER NOT NULL,
    version       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    strategy      TEXT    NOT NULL,
    scenario      TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    created       TEXT    NOT NULL,
    PRIMARY KEY (scenario_hash, seed, version)
);
CREATE TABLE IF NOT EXISTS run_frames (
    scenario_hash TEXT    NOT NULL,
    seed          INTEGER NOT NULL,
    version       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    columns       TEXT    NOT NULL,
    n_rows        INTEGER NOT NULL,
    data          BLOB    NOT NULL,
    PRIMARY KEY (scenario_hash, seed, version, kind)
);
"""

#: The frames stored with each run, as in a :func:`gwsim.run` result.
FRAME_KINDS = ("timeseries", "events")
#: Columns of :meth:`ResultStore.results` before the summary scalars.
RESULT_COLUMNS = ["key", "scenario_hash", "seed", "version", "name", "strategy"]


def run_key(scenario_hash: str, seed: int, version: str) -> str:
    """The text form of a run's key: ``"<scenario_hash>:<seed>:<version>"``."""
    return f"{scenario_hash}:{int(seed)}:{version}"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _encode_frame(columns: Mapping[str, Any]) -> tuple[str, int, bytes]:
    """(columns JSON, rows, compressed data) of a dict of columns (numpy arrays or lists)."""
    import pandas as pd

    df = pd.DataFrame(dict(columns))
    names = [str(c) for c in df.columns]
    data = {name: [_plain(v) for v in df[c].tolist()] for name, c in zip(names, df.columns)}
    meta = json.dumps([[name, str(df[c].dtype)] for name, c in zip(names, df.columns)])
    blob = zlib.compress(json.dumps(data, allow_nan=True, separators=(",", ":")).encode("utf-8"), 6)
    return meta, len(df), blob


def _decode_frame(meta: str, blob: bytes):
    import pandas as pd

    columns = json.loads(meta)
    data = json.loads(zlib.decompress(blob).decode("utf-8"))
    df = pd.DataFrame({name: data[name] for name, _ in columns}, columns=[name for name, _ in columns])
    return _restore_dtypes(df, columns)


def _restore_dtypes(df, columns):
    for name, dtype in columns:
        if dtype == "object":
            continue
        try:
            if dtype.startswith(("int", "uint")) and df[name].isna().any():
                continue
            df[name] = df[name].astype(dtype)
        except (TypeError, ValueError):
            pass
    return df



def _plain(value: Any) -> Any:
    """A JSON-serializable Python value for a DataFrame cell."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalars
        except (ValueError, TypeError):
            pass
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _frame(data: Any):
    """A DataFrame from a DataFrame, a :func:`gwsim.run` result or a summary mapping."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame().T.reset_index(drop=True)
    if isinstance(data, Mapping):
        summary = data.get("summary", data)
        if isinstance(summary, Mapping):
            return pd.DataFrame([dict(summary)])
    raise TypeError(f"cannot save {type(data).__name__}: expected a DataFrame or a gwsim.run result")


class ResultStore:
    """Results in a SQLite database file (see the module documentation for the schema).

    Parameters
    ----------
    path : str or path-like
        The database file, created if missing (``":memory:"`` for a
        temporary store).

    The store is a context manager: ``with ResultStore(path) as store: ...``
    commits and closes it on exit. Named tables: :meth:`save`, :meth:`load`,
    :meth:`runs`, :meth:`scenario`, :meth:`delete`. Single runs:
    :meth:`put_run`, :meth:`lookup`, :meth:`results`, :meth:`result`,
    :meth:`timeseries`, :meth:`events`, :meth:`resolve`, :meth:`delete_run`.
    One connection is not meant to be shared between threads or processes;
    open one store per process (readers may open the file while a sweep
    writes to it).
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self.path = os.fspath(path)
        self._conn: Optional[sqlite3.Connection] = sqlite3.connect(self.path, timeout=60.0)
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:" and self.path != "":
            self._conn.execute("PRAGMA journal_mode = WAL")
        with self._conn:
            self._conn.executescript(_SCHEMA)

    # -- lifecycle ---------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("the result store is closed")
        return self._conn

    def close(self) -> None:
        """Commit and close the database (further calls are errors)."""
        if self._conn is not None:
            self._conn.commit()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({self.path!r})"

    # -- writing -----------------------------------------------------------

    def save(self, df_or_result: Any, name: str, scenario: Optional[Mapping[str, Any]] = None) -> int:
        """Save a table and return its run id.

        Parameters
        ----------
        df_or_result : pandas.DataFrame or dict
            A DataFrame (e.g. from :func:`gwsim.sweep`), or a
            :func:`gwsim.run` result, saved as a one-row table of its summary.
        name : str
            A label for :meth:`runs`; names need not be unique.
        scenario : mapping, optional
            The scenario to record. Default: ``result["scenario"]`` for a run
            result, ``df.attrs["scenario"]`` for a sweep table, else none.
        """
        import pandas as pd

        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        df = _frame(df_or_result)
        if scenario is None:
            if isinstance(df_or_result, pd.DataFrame):
                scenario = df_or_result.attrs.get("scenario")
            elif isinstance(df_or_result, Mapping):
                scenario = df_or_result.get("scenario")
        if len(set(map(str, df.columns))) != len(df.columns):
            raise ValueError("column names must be unique")
        columns = [[str(c), str(df[c].dtype)] for c in df.columns]
        scenario_text = None if scenario is None else json.dumps(scenario, sort_keys=True)
        created = _now()
        rows = [
            (i, json.dumps([_plain(v) for v in record]))
            for i, record in enumerate(df.itertuples(index=False, name=None))
        ]
        conn = self.connection
        with conn:
            cursor = conn.execute(
                "INSERT INTO runs (name, created, scenario, columns, n_rows) VALUES (?, ?, ?, ?, ?)",
                (name, created, scenario_text, json.dumps(columns), len(rows)),
            )
            run_id = int(cursor.lastrowid)
            conn.executemany(
                "INSERT INTO rows (run_id, row, data) VALUES (?, ?, ?)",
                [(run_id, i, data) for i, data in rows],
            )
        return run_id

    def delete(self, run_id: int) -> None:
        """Remove a saved run and its rows."""
        conn = self.connection
        with conn:
            if conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),)).rowcount == 0:
                raise KeyError(f"no run with id {run_id}")
            conn.execute("DELETE FROM rows WHERE run_id = ?", (int(run_id),))

    # -- reading -----------------------------------------------------------

    def runs(self) -> pd.DataFrame:
        """All saved runs, oldest first: a DataFrame with ``id``, ``name``,
        ``created``, ``scenario`` (JSON text or None) and ``n_rows``."""
        import pandas as pd

        cur = self.connection.execute("SELECT id, name, created, scenario, n_rows FROM runs ORDER BY id")
        return pd.DataFrame(cur.fetchall(), columns=["id", "name", "created", "scenario", "n_rows"])

    def scenario(self, run_id: int) -> Optional[dict[str, Any]]:
        """The scenario saved with a run, as a dict (None if none was saved)."""
        row = self.connection.execute("SELECT scenario FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id}")
        return None if row[0] is None else json.loads(row[0])

    def load(self, run_id: int) -> pd.DataFrame:
        """The table saved as `run_id`, with its columns, order and dtypes.

        Raises
        ------
        KeyError
            If there is no such run.
        """
        import pandas as pd

        conn = self.connection
        meta = conn.execute("SELECT columns FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        if meta is None:
            raise KeyError(f"no run with id {run_id}")
        columns = json.loads(meta[0])
        data = [json.loads(text) for (text,) in conn.execute(
            "SELECT data FROM rows WHERE run_id = ? ORDER BY row", (int(run_id),))]
        names = [c for c, _ in columns]
        df = pd.DataFrame(data, columns=names) if data else pd.DataFrame(columns=names)
        return _restore_dtypes(df, columns)

    # -- single runs ---------------------------------------------------------

    def put_run(self, scenario: Any, seed: int, result: Mapping[str, Any], version: Optional[str] = None) -> str:
        """Store one run (one transaction) and return its key (:func:`run_key`).

        Parameters
        ----------
        scenario : Scenario, mapping, str or path-like
            The scenario that was run (its ``run.seed`` is replaced by `seed`).
        seed : int
            The seed it ran with (0 <= seed < 2**63).
        result : mapping
            A :func:`gwsim.run` result, or at least its ``"summary"``;
            ``"timeseries"`` and ``"events"`` are stored when present.
        version : str, optional
            The gwsim version that simulated it; default ``gwsim.__version__``.

        A run already stored under the same key is replaced.
        """
        from . import _core
        from .api import apply_overrides, scenario_dict
        from .scenario import Scenario

        seed = int(seed)
        if not 0 <= seed < 2**63:
            raise ValueError(f"seed {seed} does not fit the store (0 <= seed < 2**63)")
        data = apply_overrides(scenario_dict(scenario), [f"run.seed={seed}"])
        s = Scenario._trusted(data)
        version = _core.__version__ if version is None else str(version)
        return self._write_run((s.unseeded_hash, seed, version), s.name, s.strategy, s.to_json(), result)

    def _write_run(self, key: tuple[str, int, str], name: str, strategy: str, scenario_json: str,
                   result: Mapping[str, Any]) -> str:
        """Store (replace) one run's summary and frames under `key` in one transaction; its key string."""
        summary = {str(k): _plain(v) for k, v in dict(result["summary"]).items()}
        frames = [(kind, *_encode_frame(result[kind])) for kind in FRAME_KINDS if kind in result]
        conn = self.connection
        with conn:
            conn.execute("DELETE FROM run_frames WHERE scenario_hash = ? AND seed = ? AND version = ?", key)
            conn.execute(
                "INSERT OR REPLACE INTO run_results (scenario_hash, seed, version, name, strategy, scenario, "
                "summary, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, name, strategy, scenario_json, json.dumps(summary, allow_nan=True), _now()),
            )
            conn.executemany(
                "INSERT INTO run_frames (scenario_hash, seed, version, kind, columns, n_rows, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*key, kind, meta, n, sqlite3.Binary(blob)) for kind, meta, n, blob in frames],
            )
        return run_key(*key)

    def put_measurement(self, config: Mapping[str, Any], result: Mapping[str, Any],
                        replication: Optional[int] = None) -> str:
        """Store one testbed experiment (``gwsim testbed run``) next to the simulations; return its key.

        Measurements are not reproducible the way simulations are, so each
        is kept: the key is (hash of the experiment configuration,
        `replication`, ``"testbed-" + gwsim version``), `replication`
        defaulting to one more than the highest stored for that
        configuration. ``name`` and ``strategy`` are ``"testbed"``; the
        configuration is stored as the run's scenario.
        """
        from . import _core

        text = json.dumps(config, sort_keys=True, allow_nan=False)
        config_hash = hashlib.sha256(text.encode()).hexdigest()
        version = f"testbed-{_core.__version__}"
        conn = self.connection
        if replication is None:
            row = conn.execute("SELECT MAX(seed) FROM run_results WHERE scenario_hash = ? AND version = ?",
                               (config_hash, version)).fetchone()
            replication = 0 if row is None or row[0] is None else int(row[0]) + 1
        if isinstance(replication, bool) or not isinstance(replication, int) or not 0 <= replication < 2**63:
            raise ValueError(f"replication must be an integer in [0, 2**63), got {replication!r}")
        return self._write_run((config_hash, replication, version), "testbed", "testbed", text, result)

    def lookup(self, scenario_hash: str, seed: int, version: Optional[str] = None) -> Optional[dict[str, Any]]:
        """The stored summary of a run, or None if it is not stored.

        `version` defaults to ``gwsim.__version__``: a run simulated by another
        version is not an answer.
        """
        from . import _core

        version = _core.__version__ if version is None else str(version)
        row = self.connection.execute(
            "SELECT summary FROM run_results WHERE scenario_hash = ? AND seed = ? AND version = ?",
            (str(scenario_hash), int(seed), version),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def resolve(self, key: Any) -> RunKey:
        """The full key of one stored run.

        Parameters
        ----------
        key : str or tuple
            ``(scenario_hash, seed, version)``, its text form
            ``"hash:seed:version"``, or an unambiguous abbreviation of the
            text form: a prefix of the hash, optionally followed by
            ``:seed`` and ``:version``.

        Raises
        ------
        KeyError
            If no stored run, or more than one, matches.
        """
        if isinstance(key, tuple) and len(key) == 3:
            prefix, seed, version = str(key[0]), int(key[1]), str(key[2])
            exact = True
        elif isinstance(key, str) and key:
            parts = key.split(":", 2)
            prefix = parts[0]
            try:
                seed = int(parts[1]) if len(parts) > 1 and parts[1] != "" else None
            except ValueError:
                raise KeyError(f"run key {key!r}: the seed part must be an integer") from None
            version = parts[2] if len(parts) > 2 else None
            exact = False
        else:
            raise KeyError(f"run key {key!r}: expected 'hash:seed:version' or a (hash, seed, version) tuple")
        sql = "SELECT scenario_hash, seed, version FROM run_results WHERE "
        if exact:
            sql += "scenario_hash = ?"
            params: list[Any] = [prefix]
        else:
            sql += "substr(scenario_hash, 1, ?) = ?"
            params = [len(prefix), prefix]
        if seed is not None:
            sql += " AND seed = ?"
            params.append(seed)
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        rows = self.connection.execute(sql + " LIMIT 2", params).fetchall()
        if not rows:
            raise KeyError(f"no stored run with key {key!r}")
        if len(rows) > 1:
            raise KeyError(f"run key {key!r} is ambiguous: give more of it (hash:seed:version)")
        return (rows[0][0], int(rows[0][1]), rows[0][2])

    def results(self) -> pd.DataFrame:
        """Every stored run, in the order stored: a DataFrame with ``key``,
        ``scenario_hash``, ``seed``, ``version``, ``name``, ``strategy`` and
        then the summary scalars (the union over runs, in first-seen order)."""
        import pandas as pd

        cur = self.connection.execute(
            "SELECT scenario_hash, seed, version, name, strategy, summary FROM run_results ORDER BY rowid")
        rows = []
        for scenario_hash, seed, version, name, strategy, summary in cur:
            row = {"key": run_key(scenario_hash, seed, version), "scenario_hash": scenario_hash,
                   "seed": int(seed), "version": version, "name": name, "strategy": strategy}
            row.update({k: v for k, v in json.loads(summary).items() if k not in row})
            rows.append(row)
        if not rows:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        return pd.DataFrame(rows)

    def result(self, key: Any) -> dict[str, Any]:
        """One stored run as :func:`gwsim.run` returns it, with DataFrames.

        Returns
        -------
        dict
            ``"key"`` (text form), ``"summary"`` (dict), ``"scenario"`` (dict),
            ``"timeseries"`` and ``"events"`` (DataFrames, as
            :func:`gwsim.to_dataframes` makes them).
        """
        full = self.resolve(key)
        row = self.connection.execute(
            "SELECT scenario, summary FROM run_results WHERE scenario_hash = ? AND seed = ? AND version = ?",
            full).fetchone()
        out: dict[str, Any] = {"key": run_key(*full), "summary": json.loads(row[1]), "scenario": json.loads(row[0])}
        for kind in FRAME_KINDS:
            out[kind] = self._frame(full, kind)
        return out

    def _frame(self, full: RunKey, kind: str) -> pd.DataFrame:
        import pandas as pd

        row = self.connection.execute(
            "SELECT columns, data FROM run_frames WHERE scenario_hash = ? AND seed = ? AND version = ? "
            "AND kind = ?", (*full, kind)).fetchone()
        return pd.DataFrame() if row is None else _decode_frame(row[0], bytes(row[1]))

    def timeseries(self, key: Any) -> pd.DataFrame:
        """The time series of a stored run (see :meth:`resolve` for `key`), as a DataFrame."""
        return self._frame(self.resolve(key), "timeseries")

    def events(self, key: Any) -> pd.DataFrame:
        """The events of a stored run (see :meth:`resolve` for `key`), as a DataFrame."""
        return self._frame(self.resolve(key), "events")

    def delete_run(self, key: Any) -> None:
        """Remove one stored run (see :meth:`resolve` for `key`)."""
        full = self.resolve(key)
        conn = self.connection
        with conn:
            conn.execute("DELETE FROM run_results WHERE scenario_hash = ? AND seed = ? AND version = ?", full)
            conn.execute("DELETE FROM run_frames WHERE scenario_hash = ? AND seed = ? AND version = ?", full)


def open(path: Union[str, "os.PathLike[str]"]) -> ResultStore:  # noqa: A001 - gwsim.store.open reads well
    """Open (or create) the result store at `path`; the same as ``ResultStore(path)``."""
    return ResultStore(path)
