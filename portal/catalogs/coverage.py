"""The period a published version's data covers, read from its date columns."""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import polars as pl

from portal.models import Dataset, Version
from portal.storage import LocalStorage

# Field types whose values place a row in time. Years come last: they are often fiscal
# years, so they only count for a dataset that has no finer dates at all.
FINE_TYPES = ("date", "datetime", "yearmonth")
YEAR = re.compile(r"^\d{4}$")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def temporal_coverage(dataset: Dataset, version: Version, storage: LocalStorage) -> str | None:
    """`start/end` (ISO 8601 dates) spanned by the version's dates, or None when it has none."""
    schemas = {resource.name: resource.table_schema for resource in dataset.resources}
    fine, years = [], []
    for file in version.files:
        schema = schemas.get(file.resource_name or "")
        if schema is None or file.media_type != "text/csv":
            continue
        fields = schema.get("fields", [])
        path = str(storage.path(file.path))
        if names := tuple(f["name"] for f in fields if f.get("type") in FINE_TYPES):
            fine.append((path, file.sha256, names))
        if names := tuple(f["name"] for f in fields if f.get("type") == "year"):
            years.append((path, file.sha256, names))
    spans = [span for span in (_span(*item) for item in fine or years) if span]
    if not spans:
        return None
    start = min(span[0] for span in spans)
    end = max(span[1] for span in spans)
    return f"{start.isoformat()}/{end.isoformat()}"


@lru_cache(maxsize=512)
def _span(path: str, sha256: str, names: tuple[str, ...]) -> tuple[date, date] | None:
    # sha256 is part of the cache key: a version's files are immutable, so a hit is exact.
    # ISO dates, year-months and years sort as text in time order; one streaming pass.
    bounds = (
        pl.scan_csv(Path(path), infer_schema=False)
        .select(
            [pl.col(name).min().alias(f"{i}min") for i, name in enumerate(names)]
            + [pl.col(name).max().alias(f"{i}max") for i, name in enumerate(names)]
        )
        .collect()
        .row(0)
    )
    starts = [_start(value) for value in bounds[: len(names)] if value]
    ends = [_end(value) for value in bounds[len(names) :] if value]
    starts = [day for day in starts if day]
    ends = [day for day in ends if day]
    if not starts or not ends:
        return None
    return min(starts), max(ends)


def _start(value: str) -> date | None:
    value = value.strip()
    if match := DAY.match(value):
        return _date(*match.groups())
    if match := YEAR_MONTH.match(value):
        return _date(*match.groups(), "01")
    if YEAR.match(value):
        return _date(value, "01", "01")
    return None


def _end(value: str) -> date | None:
    value = value.strip()
    if match := DAY.match(value):
        return _date(*match.groups())
    if match := YEAR_MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            return None
        return date(year, month, calendar.monthrange(year, month)[1])
    if YEAR.match(value):
        return _date(value, "12", "31")
    return None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
