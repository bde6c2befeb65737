"""The query index of a published table: a DuckDB file built once, when a version is published.

It holds typed columns per the Table Schema (`f<i>`, for filtering and sorting), the published
text of every non-string cell (`t<i>`, so exports repeat the file exactly), and a `meta` row
with the row count, the schema and each category field's values with their counts. It lives
under `<data_dir>/query/`, never in the immutable version folder: it is a cache, rebuilt
when missing or when FORMAT changes.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

import duckdb

from portal.models import Dataset
from portal.storage import LocalStorage, StoredFile

log = logging.getLogger(__name__)

FORMAT = 4  # bump when the layout of the index files changes: old files are then rebuilt
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")


def index_path(data_dir: Path, slug: str, number: int, resource: str, sha256: str) -> Path:
    # The file's hash is in the name: a version folder replaced after a crashed publish
    # can never be answered from the index of its predecessor.
    return data_dir / "query" / slug / f"v{number}" / f"{resource}.{sha256[:16]}.q{FORMAT}.duckdb"


def staged_index(staging: Path, resource: str, sha256: str) -> Path:
    """Where `portal run` builds a staged table's index, for publish to move into place."""
    return staging / ".index" / f"{resource}.{sha256[:16]}.q{FORMAT}.duckdb"


def build_staged(staging: Path, files: list[dict], schemas: dict[str, dict]) -> None:
    """Build the index of every staged table at staging (beside the privacy guard's check of
    the staged files, on the other core), so publishing only moves it into place."""
    for item in files:
        resource = item.get("resource")
        if item.get("media_type") != "text/csv" or resource not in schemas:
            continue
        target = staged_index(staging, resource, item["sha256"])
        try:
            build_index(staging / item["filename"], schemas[resource], target)
        except (duckdb.Error, OSError):
            log.warning("staged query index of %s not built", resource, exc_info=True)


def prepare_version(
    data_dir: Path,
    dataset: Dataset,
    number: int,
    stored: list[StoredFile],
    recorded: list[dict],
    staging: Path | None = None,
) -> None:
    """Put the query index of every table of a version being published in place (the publish
    hook): the one built at staging when there is one for exactly these bytes (the SHA-256
    is in its name), else built now.

    An index is a cache: if building one fails, publishing carries on and the first query
    builds it again.
    """
    schemas = {resource.name: resource.table_schema for resource in dataset.resources}
    tables = {f["filename"]: f["resource"] for f in recorded if f.get("media_type") == "text/csv"}
    storage = LocalStorage(data_dir)
    for item in stored:
        resource = tables.get(item.filename)
        if resource not in schemas:
            continue
        target = index_path(data_dir, dataset.slug, number, resource, item.sha256)
        built = staged_index(staging, resource, item.sha256) if staging else None
        try:
            if built is not None and built.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(built, target)
                _remove_stale(target)
            else:
                build_index(storage.path(item.path), schemas[resource], target)
        except (duckdb.Error, OSError):
            log.warning(
                "query index of %s v%d %s not built", dataset.slug, number, resource, exc_info=True
            )


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never draws a progress bar (see `quiet`)."""
    return quiet(duckdb.connect(str(path), read_only=read_only))


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection without DuckDB's progress bar (its cursors inherit the setting): a
    query over 2 s would print one into the output of `portal approve` or a worker's log."""
    con.execute("SET enable_progress_bar = false")
    return con


def build_index(csv_path: Path, table_schema: dict, target: Path) -> Path:
    """Load a published CSV into a new DuckDB file at `target` (written aside, then renamed)."""
    fields = table_schema["fields"]
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    columns = "{" + ", ".join(f"'t{i}': 'VARCHAR'" for i in range(len(fields))) + "}"
    selected = []
    for i, spec in enumerate(fields):
        # f: the value (queries, JSON); t: the cell exactly as published (CSV exports).
        selected += [f"{_enum(spec, _typed(spec, f't{i}'))} AS f{i}", f"t{i}"]
    try:
        with connect(temporary) as con:
            # Insertion order is kept, so rowid is the row's position in the published file.
            con.execute(
                f"CREATE TABLE rows AS SELECT {', '.join(selected)} FROM read_csv(?, "
                "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                f"allow_quoted_nulls = false, columns = {columns})",
                [str(csv_path)],
            )
            _keep_every_value(con, fields)
            total = con.execute("SELECT count(*) FROM rows").fetchone()[0]
            facets = {}
            for i, spec in enumerate(fields):
                if _faceted(spec):
                    counts = dict(
                        con.execute(f"SELECT f{i}, count(*) FROM rows GROUP BY 1").fetchall()
                    )
                    facets[spec["name"]] = _facet_list(spec, counts)
            meta = {"format": FORMAT, "rows": total, "schema": table_schema, "facets": facets}
            con.execute("CREATE TABLE meta AS SELECT ? AS value", [json.dumps(meta)])
            con.execute("CHECKPOINT")
        temporary.rename(target)
    finally:
        temporary.unlink(missing_ok=True)
        temporary.with_name(temporary.name + ".wal").unlink(missing_ok=True)
    _remove_stale(target)
    return target


