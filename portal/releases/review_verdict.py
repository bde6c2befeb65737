"""The verdict strip's sentences: what the privacy guard did and which published periods a
candidate revises, each true for everything it claims."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from portal.datasets.labels import typed_number
from portal.figures.numbers import number_text
from portal.releases.diff import RowChanges

PERIOD_TYPES = ("yearmonth", "date", "datetime", "year")
PERIOD_NAMES = ("month", "quarter", "fiscal_year", "year", "period", "as_of")
# Up to this many changed rows, the strip spells out every changed cell.
SPELLED_OUT = 3


@dataclass(frozen=True)
class Revision:
    """A period whose published rows the candidate changes or removes."""

    period: str
    changed: int
    removed: int


def period_field(schema: dict) -> str | None:
    """The column that says which period a row is about (a key column first)."""
    fields = schema.get("fields", [])
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    ordered = [f for f in fields if f["name"] in key] + [f for f in fields if f["name"] not in key]
    for spec in ordered:
        if spec.get("type") in PERIOD_TYPES:
            return spec["name"]
    return next((f["name"] for f in ordered if f["name"] in PERIOD_NAMES), None)


def _periods(frame: pl.DataFrame, column: str, kind: str | None) -> pl.Series:
    values = frame.get_column(column).fill_null("(no date)")
    # A day or a moment is revised as part of its month: "2023-04".
    return values.str.slice(0, 7) if kind in ("date", "datetime") else values


def revisions(rows: RowChanges, schema: dict) -> tuple[list[Revision], list[str]]:
    """Published periods the candidate revises, oldest first, and (when there are few) every
    changed cell spelled out: "2023-04, D3, hands: incidents 12 → 13"."""
    column = period_field(schema)
    kinds = {f["name"]: f.get("type") for f in schema.get("fields", [])}
    periods: dict[str, list[int]] = {}
    if column is not None:
        for frame, slot in ((rows.changed, 0), (rows.removed, 1)):
            if column not in frame.columns or not frame.height:
                continue
            for period, count in _periods(frame, column, kinds.get(column)).value_counts().rows():
                periods.setdefault(str(period), [0, 0])[slot] += count
    revised = [Revision(p, c, r) for p, (c, r) in sorted(periods.items())]
    if column is None and (rows.changed.height or rows.removed.height):
        revised = [Revision("rows without a period", rows.changed.height, rows.removed.height)]
    spelled = []
    if 0 < rows.changed.height <= SPELLED_OUT:
        for row in rows.changed.to_dicts():
            where = ", ".join(_text(row[k], kinds.get(k)) for k in rows.key)
            what = "; ".join(
                f"{c} {_text(row[f'{c}__old'], kinds.get(c))} → {_text(row[c], kinds.get(c))}"
                for c in rows.values
                if row[c] != row[f"{c}__old"]
            )
            spelled.append(f"{where}: {what}")
    return revised, spelled


def _text(value: str | None, kind: str | None) -> str:
    return "(empty)" if value in (None, "") else number_text(typed_number(value, kind), kind)


def privacy_totals(guards: list[dict]) -> dict[str, int]:
    """Over all tables of the privacy report (portal.privacy.report's format), for the
    one-line verdict: source columns dropped, cells changed to a coarser value (dates
    coarsened, addresses reduced or blanked, values binned; an address already a hundred
    block is not counted), cells scrubbed, cells suppressed, accepted coincidences."""
    totals = {"dropped": 0, "reduced": 0, "scrubbed": 0, "suppressed": 0, "coincidence": 0}
    for guard in guards:
        totals["dropped"] += len(guard.get("dropped") or [])
        for action in ("coarsened", "binned"):
            totals["reduced"] += sum(
                int(c.get("cells", 0)) for c in (guard.get(action) or {}).values()
            )
        totals["reduced"] += sum(
            int(c.get(outcome, 0))
            for c in (guard.get("addresses") or {}).values()
            for outcome in ("block", "intersection", "streetOnly", "blanked")
        )
        # "cells" is the number of cells changed; the other keys count what was replaced.
        totals["scrubbed"] += sum(
            int((counts or {}).get("cells", 0)) for counts in (guard.get("scrubbed") or {}).values()
        )
        suppressed = guard.get("suppressed") or {}
        totals["suppressed"] += int(suppressed.get("primary", 0)) + int(
            suppressed.get("complementary", 0)
        )
        totals["coincidence"] += len(guard.get("coincidences") or [])
    return totals
