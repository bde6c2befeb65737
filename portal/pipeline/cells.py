"""The run's cell report: every failed, blanked or invalid cell with its source value and line.

Findings are kept whole in a Parquet file per resource (`reports/run-<id>/<resource>.parquet`)
so an officer can page through all of them; the run's stored report holds the counts per field
and the first samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from portal.pipeline.normalise import BLANKED, ERROR, RAW, as_spec
from publishers.connectors import SOURCE_LINE

SAMPLES = 20
FINDING_SCHEMA = {
    "kind": pl.String,  # failed (mapping), blanked (declared leniency) or a validation type
    "field": pl.String,
    "note": pl.String,
    "value": pl.String,  # the source cell as read
    "file": pl.String,  # the source file the row is in
    "cell": pl.String,  # the normalised cell validation saw
    "line": pl.Int64,  # where the row starts in the source (line, sheet row, record)
    "row": pl.Int64,  # row of the normalised table (header = 1), as validation numbers it
    "first_line": pl.Int64,  # duplicates: the earlier row with the same key
    "first_row": pl.Int64,
}
DUPLICATES = ("primary-key", "unique-error")


@dataclass
class SourceRead:
    """What the run knows about one resource's normalised table and where it came from."""

    resource: str
    fields: list[str]
    columns: dict
    work: Path  # the normalised table with its SOURCE_LINE, ERROR and RAW columns (Parquet)
    source: str = ""  # which file: "file imports/x.csv", "upload x.csv", …
    unit: str = "line"
    ignored: list[str] = field(default_factory=list)
    blanked: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    unique: list[str] = field(default_factory=list)
    file: str | None = None  # the one source file's name
    parts: tuple[tuple[str, int, int], ...] = ()  # combined files: (name, first line, its line)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def _origin(read: SourceRead, target: str) -> str | None:
    spec = read.columns.get(target)
    if spec is None:
        return None
    spec = as_spec(target, spec)
    return str(spec["from"]) if "from" in spec else None


def _value_of(read: SourceRead, target: str, names: list[str]) -> pl.Expr:
    origin = _origin(read, target)
    if origin is None or RAW + origin not in names:
        return pl.lit(None, dtype=pl.String)
    return pl.col(RAW + origin)


def _line(names: list[str]) -> pl.Expr:
    return pl.col(SOURCE_LINE) if SOURCE_LINE in names else pl.lit(None, dtype=pl.Int64)


def mapping_findings(read: SourceRead) -> pl.DataFrame:
    """Cells a mapping function could not read (failed) or blanked as the entry allows."""
    table = pl.scan_parquet(read.work).with_row_index("_i")
    names = table.collect_schema().names()
    line = _line(names)
    parts = []
    for target in read.fields:
        for prefix, kind in ((ERROR, "failed"), (BLANKED, "blanked")):
            if prefix + target not in names:
                continue
            parts.append(
                table.filter(pl.col(prefix + target).is_not_null()).select(
                    kind=pl.lit(kind),
                    field=pl.lit(target),
                    note=pl.col(prefix + target),
                    value=_value_of(read, target, names),
                    file=pl.lit(None, dtype=pl.String),
                    cell=pl.lit(None, dtype=pl.String),
                    line=line,
                    row=pl.col("_i").cast(pl.Int64) + 2,
                    first_line=pl.lit(None, dtype=pl.Int64),
                    first_row=pl.lit(None, dtype=pl.Int64),
                )
            )
    if not parts:
        return empty_findings()
    return pl.concat([p.collect() for p in parts]).cast(FINDING_SCHEMA).sort("row", "field")


