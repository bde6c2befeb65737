"""The privacy guard: what must never be published is checked before anything is staged."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from portal.errors import PortalError

# Shorter values ("M", "12") occur in published columns by chance; they identify no one.
MIN_SECRET_LENGTH = 4


class PrivacyGuardFailed(PortalError):
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
                raise PrivacyGuardFailed(
                    f"{resource}.{field} contains values of a never-publish column "
                    f"({', '.join(checked)}); check the publisher entry's column mapping"
                )
    return {"neverPublish": list(never_publish), "checked": checked, "valuesChecked": len(values)}