def _remove_stale(target: Path) -> None:
    """Remove the indexes of other bytes (or formats) of the same table and version."""
    for stale in target.parent.glob(f"{target.name.split('.')[0]}.*.duckdb"):
        if stale != target:
            stale.unlink(missing_ok=True)


def _enum(spec: dict, value: str) -> str:
    """A text field limited to a list of values, as a DuckDB ENUM of that list: filters and
    counts compare one byte per row instead of a string (ten times faster on 1M rows)."""
    values = _enum_values(spec)
    if values is None:
        return value
    return f"TRY_CAST({value} AS ENUM({', '.join(map(_literal, values))}))"


def _enum_values(spec: dict) -> list[str] | None:
    values = (spec.get("constraints") or {}).get("enum")
    if field_type(spec) != "string" or not values or not all(isinstance(v, str) for v in values):
        return None
    return list(dict.fromkeys(values))


def _keep_every_value(con: duckdb.DuckDBPyConnection, fields: list[dict]) -> None:
    """A cell outside its field's list (the published file is validated, but an index is
    also built for older versions) would be lost by the ENUM: that column stays text."""
    for i, spec in enumerate(fields):
        if _enum_values(spec) is None:
            continue
        text = _typed(spec, f"t{i}")
        lost = con.execute(
            f"SELECT count(*) FROM rows WHERE f{i} IS NULL AND {text} IS NOT NULL"
        ).fetchone()[0]
        if lost:
            con.execute(f"ALTER TABLE rows ALTER f{i} TYPE VARCHAR USING {text}")


def field_type(spec: dict) -> str:
    return spec.get("type", "string")


def _faceted(spec: dict) -> bool:
    return field_type(spec) == "boolean" or bool(spec.get("constraints", {}).get("enum"))


def _facet_list(spec: dict, counts: dict) -> list[dict]:
    """Enum values in schema order (zero counts too), then any others, then missing."""
    values = list(spec.get("constraints", {}).get("enum") or [])
    if field_type(spec) == "boolean":
        values = [True, False]
    values += sorted((v for v in counts if v is not None and v not in values), key=str)
    facet = [{"value": v, "count": counts.get(v, 0)} for v in values]
    if counts.get(None):
        facet.append({"value": None, "count": counts[None]})
    return facet


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _typed(spec: dict, column: str) -> str:
    kind, fmt = field_type(spec), spec.get("format", "default")
    if kind in ("integer", "number") and (spec.get("groupChar") or spec.get("decimalChar")):
        # "1,250.50" with groupChar "," (or "1.250,50" with decimalChar ","): plain digits first.
        group, decimal = spec.get("groupChar", ""), spec.get("decimalChar", ".")
        column = f"replace(replace({column}, {_literal(group)}, ''), {_literal(decimal)}, '.')"
    if kind == "integer":
        return f"TRY_CAST({column} AS BIGINT)"
    if kind == "number":
        return f"TRY_CAST({column} AS DOUBLE)"
    if kind == "year":
        return f"TRY_CAST({column} AS INTEGER)"
    if kind == "boolean":
        trues = ", ".join(map(_literal, spec.get("trueValues", DEFAULT_TRUE)))
        falses = ", ".join(map(_literal, spec.get("falseValues", DEFAULT_FALSE)))
        return (
            f"CASE WHEN {column} IN ({trues}) THEN true WHEN {column} IN ({falses}) THEN false END"
        )
    if kind in ("date", "datetime"):
        target = "DATE" if kind == "date" else "TIMESTAMP"
        if fmt in ("default", "any"):
            return f"TRY_CAST({column} AS {target})"
        return f"CAST(try_strptime({column}, {_literal(fmt)}) AS {target})"
    if kind == "string":
        # The CSV's formula escape (portal.pipeline.normalise.ESCAPE) is no part of the value.
        return f"CASE WHEN starts_with({column}, '''') THEN substr({column}, 2) ELSE {column} END"
    return column  # yearmonth (sorts as text) and the rarer types stay as published