def validation_findings(read: SourceRead, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The validator's findings with the source value and line of each row."""
    if not frames:
        return empty_findings()
    found = pl.concat(frames).select(
        kind=pl.col("type"),
        field=pl.col("fieldName").fill_null(""),
        note=pl.col("note"),
        cell=pl.col("cell"),
        row=pl.col("_row"),
    )
    table = pl.scan_parquet(read.work).with_row_index("_i")
    names = table.collect_schema().names()
    rows = found["row"].unique().implode()
    wanted = table.filter((pl.col("_i").cast(pl.Int64) + 2).is_in(rows))
    line = _line(names)
    values = [_value_of(read, t, names).cast(pl.String).alias(t) for t in read.fields]
    looked_up = wanted.select(
        (pl.col("_i").cast(pl.Int64) + 2).alias("row"), line.alias("line"), *values
    ).collect()
    by_field = looked_up.unpivot(
        index="row", on=read.fields, variable_name="field", value_name="value"
    )
    joined = found.join(looked_up.select("row", "line"), on="row", how="left").join(
        by_field, on=["row", "field"], how="left"
    )
    joined = _first_occurrences(read, joined, table, line)
    joined = joined.with_columns(file=pl.lit(None, dtype=pl.String))
    return joined.select(list(FINDING_SCHEMA)).cast(FINDING_SCHEMA)


def locate(read: SourceRead, found: pl.DataFrame) -> pl.DataFrame:
    """Name the file of each finding; lines of combined files become lines of their own file."""
    if not read.parts:
        return found.with_columns(file=pl.lit(read.file, dtype=pl.String))
    starts = np.array([start for _, start, _ in read.parts])

    def own(column: str) -> tuple[list[str | None], list[int | None]]:
        files: list[str | None] = []
        lines: list[int | None] = []
        for line in found[column].to_list():
            if line is None:
                files.append(None)
                lines.append(None)
                continue
            name, start, first = read.parts[max(0, int(np.searchsorted(starts, line, "right")) - 1)]
            files.append(name)
            lines.append(line - start + first)
        return files, lines

    files, lines = own("line")
    _, first_lines = own("first_line")
    return found.with_columns(
        file=pl.Series(files, dtype=pl.String),
        line=pl.Series(lines, dtype=pl.Int64),
        first_line=pl.Series(first_lines, dtype=pl.Int64),
    )


def _first_occurrences(
    read: SourceRead, found: pl.DataFrame, table: pl.LazyFrame, line: pl.Expr
) -> pl.DataFrame:
    """For each duplicate key, the earlier row (and its source line) holding the same key."""
    found = found.with_columns(
        first_row=pl.lit(None, dtype=pl.Int64), first_line=pl.lit(None, dtype=pl.Int64)
    )
    for kind in DUPLICATES:
        duplicates = found.filter(pl.col("kind") == kind)
        if not duplicates.height:
            continue
        keys = [[k] for k in read.unique] if kind == "unique-error" else [read.primary_key]
        for key in keys:
            if not key:
                continue
            indexed = table.select(
                pl.col(key), row=pl.col("_i").cast(pl.Int64) + 2, line=line.cast(pl.Int64)
            ).collect()
            first = indexed.group_by(key, maintain_order=True).agg(
                pl.col("row").first().alias("_first_row"),
                pl.col("line").first().alias("_first_line"),
            )
            where = pl.col("kind") == kind
            if kind == "unique-error":
                where = where & (pl.col("field") == key[0])
            matched = (
                found.with_row_index("_n")
                .filter(where)
                .join(indexed.select("row", *key), on="row", how="left")
                .join(first, on=key, how="left", nulls_equal=True)
                .select("_n", "_first_row", "_first_line")
            )
            found = (
                found.with_row_index("_n")
                .join(matched, on="_n", how="left")
                .with_columns(
                    first_row=pl.coalesce("first_row", "_first_row"),
                    first_line=pl.coalesce("first_line", "_first_line"),
                )
                .drop("_n", "_first_row", "_first_line")
            )
    return found


def summary(read: SourceRead | None, findings: pl.DataFrame, *, samples: int = SAMPLES) -> dict:
    """Per field: how many cells failed, were blanked or are invalid, and the first samples."""
    fields: dict[str, dict] = {}
    for (name,), part in findings.group_by("field", maintain_order=True):
        kinds = part["kind"]
        fields[str(name)] = {
            "failed": int((kinds == "failed").sum()),
            "blanked": int((kinds == "blanked").sum()),
            "invalid": int(((kinds != "failed") & (kinds != "blanked")).sum()),
            "samples": part.head(samples).to_dicts(),
        }
    out: dict = {"fields": fields, "findings": findings.height}
    if read is not None:
        out.update(
            source=read.source,
            unit=read.unit,
            ignoredColumns=read.ignored,
            combined=bool(read.parts),  # lines are those of each combined file
        )
    return out


def findings_path(reports_dir: Path, run_id: int, resource: str) -> Path:
    return reports_dir / f"run-{run_id}" / f"{resource}.parquet"


def save_findings(path: Path, findings: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    findings.write_parquet(path)


def read_findings(
    path: Path,
    *,
    field: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict], int]:
    """One page of a resource's findings (optionally of one field or kind) and their total."""
    if not path.is_file():
        return [], 0
    table = pl.scan_parquet(path)
    if field is not None:
        table = table.filter(pl.col("field") == field)
    if kind is not None:
        table = table.filter(pl.col("kind") == kind)
    total = table.select(pl.len()).collect().item()
    page = table.slice(offset, limit).collect().to_dicts()
    return page, int(total)
