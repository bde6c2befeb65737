"""The figures engine: every declared figure and chart series of a dataset, from its files.

One DuckDB connection reads each published CSV once (every cell as text, cast where a
measure needs a number) and answers each figure with plain SQL: its value over its window,
the window before, and its series per period or per category. The index, dataset pages,
rates, the API and the feeds all print what this module returns, so a quantity has one
value, one window and one precision everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from portal.datasets import texts
from portal.datasets.labels import dataset_labels, value_label
from portal.figures import numbers, periods
from portal.figures.formatting import _axis_title, _chart_title, _field_title, _shown, _x_title
from portal.figures.measures import combine, describe, parts_sql
from portal.figures.spec import FORMAT, Figure, declared, fingerprint
from portal.figures.tables import _condition, _literal, _load, _quote, _table, connection
from portal.languages import gettext


def figures_for(meta: dict, schemas: dict[str, dict], files: dict[str, Path]) -> dict:
    """Every figure a dataset declares (or its defaults), computed from CSV files.

    `meta` is the dataset's `dataset.yaml`, `schemas` its table schemas by resource and
    `files` the CSV of each resource: a published version's, or a candidate's staged files
    (the records office previews "before → after" with this). Raises DefinitionError,
    naming the place, when a declaration does not fit the tables.
    """
    figures = declared(meta, schemas)
    labels = dataset_labels(meta)  # with each label's translations
    with connection() as db:
        tables = _load(db, files, figures, schemas)
        results = [
            compute(db, figure, schemas[figure.resource], labels)
            for figure in figures
            if figure.resource in tables
        ]
    for result in results:  # the unit as a noun in the reader's language ("incidentes")
        result["unit_label"] = words = texts.text(
            meta, f"figures.{result['key']}.unit", result["unit"]
        )
        chart = result.get("chart")
        if chart and result["unit"] not in (*numbers.SHARE, "USD"):
            chart["y_title"] = words[:1].upper() + words[1:]
    return {"format": FORMAT, "spec": fingerprint(meta, schemas), "figures": results}


def compute(db: duckdb.DuckDBPyConnection, figure: Figure, schema: dict, labels: dict) -> dict:
    """One figure: its value over its window, the window before, and its chart."""
    fields = {f["name"]: f for f in schema.get("fields") or []}
    table, where = _table(figure.resource), _condition(figure.filters)
    parts = parts_sql(figure.measure)
    decimals = numbers.decimals_for(figure.unit, figure.decimals)
    result: dict[str, Any] = {
        "key": figure.key,
        "label": figure.label,
        "unit": figure.unit,
        "resource": figure.resource,
        "measure": describe(figure.measure),
        "filters": {k: list(v) for k, v in figure.filters.items()},
        "note": figure.note,
        "headline": figure.headline,
        "default": figure.default,
    }
    keys: list[str] = []
    window: list[str] = []
    if figure.time is not None:
        time = figure.time
        key = periods.key_sql(time.field, fields[time.field].get("type", "string"), time.period)
        present = [
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT {key} AS k FROM {table} WHERE {where} AND k IS NOT NULL "
                "ORDER BY k"
            ).fetchall()
        ]
        if not present:
            return {**result, "value": None, "display": "–", "period": gettext("no rows")}
        keys = present
        # never a period before the table's first: the window says only what it covers
        run = periods.run_of(present, time.period, present[-1], figure.window)
        window = [k for k in run if k >= present[0]]
        period_sql = f"{key} IN ({', '.join(_literal(k) for k in window)})"
        result["time"] = {"field": time.field, "period": time.period}
        result["window"] = window
        result["period"] = periods.span(window, time.period, time.prefix)
        provisional = window[-figure.provisional :] if figure.provisional else []
        result["provisional"] = [periods.words(k, time.period, time.prefix) for k in provisional]
    else:
        period_sql = "TRUE"
        result["period"] = gettext("every row")
    row = db.execute(f"SELECT {', '.join(parts)} FROM {table} WHERE {where} AND {period_sql}")
    value, extra = combine(figure.measure, list(row.fetchone()))
    result.update(_shown(value, extra, figure.unit, decimals))
    before = _before(keys, window, figure)
    if before:
        row = db.execute(
            f"SELECT {', '.join(parts)} FROM {table} WHERE {where} AND "
            f"{key} IN ({', '.join(_literal(k) for k in before)})"
        ).fetchone()
        old, old_extra = combine(figure.measure, list(row))
        result["previous"] = {
            **_shown(old, old_extra, figure.unit, decimals),
            "period": periods.span(before, figure.time.period, figure.time.prefix),
        }
    if figure.by:
        result["categories"] = _categories(db, figure, fields, labels, where, period_sql, decimals)
        if result["categories"]:
            result["top"] = result["categories"][0]
    if figure.chart is not None:
        result["chart"] = chart_series(db, figure, fields, labels, keys, where, decimals)
        if figure.by is None and figure.chart.split is None:
            result["series"] = [{"x": p["x"], "y": p["value"]} for p in result["chart"]["points"]]
    return result


def _before(keys: list[str], window: list[str], figure: Figure) -> list[str]:
    """The window just before, when the table covers all of it (else no comparison)."""
    if figure.time is None or not figure.window or len(window) != figure.window:
        return []
    if figure.time.period == "snapshot":
        earlier = [k for k in keys if k < window[0]]
        return earlier[-figure.window :] if len(earlier) >= figure.window else []
    last = periods.following(window[0], figure.time.period, -1)
    run = periods.run_of(keys, figure.time.period, last, figure.window)
    return run if run[0] >= keys[0] else []


def _categories(db, figure, fields, labels, where, period_sql, decimals) -> list[dict]:  # noqa: ANN001
    by = _quote(figure.by)
    parts = parts_sql(figure.measure)
    rows = db.execute(
        f"SELECT {by}, {', '.join(parts)} FROM {_table(figure.resource)} "
        f"WHERE {where} AND {period_sql} GROUP BY {by}"
    ).fetchall()
    found = []
    for row in rows:
        value, extra = combine(figure.measure, list(row[1:]))
        found.append(
            {
                "x": row[0],
                "label": value_label(row[0], figure.by, labels),
                **_shown(value, extra, figure.unit, decimals),
            }
        )
    return sorted(found, key=lambda c: (-(c["value"] or 0), c["label"]))


def chart_series(db, figure, fields, labels, keys, where, decimals) -> dict:  # noqa: ANN001
    """What a chart of the figure plots: per category, or per period (split in series)."""
    chart = figure.chart
    unit = figure.unit
    base = {
        "title": chart.title or _chart_title(figure),
        "unit": unit,
        "y_title": _axis_title(figure),
    }
    if figure.by:
        return {**base, "kind": "categories", "x_title": _field_title(fields, figure.by)}
    time = figure.time
    run = [
        k for k in periods.run_of(keys, time.period, keys[-1], chart.window or 0) if k >= keys[0]
    ]
    key = periods.key_sql(time.field, fields[time.field].get("type", "string"), time.period)
    split = _quote(chart.split) if chart.split else "NULL"
    rows = db.execute(
        f"SELECT {key} AS k, {split} AS s, {', '.join(parts_sql(figure.measure))} "
        f"FROM {_table(figure.resource)} WHERE {_condition(figure.filters)} "
        f"AND k IN ({', '.join(_literal(k) for k in run)}) GROUP BY k, s"
    ).fetchall()
    additive = figure.measure.kind in ("count", "count_distinct", "sum")
    names = sorted({r[1] for r in rows if r[1] is not None}) if chart.split else [None]
    values = {(r[0], r[1]): combine(figure.measure, list(r[2:]))[0] for r in rows}
    provisional = set(run[-figure.provisional :]) if figure.provisional else set()
    series = []
    for name in names:
        points = []
        for k in run:
            value = values.get((k, name), 0 if additive else None)
            kept = numbers.rounded(value, unit, decimals)
            points.append(
                {
                    "x": k,
                    "label": periods.words(k, time.period, time.prefix),
                    "value": kept,
                    "display": numbers.display(kept, unit, decimals),
                    "provisional": k in provisional,
                }
            )
        label = value_label(name, chart.split, labels) if name is not None else figure.label
        series.append({"name": name, "label": label, "points": points})
    return {
        **base,
        "kind": "periods",
        "x_title": _x_title(time.period, time.prefix),
        "period": periods.span(run, time.period, time.prefix),
        "points": series[0]["points"] if len(series) == 1 else [],
        "series": series,
    }
