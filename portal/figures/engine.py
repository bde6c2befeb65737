"""The figures engine: every declared figure and chart series of a dataset, from its files.

One DuckDB connection reads each published CSV once (every cell as text, cast where a
measure needs a number) and answers each figure with plain SQL: its value over its window,
the window before, and its series per period or per category. The index, dataset pages,
rates, the API and the feeds all print what this module returns, so a quantity has one
value, one window and one precision everywhere.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb

from portal.datasets import texts
from portal.datasets.labels import dataset_labels, value_label
from portal.errors import DefinitionError
from portal.figures import numbers, periods
from portal.figures.spec import FORMAT, Figure, Measure, declared, fingerprint
from portal.languages import N_, gettext

Z95 = 1.96  # the 95 % interval of a pooled mean, as the trust index publishes it


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


def connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without its progress bar: figures over a large table
    take seconds, and DuckDB would draw the bar into `portal approve`'s output."""
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    return db


def _load(
    db: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    figures: list[Figure],
    schemas: dict[str, dict],
) -> set[str]:
    """Load each table the figures read, only the columns they name (every cell as text)."""
    named: dict[str, set[str]] = {}
    for figure in figures:
        fields = {f["name"] for f in schemas.get(figure.resource, {}).get("fields", [])}
        named.setdefault(figure.resource, set()).update(_names_in(figure) & fields)
    loaded = set()
    for name in sorted(named):
        path = files.get(name)
        if path is None:
            continue
        # A figure counting rows names no column: one constant column keeps every row.
        columns = ", ".join(_quote(c) for c in sorted(named[name])) or "NULL AS __row"
        db.execute(
            f"CREATE TABLE {_table(name)} AS SELECT {columns} FROM read_csv(?, header = true, "
            "all_varchar = true)",
            [str(path)],
        )
        loaded.add(name)
    return loaded


def _names_in(spec: object) -> set[str]:
    """Every text in a figure's declaration (its fields, filters, parts …): the columns it
    can name are among them, so none is left out when a table is loaded in part."""
    if isinstance(spec, str):
        return {spec}
    if isinstance(spec, dict):
        return set().union(*(_names_in(k) | _names_in(v) for k, v in spec.items()))
    if isinstance(spec, list | tuple | set | frozenset):
        return set().union(*(_names_in(item) for item in spec))
    if hasattr(spec, "__dataclass_fields__"):
        return set().union(*(_names_in(getattr(spec, f)) for f in spec.__dataclass_fields__))
    return set()


def _table(resource: str) -> str:
    return '"t_' + resource.replace('"', "") + '"'


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _condition(filters: dict[str, tuple[str, ...]]) -> str:
    """SQL for `field in (values)` on every filter; published booleans are true/false."""
    parts = [
        f"{_quote(name)} IN ({', '.join(_literal(v) for v in values)})"
        for name, values in filters.items()
    ]
    return " AND ".join(parts) or "TRUE"


def _number(name: str) -> str:
    return f"TRY_CAST({_quote(name)} AS DOUBLE)"


def parts_sql(measure: Measure) -> list[str]:
    """The SQL aggregates a measure is computed from (see `combine`)."""
    where = _condition(measure.where)
    if measure.kind == "count":
        return [f"count(*) FILTER (WHERE {where})"]
    if measure.kind == "count_distinct":
        return [f"count(DISTINCT {_quote(measure.column)}) FILTER (WHERE {where})"]
    if measure.kind == "sum":
        return [f"coalesce(sum({_number(measure.column)}) FILTER (WHERE {where}), 0)"]
    if measure.kind == "ratio":
        return parts_sql(measure.parts["numerator"]) + parts_sql(measure.parts["denominator"])
    if measure.kind == "weighted_mean":
        v, w = _number(measure.parts["value"]), _number(measure.parts["weight"])
        both = f"{where} AND {v} IS NOT NULL AND {w} IS NOT NULL"
        return [f"sum({v} * {w}) FILTER (WHERE {both})", f"sum({w}) FILTER (WHERE {both})"]
    # pooled_mean: rows without an estimate (withheld small cells) are left out
    m, s, n = (_number(measure.parts[k]) for k in ("mean", "sd", "n"))
    usable = f"{where} AND {m} IS NOT NULL AND {s} IS NOT NULL AND {n} IS NOT NULL"
    return [
        f"sum({n}) FILTER (WHERE {usable})",
        f"sum({n} * {m}) FILTER (WHERE {usable})",
        f"sum({n} * {m} * {m}) FILTER (WHERE {usable})",
        f"sum(({n} - 1) * {s} * {s}) FILTER (WHERE {usable})",
    ]


def combine(measure: Measure, parts: list[Any]) -> tuple[float | None, dict]:
    """A measure's value from its aggregates, and what a reader needs beside it."""
    if measure.kind in ("count", "count_distinct", "sum"):
        return (parts[0] or 0), {}
    if measure.kind == "ratio":
        top, bottom = parts[0] or 0, parts[1] or 0
        return (top / bottom if bottom else None), {"numerator": top, "denominator": bottom}
    if measure.kind == "weighted_mean":
        return (parts[0] / parts[1] if parts[1] else None), {"weight": parts[1] or 0}
    n, total, squares, within = (p or 0 for p in parts)
    if not n:
        return None, {"n": 0}
    mean = total / n
    between = max(squares - n * mean * mean, 0.0)  # sum n_d (mean_d - mean)^2
    sd = math.sqrt((within + between) / (n - 1)) if n > 1 else 0.0
    margin = Z95 * sd / math.sqrt(n)
    return mean, {"n": n, "low": mean - margin, "high": mean + margin}


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


