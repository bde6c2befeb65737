"""Loading a dataset's CSV files into DuckDB for its figures, and the SQL quoting they use."""

from __future__ import annotations

from pathlib import Path

import duckdb

from portal.figures.spec import Figure


def connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without its progress bar: figures over a large table
    take seconds, and DuckDB would draw the bar into `portal approve`'s output."""
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    return db


def _load(
    db: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    figures: list[Figure],
    schemas: dict[str, dict],
) -> set[str]:
    """Load each table the figures read, only the columns they name (every cell as text)."""
    named: dict[str, set[str]] = {}
    for figure in figures:
        fields = {f["name"] for f in schemas.get(figure.resource, {}).get("fields", [])}
        named.setdefault(figure.resource, set()).update(_names_in(figure) & fields)
    loaded = set()
    for name in sorted(named):
        path = files.get(name)
        if path is None:
            continue
        # A figure counting rows names no column: one constant column keeps every row.
        columns = ", ".join(_quote(c) for c in sorted(named[name])) or "NULL AS __row"
        db.execute(
            f"CREATE TABLE {_table(name)} AS SELECT {columns} FROM read_csv(?, header = true, "
            "all_varchar = true)",
            [str(path)],
        )
        loaded.add(name)
    return loaded


def _names_in(spec: object) -> set[str]:
    """Every text in a figure's declaration (its fields, filters, parts …): the columns it
    can name are among them, so none is left out when a table is loaded in part."""
    if isinstance(spec, str):
        return {spec}
    if isinstance(spec, dict):
        return set().union(*(_names_in(k) | _names_in(v) for k, v in spec.items()))
    if isinstance(spec, list | tuple | set | frozenset):
        return set().union(*(_names_in(item) for item in spec))
    if hasattr(spec, "__dataclass_fields__"):
        return set().union(*(_names_in(getattr(spec, f)) for f in spec.__dataclass_fields__))
    return set()


def _table(resource: str) -> str:
    return '"t_' + resource.replace('"', "") + '"'


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _condition(filters: dict[str, tuple[str, ...]]) -> str:
    """SQL for `field in (values)` on every filter; published booleans are true/false."""
    parts = [
        f"{_quote(name)} IN ({', '.join(_literal(v) for v in values)})"
        for name, values in filters.items()
    ]
    return " AND ".join(parts) or "TRUE"


def _number(name: str) -> str:
    return f"TRY_CAST({_quote(name)} AS DOUBLE)"
