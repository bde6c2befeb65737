"""The privacy guard's actions on one table: coarsen, reduce addresses, bin, scrub, suppress.

Declared per resource in the publisher entry under `privacy:` (README, "Privacy"); every
action is counted in the disclosure report shown to the reviewing records officer.

    privacy:
      coarsen: {incident_date: month}        # day -> first day of its month, quarter or year
      hundred_block: [location]               # "1234 N Main St" -> "1200 block of N Main St"
      bin: {age: {breaks: [18, 25], labels: [under-18, 18-24, 25-plus]}}
      scrub:
        fields: [narrative]                   # free text
        names_from: [SubjectName]             # source columns whose values are names
        patterns: {case number: "UOF-\\d{4}-\\d{6}"}
      roster: {source: {type: file, path: roster.csv}, columns: [First, Last]}
      coincidences: {reporting_area: [BadgeNo]}   # reviewed: equal values, not a leak
      suppress: {k: 10, counts: [responses], by: [quarter], rows: district, flag: suppressed}
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from portal.errors import ValidationFailed
from portal.privacy.addresses import reduce_column
from portal.privacy.scrub import Vocabulary, scrub_column
from portal.privacy.suppress import suppress_small_cells


class PrivacyGuardFailed(ValidationFailed):
    """The guard refused the candidate (a leak, or output that no longer fits the schema)."""


def guard_table(path: Path, privacy: dict, vocabulary: Vocabulary | None = None) -> dict:
    """Apply the declared actions to a normalised CSV in place; return what was done."""
    actions = {k: v for k, v in (privacy or {}).items() if k not in ("coincidences", "roster")}
    if not actions:
        return {}
    table = pl.read_csv(path, infer_schema=False)
    report: dict = {}
    for field, period in privacy.get("coarsen", {}).items():
        table, changed = _coarsen(table, field, period)
        report.setdefault("coarsened", {})[field] = {"to": period, "cells": changed}
    for field in privacy.get("hundred_block", []):
        table, counts = reduce_column(table, field)
        report.setdefault("addresses", {})[field] = counts
    for field, spec in privacy.get("bin", {}).items():
        table, changed = _bin(table, field, spec)
        report.setdefault("binned", {})[field] = {"cells": changed, "labels": spec["labels"]}
    scrub = privacy.get("scrub") or {}
    for field in scrub.get("fields", []):
        table, counts, sample = scrub_column(
            table, field, vocabulary or Vocabulary(), scrub.get("patterns")
        )
        report.setdefault("scrubbed", {})[field] = counts
        report.setdefault("scrubSample", {})[field] = sample
    suppress = privacy.get("suppress")
    if suppress:
        table, counts = suppress_small_cells(table, suppress)
        report["suppressed"] = counts
    table.write_csv(path, line_terminator="\r\n", null_value="")
    return report


def _coarsen(table: pl.DataFrame, field: str, period: str) -> tuple[pl.DataFrame, int]:
    day = pl.col(field).str.to_date("%Y-%m-%d", strict=False)
    start = {
        "month": day.dt.truncate("1mo"),
        "quarter": day.dt.truncate("1q"),
        "year": day.dt.truncate("1y"),
    }[period]
    coarse = pl.coalesce(start.dt.to_string("%Y-%m-%d"), pl.col(field))
    changed = table.select((coarse != pl.col(field)).sum()).item() or 0
    return table.with_columns(coarse.alias(field)), changed


def _bin(table: pl.DataFrame, field: str, spec: dict) -> tuple[pl.DataFrame, int]:
    breaks, labels = spec.get("breaks") or [], spec.get("labels") or []

    def band(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            return spec.get("unknown", "unknown")
        return labels[sum(number >= b for b in breaks)]

    binned = table[field].map_elements(band, return_dtype=pl.String, skip_nulls=False)
    changed = int(table[field].is_not_null().sum())
    return table.with_columns(binned.alias(field)), changed