def _shown(value: float | None, extra: dict, unit: str, decimals: int) -> dict:
    """The value as shown (rounded once), its words, and its parts, written the same way."""
    kept = numbers.rounded(value, unit, decimals)
    shown: dict[str, Any] = {"value": kept, "display": numbers.display(kept, unit, decimals)}
    if "numerator" in extra:
        shown["numerator"] = numbers.rounded(extra["numerator"], "count", 0)
        shown["denominator"] = numbers.rounded(extra["denominator"], "count", 0)
    if "low" in extra:
        low, high = (numbers.rounded(extra[k], unit, decimals) for k in ("low", "high"))
        shown["interval"] = {
            "low": low,
            "high": high,
            "low_display": numbers.display(low, unit, decimals),
            "high_display": numbers.display(high, unit, decimals),
            "display": gettext(
                "%(low)s to %(high)s",
                low=numbers.display(low, unit, decimals),
                high=numbers.display(high, unit, decimals),
            ),
        }
    if "n" in extra:
        shown["responses"] = int(extra["n"])
    return shown


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


def _chart_title(figure: Figure) -> str:
    if figure.by:
        return figure.label
    return gettext(
        "%(figure)s per %(period)s",
        figure=figure.label,
        period=_x_title(figure.time.period, figure.time.prefix).lower(),
    )


PERIOD_TITLES = {
    "snapshot": N_("Snapshot date"),
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "year": N_("Year"),
}


def _x_title(period: str, prefix: str) -> str:
    return prefix or gettext(PERIOD_TITLES.get(period, period.capitalize()))


def _axis_title(figure: Figure) -> str:
    unit = figure.unit
    if unit in numbers.SHARE:
        return gettext("Percent")
    if unit == "USD":
        return gettext("US dollars")
    return unit[:1].upper() + unit[1:]


def _field_title(fields: dict, name: str) -> str:
    return str(fields[name].get("title") or name)


def describe(measure: Measure) -> str:
    """The measure in words, for the method notes: "distinct incident_id", "sum of calls"."""
    where = ""
    if measure.where:
        said = (
            gettext("%(field)s is %(values)s", field=k, values=gettext(" or ").join(v))
            for k, v in measure.where.items()
        )
        where = gettext(" where %(conditions)s", conditions=gettext(" and ").join(said))
    if measure.kind == "count":
        return gettext("rows%(where)s", where=where)
    if measure.kind == "count_distinct":
        return gettext("distinct values of %(field)s%(where)s", field=measure.column, where=where)
    if measure.kind == "sum":
        return gettext("sum of %(field)s%(where)s", field=measure.column, where=where)
    if measure.kind == "ratio":
        top, bottom = (describe(measure.parts[k]) for k in ("numerator", "denominator"))
        return f"{top} ÷ {bottom}"
    p = measure.parts
    if measure.kind == "weighted_mean":
        return gettext(
            "mean of %(value)s weighted by %(weight)s%(where)s",
            value=p["value"],
            weight=p["weight"],
            where=where,
        )
    return gettext(
        "pooled mean of %(mean)s (standard deviation %(sd)s, %(n)s responses)%(where)s",
        mean=p["mean"],
        sd=p["sd"],
        n=p["n"],
        where=where,
    )


class Measured:
    """One declared figure's measure, asked over any set of its table's periods (for rates)."""

    def __init__(self, meta: dict, schemas: dict[str, dict], files: dict[str, Path], key: str):
        found = [f for f in declared(meta, schemas) if f.key == key]
        if not found or found[0].time is None or found[0].by:
            raise DefinitionError(f"{meta.get('name')}: no figure {key!r} with periods to rate")
        self.figure = figure = found[0]
        self._db = connection()
        if not _load(self._db, files, [figure], schemas):
            self._db.close()
            raise DefinitionError(f"{meta.get('name')}: no file for {figure.resource}")
        time, fields = figure.time, {f["name"]: f for f in schemas[figure.resource]["fields"]}
        self._key = periods.key_sql(
            time.field, fields[time.field].get("type", "string"), time.period
        )
        self._where = f"{_condition(figure.filters)} AND {self._key} IS NOT NULL"
        self.keys: list[str] = [
            row[0]
            for row in self._db.execute(
                f"SELECT DISTINCT {self._key} AS k FROM {_table(figure.resource)} "
                f"WHERE {self._where} ORDER BY k"
            ).fetchall()
        ]

    def over(self, keys: list[str]) -> float | None:
        """The measure over these periods (the figure's own filters applied)."""
        row = self._db.execute(
            f"SELECT {', '.join(parts_sql(self.figure.measure))} "
            f"FROM {_table(self.figure.resource)} WHERE {self._where} AND "
            f"{self._key} IN ({', '.join(_literal(k) for k in keys) or 'NULL'})"
        ).fetchone()
        return combine(self.figure.measure, list(row))[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Measured:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
