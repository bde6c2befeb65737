"""Staging: the files of a candidate release, written once, with sizes, hashes and row counts."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import polars as pl

from portal.pipeline.normalise import restore_formulas
from portal.storage import sha256_of

DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
JSON_CHUNK = 64 << 20
UNIT = "\x1f"  # the unit separator: JSON escapes every control character inside its text
PARQUET = "application/vnd.apache.parquet"


def typed_columns(schema: dict) -> list[pl.Expr]:
    """Text columns of a normalised table cast to the schema's types, for JSON and figures;
    text as its value, without the CSV's formula escape."""
    expressions = []
    for field in schema["fields"]:
        column = pl.col(field["name"])
        kind = field.get("type", "string")
        if kind == "string":
            column = restore_formulas(column)
        elif kind == "integer":
            column = column.cast(pl.Int64, strict=False)
        elif kind == "number":
            column = column.cast(pl.Float64, strict=False)
        elif kind == "boolean":
            truthy = field.get("trueValues", DEFAULT_TRUE)
            column = pl.when(column.is_null()).then(None).otherwise(column.is_in(truthy))
        expressions.append(column.alias(field["name"]))
    return expressions


def read_typed(path: Path, schema: dict) -> pl.LazyFrame:
    return pl.scan_csv(path, infer_schema=False).select(typed_columns(schema))


def parquet_dates(schema: dict) -> list[pl.Expr]:
    """Date columns as real dates, for Parquet (the JSON rendering keeps them as ISO text)."""
    # Validation passed, so a default-format date is YYYY-MM-DD; strict: never a silent null.
    return [
        pl.col(field["name"]).str.to_date("%Y-%m-%d", strict=True)
        for field in schema["fields"]
        if field.get("type") == "date" and field.get("format", "default") == "default"
    ]


def write_json_rows(table: pl.DataFrame, path: Path) -> None:
    """The table as a JSON array of row objects, one row per line.

    Any JSON reader takes it whole; the line breaks let a person or a line tool page
    through a million rows, and let `read_json_rows` read it back on every core (each row
    object is encoded by polars, in parallel, and holds no raw line break: JSON escapes them).
    """
    last = pl.int_range(pl.len()) == pl.len() - 1
    rows = table.select(pl.struct(pl.all()).struct.json_encode().alias("row")).select(
        pl.when(last).then(pl.col("row")).otherwise(pl.col("row") + ",")
    )
    with path.open("wb") as handle:
        handle.write(b"[\n")
        rows.write_csv(handle, include_header=False, quote_style="never", separator=UNIT)
        handle.write(b"]\n")


def read_json_rows(path: Path, schema: pl.Schema) -> pl.DataFrame:
    """Read back a file `write_json_rows` wrote; ValueError if it is not laid out so (then
    nothing can be said of its cells).

    Between "[" and "]", every line is one row object ending with a comma but the last; JSON
    text holds no raw line break, so without those commas the lines are newline-delimited
    JSON, which polars reads on every core. Read in chunks of whole lines.
    """
    frames = []
    with path.open("rb") as handle:
        if handle.read(2) != b"[\n":
            raise ValueError(f"{path.name} is not a JSON array with one row per line")
        pending = b""
        while True:
            chunk = handle.read(JSON_CHUNK)
            data = pending + chunk
            if not chunk:
                if not data.endswith(b"\n]\n") and data != b"]\n":
                    raise ValueError(f"{path.name} does not end its JSON array on a line")
                data = data[: -len(b"]\n")]
                if data.endswith(b",\n"):
                    raise ValueError(f"{path.name}: the last row of the array ends with a comma")
                frames.append(_ndjson(data.replace(b",\n", b"\n"), schema, path))
                break
            # Whole lines, less the last two: the array's last row and "]" are read at the end.
            cut = len(data)
            for _ in range(3):
                cut = data.rfind(b"\n", 0, cut)
                if cut < 0:
                    break
            data, pending = data[: cut + 1], data[cut + 1 :]
            if data.count(b"\n") != data.count(b",\n"):
                raise ValueError(f"{path.name}: a row of the JSON array is not on its own line")
            frames.append(_ndjson(data.replace(b",\n", b"\n"), schema, path))
    return pl.concat(frames, how="vertical")


def _ndjson(lines: bytes, schema: pl.Schema, path: Path) -> pl.DataFrame:
    if not lines:
        return pl.DataFrame(schema=schema)
    try:
        return pl.read_ndjson(io.BytesIO(lines), schema=schema)
    except pl.exceptions.PolarsError as error:
        raise ValueError(
            f"{path.name}: a row of the JSON array cannot be read ({error})"
        ) from error


def describe(path: Path, resource: str | None, media_type: str, rows: int | None) -> dict:
    return {
        "filename": path.name,
        "resource": resource,
        "media_type": media_type,
        "size": path.stat().st_size,
        "sha256": sha256_of(path),
        "rows": rows,
    }


def stage_resource(
    name: str,
    table_csv: Path,
    schema: dict,
    staging: Path,
    *,
    placed: Callable[[dict], object] | None = None,
) -> list[dict]:
    """Put a validated table's CSV and its JSON and Parquet renderings into the staging
    folder. `placed` is given the CSV's description as soon as the CSV is in place (the
    query index needs only the CSV: it is built on another core meanwhile)."""
    csv_path = staging / f"{name}.csv"
    table_csv.replace(csv_path)
    table = describe(csv_path, name, "text/csv", None)
    if placed is not None:
        placed(table)
    typed = read_typed(csv_path, schema).collect()
    table["rows"] = rows = typed.height
    # Parquet for large tables: typed columns, compressed, readable without parsing text.
    parquet_path = staging / f"{name}.parquet"
    typed.with_columns(parquet_dates(schema)).write_parquet(parquet_path, statistics=True)
    json_path = staging / f"{name}.json"
    write_json_rows(typed, json_path)
    return [
        table,
        describe(json_path, name, "application/json", rows),
        describe(parquet_path, name, PARQUET, rows),
    ]
