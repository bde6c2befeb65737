"""The privacy guard: what must never be published is checked before anything is staged."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from portal.datasets.definitions import DatasetDefinition
from portal.errors import PortalError
from portal.privacy.rules import guard_table

# Shorter values ("M", "12") occur in published columns by chance; they identify no one.
MIN_SECRET_LENGTH = 4


class NeverPublishLeak(PortalError):
    """A value of a never-publish column would reach a public file."""


def check_never_publish(
    source: pl.LazyFrame,
    never_publish: tuple[str, ...],
    tables: dict[str, Path],
    text_fields: dict[str, list[str]],
) -> dict:
    """Fail if a value of any never-publish source column appears as a cell of a staged table.

    Returns the disclosure summary for the candidate's report.
    """
    available = set(source.collect_schema().names())
    checked = [name for name in never_publish if name in available]
    if not checked:
        return {"neverPublish": list(never_publish), "checked": [], "valuesChecked": 0}
    secrets = pl.concat([source.select(pl.col(name).alias("value")) for name in checked])
    values = (
        secrets.drop_nulls()
        .with_columns(pl.col("value").str.strip_chars())
        .filter(pl.col("value").str.len_chars() >= MIN_SECRET_LENGTH)
        .unique()
        .collect()
        .get_column("value")
    )
    for resource, path in tables.items():
        fields = text_fields.get(resource) or []
        if not fields or values.is_empty():
            continue
        table = pl.scan_csv(path, infer_schema=False)
        hits = table.select([pl.col(f).is_in(values.implode()).sum() for f in fields]).collect()
        for field in fields:
            if hits.get_column(field)[0]:
                raise NeverPublishLeak(
                    f"{resource}.{field} contains values of a never-publish column "
                    f"({', '.join(checked)}); check the publisher entry's column mapping"
                )
    return {"neverPublish": list(never_publish), "checked": checked, "valuesChecked": len(values)}


def guard_dataset(
    definition: DatasetDefinition, tables: dict[str, Path], sources: dict[str, pl.LazyFrame]
) -> dict[str, dict]:
    """Apply each resource's privacy actions, then check no never-publish value remains.

    Returns the disclosure report: per resource, what was dropped, coarsened,
    scrubbed and suppressed, with counts.
    """
    report: dict[str, dict] = {}
    for resource in definition.resources:
        entry: dict = {}
        source = sources.get(resource.name)
        if source is not None:
            mapped = {
                spec if isinstance(spec, str) else spec.get("from")
                for spec in resource.columns.values()
            } | {spec.get("at") for spec in resource.columns.values() if isinstance(spec, dict)}
            entry["dropped"] = sorted(set(source.collect_schema().names()) - mapped)
        names: list[str] = []
        scrub = resource.privacy.get("scrub") or {}
        if scrub.get("names_from") and source is not None:
            names = _names(source, scrub["names_from"])
        entry.update(guard_table(tables[resource.name], resource.privacy, names))
        report[resource.name] = entry
    text_fields = {
        r.name: [f["name"] for f in r.table_schema["fields"] if f.get("type", "string") == "string"]
        for r in definition.resources
    }
    for resource in definition.resources:
        if resource.name in sources and resource.never_publish:
            report[resource.name].update(
                check_never_publish(
                    sources[resource.name], resource.never_publish, tables, text_fields
                )
            )
    return report


def _names(source: pl.LazyFrame, columns: list[str]) -> list[str]:
    """Every distinct name in the given source columns (lists split on ';')."""
    available = set(source.collect_schema().names())
    frames = [
        source.select(pl.col(c).str.split(";").alias("name")).explode("name")
        for c in columns
        if c in available
    ]
    if not frames:
        return []
    names = pl.concat(frames).drop_nulls().unique().collect().get_column("name")
    return [name.strip() for name in names.to_list()]
