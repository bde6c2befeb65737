"""Figure declarations: what a dataset's `dataset.yaml` says under `figures:`, checked.

A figure is one quantity over one window of one table's periods:

    figures:
      - key: incidents                      # stable name, used by rates and the API
        label: Use-of-force incidents
        resource: incidents
        measure: {count_distinct: incident_id}
        unit: incidents                     # a noun, or share, percent, USD, minutes, index
        time: {field: incident_date, period: month}   # month, quarter, year or snapshot
        window: 12                          # the latest 12 periods (default: 12 months, else 1)
        filters: {subject_injury: [serious, death]}
        by: most_serious_force              # optional: the measure per category instead
        chart: {window: 24, split: employee_type}     # or false; default: a chart per period
        provisional: 1                      # the latest N periods may still change

Measures: `count: rows`, `count_distinct: FIELD`, `sum: FIELD`, `ratio: {numerator: M,
denominator: M}`, `weighted_mean: {value: FIELD, weight: FIELD}`, `pooled_mean: {mean:
FIELD, sd: FIELD, n: FIELD}` (pooled as one sample, with its 95 % interval); any measure
may carry `where: {FIELD: value or [values]}`. A dataset that declares no figures gets
one per table: its rows (labelled as rows), per month of its time field when it has one.
A declaration that names a missing table or field is refused with the place named.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from portal import languages
from portal.datasets import texts
from portal.errors import DefinitionError
from portal.languages import gettext

PERIODS = ("month", "quarter", "year", "snapshot")
DEFAULT_WINDOW = {"month": 12, "quarter": 1, "year": 1, "snapshot": 1}
DEFAULT_CHART_WINDOW = {"month": 24, "quarter": 8, "year": 10, "snapshot": 10}
SHARE_UNITS = ("share", "percent")
KINDS = ("count", "count_distinct", "sum", "ratio", "weighted_mean", "pooled_mean")
TIME_TYPES = ("date", "datetime", "yearmonth", "year")
FORMAT = 3  # bump when the computed shape changes: stored results are then computed again


@dataclass(frozen=True)
class Measure:
    kind: str
    column: str | None = None  # count_distinct / sum
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)  # ratio: Measures; others: field names


@dataclass(frozen=True)
class Time:
    field: str
    period: str
    prefix: str = ""  # "Fiscal year": how a year period is named


@dataclass(frozen=True)
class Chart:
    window: int | None
    split: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    resource: str
    measure: Measure
    unit: str
    time: Time | None
    window: int
    filters: dict[str, tuple[str, ...]]
    by: str | None
    chart: Chart | None
    provisional: int
    headline: bool
    decimals: int | None
    note: str
    default: bool = False  # made up for a dataset that declares nothing: rows


def declared(meta: dict, schemas: dict[str, dict]) -> list[Figure]:
    """The figures of a dataset (its declarations, or the defaults), checked against its tables."""
    raw = meta.get("figures")
    if raw is None:
        return [default for name, schema in schemas.items() if (default := _rows(name, schema))]
    slug = meta.get("name", "dataset")
    if not isinstance(raw, list):
        raise DefinitionError(f"{slug}: `figures` must be a list of figure declarations")
    found, keys = [], set()
    for position, item in enumerate(raw):
        where = f"{slug}: figures[{position}]"
        if not isinstance(item, dict):
            raise DefinitionError(f"{where}: expected a mapping")
        figure = _in_language(meta, _figure(where, item, schemas))
        if figure.key in keys:
            raise DefinitionError(f"{where}: the key {figure.key!r} is declared twice")
        keys.add(figure.key)
        found.append(figure)
    return found


def _in_language(meta: dict, figure: Figure) -> Figure:
    """The figure's words in the reader's language, where `dataset.yaml` gives them."""
    if languages.current() == languages.DEFAULT:
        return figure
    place = f"figures.{figure.key}"
    time, chart = figure.time, figure.chart
    if time is not None and time.prefix:
        time = replace(time, prefix=texts.text(meta, f"{place}.time.prefix", time.prefix))
    if chart is not None and chart.title:
        chart = replace(chart, title=texts.text(meta, f"{place}.chart.title", chart.title))
    return replace(
        figure,
        label=texts.text(meta, f"{place}.label", figure.label),
        note=texts.text(meta, f"{place}.note", figure.note),
        time=time,
        chart=chart,
    )


def fingerprint(meta: dict, schemas: dict[str, dict]) -> str:
    """Names what the results were computed from: the declarations and the table schemas."""
    described = {
        "format": FORMAT,
        "figures": meta.get("figures"),
        "labels": meta.get("labels"),
        "translations": meta.get("translations"),
        "schemas": schemas,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _rows(name: str, schema: dict) -> Figure | None:
    fields = schema.get("fields") or []
    axis = next((f for f in fields if f.get("type") in TIME_TYPES), None)
    time = None
    if axis is not None:
        time = Time(axis["name"], "year" if axis.get("type") == "year" else "month")
    return Figure(
        key=f"{name}_rows",
        label=gettext("Rows in %(table)s", table=name),
        resource=name,
        measure=Measure("count"),
        unit="rows",
        time=time,
        window=0,  # every period: the whole table, as its row count
        filters={},
        by=None,
        chart=Chart(DEFAULT_CHART_WINDOW[time.period]) if time else None,
        provisional=0,
        headline=True,
        decimals=0,
        note=gettext("No figure is declared for this table, so its rows are counted."),
        default=True,
    )


def _figure(where: str, item: dict, schemas: dict[str, dict]) -> Figure:
    for needed in ("key", "label", "resource", "measure"):
        if not item.get(needed):
            raise DefinitionError(f"{where}: `{needed}` is required")
    resource = str(item["resource"])
    if resource not in schemas:
        raise DefinitionError(f"{where}: no table named {resource!r} (have {sorted(schemas)})")
    fields = {f["name"]: f for f in schemas[resource].get("fields") or []}
    where = f"{where} ({item['key']})"

    def known(name: Any, what: str) -> str:
        if name not in fields:
            raise DefinitionError(f"{where}: {what} {name!r} is not a field of {resource}")
        return str(name)

    time = None
    if item.get("time") is not None:
        raw = item["time"]
        if not isinstance(raw, dict) or raw.get("period") not in PERIODS:
            raise DefinitionError(f"{where}: `time` needs a field and a period in {PERIODS}")
        prefix = str(raw.get("prefix", ""))
        time = Time(known(raw.get("field"), "time field"), raw["period"], prefix)
    window = item.get("window", DEFAULT_WINDOW[time.period] if time else 0)
    if not isinstance(window, int) or window < 0:
        raise DefinitionError(f"{where}: `window` must be a whole number of periods")
    chart = None
    raw_chart = item.get("chart", True)
    if raw_chart and (time is not None or item.get("by")):
        raw_chart = raw_chart if isinstance(raw_chart, dict) else {}
        default = DEFAULT_CHART_WINDOW[time.period] if time else None
        split = raw_chart.get("split")
        chart = Chart(
            raw_chart.get("window", default),
            known(split, "split field") if split else None,
            raw_chart.get("title"),
        )
    unit = str(item.get("unit") or "rows")
    return Figure(
        key=str(item["key"]),
        label=str(item["label"]),
        resource=resource,
        measure=_measure(where, item["measure"], known),
        unit=unit,
        time=time,
        window=window,
        filters=_filters(where, item.get("filters"), known),
        by=known(item["by"], "category field") if item.get("by") else None,
        chart=chart,
        provisional=int(item.get("provisional", 0)),
        headline=bool(item.get("headline", True)),
        decimals=item.get("decimals"),
        note=str(item.get("note", "")).strip(),
    )


def _filters(where: str, raw: Any, known) -> dict[str, tuple[str, ...]]:  # noqa: ANN001
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: filters are a mapping of field to value(s)")
    return {
        known(name, "filter field"): tuple(
            str(v).lower() if isinstance(v, bool) else str(v)
            for v in (values if isinstance(values, list) else [values])
        )
        for name, values in raw.items()
    }


def _measure(where: str, raw: Any, known) -> Measure:  # noqa: ANN001
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: a measure is a mapping such as {{count: rows}}")
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) != 1 or set(raw) - {kinds[0], "where"}:
        raise DefinitionError(f"{where}: a measure has exactly one of {KINDS} (and `where`)")
    kind, value = kinds[0], raw[kinds[0]]
    filters = _filters(where, raw.get("where"), known)
    if kind == "count":
        if value != "rows":
            raise DefinitionError(f"{where}: write `count: rows` (or count_distinct: FIELD)")
        return Measure(kind, where=filters)
    if kind in ("count_distinct", "sum"):
        return Measure(kind, known(value, kind), filters)
    if kind == "ratio":
        if not isinstance(value, dict) or set(value) != {"numerator", "denominator"}:
            raise DefinitionError(f"{where}: a ratio has a numerator and a denominator measure")
        parts = {side: _measure(where, value[side], known) for side in value}
        if any(p.kind not in ("count", "count_distinct", "sum") for p in parts.values()):
            raise DefinitionError(f"{where}: a ratio divides counts or sums")
        return Measure(kind, where=filters, parts=parts)
    names = {"weighted_mean": ("value", "weight"), "pooled_mean": ("mean", "sd", "n")}[kind]
    if not isinstance(value, dict) or set(value) != set(names):
        raise DefinitionError(f"{where}: {kind} names the fields {names}")
    return Measure(kind, where=filters, parts={k: known(value[k], k) for k in names})
