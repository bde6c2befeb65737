"""Rates with context: a declared figure against another, or against a declared denominator.

A dataset's `dataset.yaml` declares its rates:

    rates:
      - key: use_of_force_per_1000_calls
        label: Use-of-force incidents per 1,000 calls for service
        numerator: {figure: incidents}                               # a figure of this dataset
        denominator: {dataset: resource-allocation, figure: calls}   # or of another one
        per: 1000
      - key: sworn_per_1000_residents
        numerator: {figure: sworn_filled}
        denominator: {denominator: population}   # `denominators:` of a dataset.yaml, by year

The headline uses the numerator figure's own window (so it counts exactly what the figure
on the same page counts) over the periods both sides cover; rows give each year. Every rate
names its numerator, its denominator, their periods, the versions (or the declared source)
they came from. Results are cached per publication of the current versions.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from contextlib import ExitStack
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import languages
from portal.datasets import texts
from portal.errors import DefinitionError
from portal.figures import numbers, periods
from portal.figures.measures import Measured, describe
from portal.figures.service import csv_files, schemas_of
from portal.languages import gettext
from portal.models import Dataset, Version
from portal.storage import LocalStorage

log = logging.getLogger(__name__)
_CACHE: OrderedDict[tuple, list[dict]] = OrderedDict()
CACHE_SIZE = 16
RATE_DECIMALS = 2


def compute_rates(session: Session, storage: LocalStorage) -> list[dict[str, Any]]:
    """Every declared rate over the current published versions, cached per publication and
    language."""
    # A light query decides whether the cache holds the answer; dataset pages ask every view.
    heads = session.execute(
        select(Dataset.slug, Version.id, Version.published_at, Dataset.meta).join(
            Version, Version.id == Dataset.current_version_id
        )
    ).all()
    declared = [
        (
            slug,
            json.dumps(
                [meta.get(k) for k in ("rates", "denominators", "figures", "translations")],
                default=str,
            ),
        )
        for slug, _, _, meta in heads
    ]
    key = (
        str(storage.versions),
        tuple(sorted((slug, vid, str(at)) for slug, vid, at, _ in heads)),
        tuple(sorted(declared)),
        languages.current(),  # the rates' words are in the reader's language
    )
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    versions = current_versions(session)
    found = []
    for slug, version in sorted(versions.items()):
        for spec in (version.dataset.meta or {}).get("rates") or []:
            found.append(_one(spec, slug, versions, storage))
    _CACHE[key] = found
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found


def current_versions(session: Session) -> dict[str, Version]:
    datasets = session.scalars(
        select(Dataset)
        .where(Dataset.current_version_id.is_not(None))
        .options(
            selectinload(Dataset.current_version).selectinload(Version.files),
            selectinload(Dataset.resources),
        )
    )
    return {d.slug: d.current_version for d in datasets}


def for_dataset(rates: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    """The rates that use a dataset, for its page."""
    return [r for r in rates if any(v["dataset"] == slug for v in r["versions"])]


def _one(spec: Any, owner: str, versions: dict[str, Version], storage: LocalStorage) -> dict:
    """One rate, or the rate with an `error` saying exactly why it could not be computed."""
    if not isinstance(spec, dict) or not spec.get("key"):
        spec = {"key": "unnamed", "label": "A rate without a key"}
    base = {
        "key": str(spec["key"]),
        "label": str(spec.get("label") or spec["key"]),
        "label_words": texts.text(
            versions[owner].dataset.meta if owner in versions else {},
            f"rates.{spec['key']}.label",
            str(spec.get("label") or spec["key"]),
        ),
        "per": int(spec.get("per") or 1000),
        "versions": [{"dataset": owner, "version": versions[owner].number}],
        "rows": [],
        "headline": None,
    }
    base["unit"] = gettext("per %(count)s", count=numbers.decimal(base["per"], 0))
    try:
        return {**base, **_compute(spec, owner, versions, storage, base["per"])}
    except (DefinitionError, KeyError, TypeError, OSError, duckdb.Error) as error:
        log.warning("rate %s of %s not computed: %s", base["key"], owner, error)
        return {**base, "error": gettext("not computed: %(reason)s", reason=error)}


def _side(spec: Any, owner: str, versions: dict[str, Version], what: str) -> tuple[str, Version]:
    if not isinstance(spec, dict):
        raise DefinitionError(f"the {what} of a rate is a mapping such as {{figure: KEY}}")
    slug = str(spec.get("dataset") or owner)
    if slug not in versions:
        raise DefinitionError(f"the {what} needs dataset {slug!r}, which has no published version")
    return slug, versions[slug]


def _measured(version: Version, key: str, storage: LocalStorage) -> Measured:
    dataset = version.dataset
    return Measured(dataset.meta or {}, schemas_of(dataset), csv_files(version, storage), key)


def _source(version: Version, measured: Measured) -> dict[str, Any]:
    figure = measured.figure
    file = version.file(f"{figure.resource}.csv")
    return {
        "label": figure.label,
        "figure": figure.key,
        "measure": describe(figure.measure),
        "dataset": version.dataset.slug,
        "resource": figure.resource,
        "version": version.number,
        "file": file.filename if file else None,
        "sha256": file.sha256 if file else None,
    }


def _compute(
    spec: dict, owner: str, versions: dict[str, Version], storage: LocalStorage, per: int
) -> dict[str, Any]:
    top_slug, top_version = _side(spec.get("numerator"), owner, versions, "numerator")
    bottom = spec.get("denominator") or {}
    with ExitStack() as stack:
        top = stack.enter_context(_measured(top_version, spec["numerator"]["figure"], storage))
        numerator = _source(top_version, top)
        if isinstance(bottom, dict) and "denominator" in bottom:
            slug, version = _side(bottom, owner, versions, "denominator")
            table = _declared_table(version, str(bottom["denominator"]))
            denominator = {
                "label": table["label"],
                "dataset": slug,
                "version": version.number,
                "field": f"{slug}/dataset.yaml: denominators.{bottom['denominator']}",
                "source": table["source"],
                "by_year": {str(y): v for y, v in sorted(table["values"].items())},
            }
            rows, headline = _against_values(top, table, per)
        else:
            slug, version = _side(bottom, owner, versions, "denominator")
            other = stack.enter_context(_measured(version, bottom.get("figure"), storage))
            if other.figure.time.period != top.figure.time.period:
                raise DefinitionError("numerator and denominator are counted by different periods")
            denominator = _source(version, other)
            rows, headline = _against_figure(top, other, per)
    used = {(top_slug, top_version.number), (slug, version.number)}
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rows": rows,
        "headline": headline,
        "versions": [{"dataset": d, "version": n} for d, n in sorted(used)],
        "note": str(spec.get("note") or "").strip(),
    }


def _declared_table(version: Version, name: str) -> dict:
    """`denominators: {name: {label, source, values: {year: value}}}` of a dataset.yaml."""
    table = ((version.dataset.meta or {}).get("denominators") or {}).get(name)
    if not isinstance(table, dict) or not isinstance(table.get("values"), dict):
        raise DefinitionError(f"{version.dataset.slug} declares no denominator {name!r}")
    if not str(table.get("source") or "").strip():
        raise DefinitionError(f"denominator {name!r} of {version.dataset.slug} names no source")
    values = {}
    for year, value in table["values"].items():
        if not isinstance(value, int | float) or value <= 0:
            raise DefinitionError(f"denominator {name!r}: {value!r} for {year} is not a count")
        values[int(year)] = value
    meta = version.dataset.meta or {}
    return {
        "label": texts.text(meta, f"denominators.{name}.label", str(table.get("label") or name)),
        "source": table["source"].strip(),
        **{"values": values},
    }


def _row(measured: Measured, keys: list[str], top: float, bottom: float | None, per: int) -> dict:
    figure = measured.figure
    decimals = numbers.decimals_for(figure.unit, figure.decimals)
    value = None if not bottom else round(top / bottom * per, RATE_DECIMALS)
    if isinstance(bottom, float) and bottom.is_integer():
        bottom = int(bottom)  # a sum of counts read as numbers
    return {
        "period": periods.span(keys, figure.time.period, figure.time.prefix),
        "periods": len(keys),
        "numerator": numbers.rounded(top, figure.unit, decimals),
        "numerator_display": numbers.display(top, figure.unit, decimals),
        "denominator": bottom,
        "denominator_display": "–" if bottom is None else numbers.decimal(bottom, 0),
        "value": value,
        "display": "–" if value is None else numbers.decimal(value, RATE_DECIMALS),
    }


def _by_year(keys: list[str]) -> dict[int, list[str]]:
    years: dict[int, list[str]] = {}
    for key in keys:
        years.setdefault(periods.year_of(key), []).append(key)
    return years


def _against_figure(top: Measured, other: Measured, per: int) -> tuple[list[dict], dict | None]:
    """Both sides over the periods both tables cover: the numerator's window, and each year."""
    period = top.figure.time.period
    if not top.keys or not other.keys:
        return [], None
    covered = set(other.keys)
    if period == "snapshot":
        common = [k for k in top.keys if k in covered]
    else:  # a month without a row in the numerator's table is a month of zero
        common = [k for k in periods.run_of(top.keys, period, top.keys[-1], 0) if k in covered]
    if not common:
        return [], None
    rows = []
    for year, keys in sorted(_by_year(common).items()):
        row = _row(top, keys, top.over(keys), other.over(keys), per)
        rows.append({"year": year, **row, "denominator_period": row["period"]})
    window = top.figure.window or len(common)
    last = periods.run_of(common, period, common[-1], window)
    shown = [k for k in last if k in set(common)]
    head = _row(top, shown, top.over(shown), other.over(shown), per)
    return rows, {**head, "denominator_period": head["period"]}


def _against_values(top: Measured, table: dict, per: int) -> tuple[list[dict], dict | None]:
    """The numerator per year (or snapshot) against the declared value of the same year."""
    figure = top.figure
    if not top.keys:
        return [], None
    values = table["values"]
    groups = (
        {k: [k] for k in top.keys}
        if figure.time.period == "snapshot"
        else {str(y): ks for y, ks in _by_year(top.keys).items()}
    )
    rows = []
    for keys in groups.values():
        year = periods.year_of(keys[0])
        row = _row(top, keys, top.over(keys), values.get(year), per)
        rows.append({"year": year, **row, "denominator_period": str(year)})
        if year not in values:
            rows[-1]["missing"] = gettext(
                "no %(what)s figure declared for %(year)s", what=table["label"], year=year
            )
    window = periods.run_of(top.keys, figure.time.period, top.keys[-1], figure.window or 1)
    shown = [k for k in window if k in set(top.keys)]
    year = periods.year_of(shown[-1])
    head = _row(top, shown, top.over(shown), values.get(year), per)
    head["denominator_period"] = str(year)
    if year not in values:
        head["missing"] = gettext(
            "no %(what)s figure declared for %(year)s", what=table["label"], year=year
        )
    return rows, head
