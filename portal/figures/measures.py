"""A figure's measure: its SQL aggregates, its value from them, its words, and its value over
any set of periods (for rates)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from portal.errors import DefinitionError
from portal.figures import periods
from portal.figures.spec import Measure, declared
from portal.figures.tables import _condition, _literal, _load, _number, _quote, _table, connection
from portal.languages import gettext

Z95 = 1.96  # the 95 % interval of a pooled mean, as the trust index publishes it


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
