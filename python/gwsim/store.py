"""A SQLite store for simulation results (standard-library :mod:`sqlite3`).

One database file holds any number of saved results: sweep tables from
:func:`gwsim.sweep`, or the summary of a single :func:`gwsim.run`.

Schema
------
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
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
from collections.abc import Mapping
from typing import Any, Optional, Union

__all__ = ["ResultStore"]

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
"""


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
    commits and closes it on exit.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"]):
        self.path = os.fspath(path)
        self._conn: Optional[sqlite3.Connection] = sqlite3.connect(self.path)
        self._conn.execute("PRAGMA foreign_keys = ON")
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
        created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
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

    def runs(self):
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

    def load(self, run_id: int):
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
