"""Rates with context: counts beside their denominators, computed from current published files.

Every rate names its numerator, its denominator and the dataset versions both came from,
so a reader can recompute it from the downloads. Results are cached per publication of the
versions used (and population figure): a new version, or a retraction, changes the key.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Dataset, Version
from portal.storage import LocalStorage

USE_OF_FORCE, CAMERAS, RESOURCES = "use-of-force", "body-worn-cameras", "resource-allocation"
ALL = "all"
log = logging.getLogger(__name__)
_CACHE: OrderedDict[tuple, list[dict]] = OrderedDict()
CACHE_SIZE = 16


def _source(version: Version, resource: str) -> dict[str, Any]:
    file = version.file(f"{resource}.csv")
    return {
        "dataset": version.dataset.slug,
        "resource": resource,
        "version": version.number,
        "file": file.filename if file else None,
        "sha256": file.sha256 if file else None,
    }


def _rate(numerator: int | float, denominator: int | float, per: int) -> float | None:
    return round(numerator / denominator * per, 2) if denominator else None


def use_of_force_per_calls(incidents: Path, calls: Path) -> list[dict[str, Any]]:
    """Use-of-force incidents per 1,000 calls for service, by year and district.

    Only months that both tables cover are counted (an incident month range against the
    months the dispatch table has), so a partial year never divides a full numerator.
    """
    force = pl.read_csv(incidents, infer_schema=False).select(
        pl.col("incident_id"),
        pl.col("district"),
        pl.col("incident_date").str.slice(0, 7).alias("month"),
    )
    dispatch = pl.read_csv(calls, infer_schema=False).select(
        pl.col("month").str.slice(0, 7), pl.col("district"), pl.col("calls").cast(pl.Int64)
    )
    if force.is_empty() or dispatch.is_empty():
        return []
    first, last = force["month"].min(), force["month"].max()
    months = [m for m in dispatch["month"].unique().to_list() if first <= m <= last]
    force = force.filter(pl.col("month").is_in(months))
    dispatch = dispatch.filter(pl.col("month").is_in(months))
    rows = []
    for by_district in (True, False):
        keys = ["year", "district"] if by_district else ["year"]
        counted = (
            force.with_columns(pl.col("month").str.slice(0, 4).alias("year"))
            .group_by(keys)
            .agg(pl.col("incident_id").n_unique().alias("numerator"))
        )
        called = (
            dispatch.with_columns(pl.col("month").str.slice(0, 4).alias("year"))
            .group_by(keys)
            .agg(
                pl.col("calls").sum().alias("denominator"),
                pl.col("month").n_unique().alias("months"),
            )
        )
        joined = called.join(counted, on=keys, how="left").with_columns(
            pl.col("numerator").fill_null(0)
        )
        for row in joined.sort(keys).iter_rows(named=True):
            rows.append(
                {
                    "year": int(row["year"]),
                    "district": row["district"] if by_district else ALL,
                    "numerator": row["numerator"],
                    "denominator": row["denominator"],
                    "months": row["months"],
                    "value": _rate(row["numerator"], row["denominator"], 1000),
                }
            )
    return sorted(rows, key=lambda r: (r["year"], r["district"] != ALL, r["district"]))


def sworn_per_residents(staffing: Path, population: int) -> list[dict[str, Any]]:
    """Filled sworn positions per 1,000 residents, per staffing snapshot date."""
    table = (
        pl.read_csv(staffing, infer_schema=False)
        .filter(pl.col("employee_type") == "sworn")
        .group_by("as_of")
        .agg(pl.col("filled_positions").cast(pl.Int64).sum().alias("numerator"))
        .sort("as_of")
    )
    return [
        {
            "as_of": row["as_of"],
            "numerator": row["numerator"],
            "denominator": population,
            "value": _rate(row["numerator"], population, 1000),
        }
        for row in table.iter_rows(named=True)
    ]


def activation_compliance(usage: Path) -> list[dict[str, Any]]:
    """Camera activations made per activation policy required, per year, as a percentage."""
    table = (
        pl.read_csv(usage, infer_schema=False)
        .with_columns(
            pl.col("month").str.slice(0, 4).alias("year"),
            pl.col("activations_made", "activations_required").cast(pl.Int64),
        )
        .group_by("year")
        .agg(
            pl.col("activations_made").sum().alias("numerator"),
            pl.col("activations_required").sum().alias("denominator"),
            pl.col("month").n_unique().alias("months"),
        )
        .sort("year")
    )
    return [
        {
            "year": int(row["year"]),
            "numerator": row["numerator"],
            "denominator": row["denominator"],
            "months": row["months"],
            "value": _rate(row["numerator"], row["denominator"], 100),
        }
        for row in table.iter_rows(named=True)
    ]


def current_versions(session: Session) -> dict[str, Version]:
    """The current published version of each dataset the rates read."""
    datasets = session.scalars(
        select(Dataset)
        .where(Dataset.slug.in_([USE_OF_FORCE, CAMERAS, RESOURCES]))
        .where(Dataset.current_version_id.is_not(None))
        .options(selectinload(Dataset.current_version).selectinload(Version.files))
    )
    return {d.slug: d.current_version for d in datasets}


def compute_rates(session: Session, storage: LocalStorage) -> list[dict[str, Any]]:
    """Every rate the current published versions allow, cached per publication of them."""
    # A light query decides whether the cache holds the answer; dataset pages ask every view.
    # The storage folder tells portals apart (row ids repeat across databases); a version's
    # id and publish time name what it holds; population is dataset metadata.
    heads = session.execute(
        select(Dataset.slug, Version.id, Version.published_at, Dataset.meta)
        .join(Version, Version.id == Dataset.current_version_id)
        .where(Dataset.slug.in_([USE_OF_FORCE, CAMERAS, RESOURCES]))
    ).all()
    population = next(
        (_population_of(meta) for slug, _, _, meta in heads if slug == RESOURCES), None
    )
    key = (
        str(storage.versions),
        tuple(sorted((slug, vid, str(at)) for slug, vid, at, _ in heads)),
        population,
    )
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    versions = current_versions(session)
    try:
        found = _compute(versions, population, storage)
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        # A table whose columns no longer fit must not take the summary page down.
        log.warning("rates not computed: %s", error)
        return []
    _CACHE[key] = found
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found


def _population_of(meta: dict | None) -> int | None:
    value = (meta or {}).get("population")
    return int(value) if isinstance(value, int | float) and value > 0 else None


def _path(storage: LocalStorage, version: Version, resource: str) -> Path | None:
    file = version.file(f"{resource}.csv")
    return storage.path(file.path) if file else None


def _compute(
    versions: dict[str, Version], population: int | None, storage: LocalStorage
) -> list[dict[str, Any]]:
    found = []
    force, resources, cameras = (versions.get(s) for s in (USE_OF_FORCE, RESOURCES, CAMERAS))
    if force and resources:
        incidents, calls = (
            _path(storage, force, "incidents"),
            _path(storage, resources, "calls-for-service"),
        )
        if incidents and calls:
            found.append(
                {
                    "key": "use_of_force_per_1000_calls",
                    "label": "Use-of-force incidents per 1,000 calls for service",
                    "unit": "per 1,000 calls for service",
                    "per": 1000,
                    "numerator": {
                        "label": "use-of-force incidents (distinct incident IDs)",
                        **_source(force, "incidents"),
                    },
                    "denominator": {
                        "label": "calls for service (sum of calls)",
                        **_source(resources, "calls-for-service"),
                    },
                    "note": "Counts only months that both tables cover; by district and year.",
                    "rows": use_of_force_per_calls(incidents, calls),
                }
            )
    staffing = _path(storage, resources, "staffing") if resources else None
    if staffing and population:
        meta = resources.dataset.meta
        found.append(
            {
                "key": "sworn_officers_per_1000_residents",
                "label": "Sworn officers per 1,000 residents",
                "unit": "per 1,000 residents",
                "per": 1000,
                "numerator": {"label": "filled sworn positions", **_source(resources, "staffing")},
                "denominator": {
                    "label": "residents",
                    "dataset": RESOURCES,
                    "version": resources.number,
                    "field": "population (dataset metadata)",
                    "value": population,
                    "year": meta.get("population_year"),
                    "source": (meta.get("population_source") or "").strip() or None,
                },
                "note": "Positions held on the snapshot date, against one population figure.",
                "rows": sworn_per_residents(staffing, population),
            }
        )
    usage = _path(storage, cameras, "monthly-usage") if cameras else None
    if usage:
        found.append(
            {
                "key": "camera_activation_compliance",
                "label": "Camera activations made when policy required one",
                "unit": "percent",
                "per": 100,
                "numerator": {"label": "activations made", **_source(cameras, "monthly-usage")},
                "denominator": {
                    "label": "activations required",
                    **_source(cameras, "monthly-usage"),
                },
                "note": "All units together, per calendar year.",
                "rows": activation_compliance(usage),
            }
        )
    for rate in found:
        rate["versions"] = sorted(
            {
                (rate["numerator"]["dataset"], rate["numerator"]["version"]),
                (rate["denominator"]["dataset"], rate["denominator"]["version"]),
            }
        )
        rate["versions"] = [{"dataset": d, "version": n} for d, n in rate["versions"]]
        rate["headline"] = _headline(rate["rows"])
    return found


def _headline(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest all-districts row: what the summary shows first."""
    overall = [r for r in rows if r.get("district", ALL) == ALL]
    return overall[-1] if overall else None


def for_dataset(rates: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    """The rates that use a dataset, for its page."""
    return [r for r in rates if any(v["dataset"] == slug for v in r["versions"])]
