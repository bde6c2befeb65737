"""Staging: the files of a candidate release, written once, with sizes, hashes and row counts."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from portal.pipeline.normalise import restore_formulas
from portal.storage import sha256_of

DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
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


def describe(path: Path, resource: str | None, media_type: str, rows: int | None) -> dict:
    return {
        "filename": path.name,
        "resource": resource,
        "media_type": media_type,
        "size": path.stat().st_size,
        "sha256": sha256_of(path),
        "rows": rows,
    }


def stage_resource(name: str, table_csv: Path, schema: dict, staging: Path) -> list[dict]:
    """Put a validated table's CSV and JSON renderings into the staging folder."""
    csv_path = staging / f"{name}.csv"
    table_csv.replace(csv_path)
    typed = read_typed(csv_path, schema).collect()
    json_path = staging / f"{name}.json"
    typed.write_json(json_path)
    rows = typed.height
    # Parquet for large tables: typed columns, compressed, readable without parsing text.
    parquet_path = staging / f"{name}.parquet"
    typed.with_columns(parquet_dates(schema)).write_parquet(parquet_path, statistics=True)
    return [
        describe(csv_path, name, "text/csv", rows),
        describe(json_path, name, "application/json", rows),
        describe(parquet_path, name, PARQUET, rows),
    ]
