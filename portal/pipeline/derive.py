"""Derived fields: a resource's `select`, DuckDB SQL expressions over the normalised table.

Each expression sees every mapped column (as text, ISO 8601 for dates) by its field name and
computes one field, row by row: `select: {years_of_service: "date_diff('year',
CAST(hire_date AS DATE), CAST(incident_date AS DATE))"}`. Rows are never added, dropped or
reordered, so each keeps its source line; the privacy guard runs after.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from portal.errors import DefinitionError


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def derive(work: Path, select: dict[str, str], schema: dict) -> None:
    """Add (or replace) the `select` fields in the normalised Parquet file, as text."""
    derived = ", ".join(
        f"CAST(({expression}) AS VARCHAR) AS {_quoted(name)}" for name, expression in select.items()
    )
    target = work.with_suffix(".derived.parquet")
    source = "read_parquet(" + _literal(str(work)) + ")"
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")  # never drawn into a run's output
        columns = [
            row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        ]
        kept = [name for name in select if name in columns]
        exclude = f" EXCLUDE ({', '.join(_quoted(n) for n in kept)})" if kept else ""
        connection.execute(
            f"COPY (SELECT *{exclude}, {derived} FROM {source}) "
            f"TO {_literal(str(target))} (FORMAT parquet)"
        )
    except duckdb.Error as error:
        raise DefinitionError(f"the resource's `select` failed: {error}") from error
    finally:
        connection.close()
    target.replace(work)
