"""What changed between two versions of a table: rows by primary key, columns, per-column summaries.

Shown to the records officer on the candidate page, and kept on each published
version as its changelog ("412 rows added, 3 corrected").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from portal.figures import numbers
from portal.languages import N_, gettext

SAMPLE = 10
NUMERIC = {"integer", "number", "date", "datetime", "year", "yearmonth"}


def column_summary(table: pl.DataFrame, schema: dict) -> dict[str, dict]:
    kinds = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
    out = {}
    for name in table.columns:
        column = table[name]
        entry = {"filled": int(column.is_not_null().sum()), "distinct": column.n_unique()}
        if kinds.get(name) in NUMERIC and entry["filled"]:
            values = column.drop_nulls()
            if kinds[name] in {"integer", "number"}:
                # Integers stay integers: a range reads "1–3", never "1.0–3.0".
                numeric = pl.Int64 if kinds[name] == "integer" else pl.Float64
                values = values.cast(numeric, strict=False).drop_nulls()
            if len(values):
                entry["min"], entry["max"] = str(values.min()), str(values.max())
        out[name] = entry
    return out


def diff_tables(old_path: Path | None, new_path: Path, schema: dict) -> dict:
    """Rows added, removed and changed (matched on the primary key) and column changes."""
    new = pl.read_csv(new_path, infer_schema=False)
    if old_path is None:
        return {
            "first": True,
            "added": new.height,
            "removed": 0,
            "changed": 0,
            "columnsAdded": new.columns,
            "columnsRemoved": [],
            "summary": {"new": column_summary(new, schema)},
        }
    old = pl.read_csv(old_path, infer_schema=False)
    rows = row_changes(old, new, schema)
    result = {
        "first": False,
        "columnsAdded": [c for c in new.columns if c not in old.columns],
        "columnsRemoved": [c for c in old.columns if c not in new.columns],
        "summary": {"old": column_summary(old, schema), "new": column_summary(new, schema)},
        "key": rows.key,
        "added": rows.added.height,
        "removed": rows.removed.height,
        "changed": rows.changed.height,
        "sampleAdded": rows.added.head(SAMPLE).to_dicts(),
        "sampleRemoved": rows.removed.head(SAMPLE).to_dicts(),
        "sampleChanged": [
            _changes(row, rows.key, rows.values) for row in rows.changed.head(SAMPLE).to_dicts()
        ],
    }
    return result


@dataclass(frozen=True)
class RowChanges:
    """Every row added, removed and changed, matched on `key`; `changed` holds each shared
    value column twice, the new value as `name` and the public one as `name__old`."""

    key: list[str]
    values: list[str]
    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame


def row_changes(old: pl.DataFrame, new: pl.DataFrame, schema: dict) -> RowChanges:
    """The rows that differ between two versions of a table (all cells compared as text)."""
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else list(key)
    shared = [c for c in new.columns if c in old.columns]
    if not key or not all(k in shared for k in key):
        # Without a key, rows can only be compared whole.
        key = shared
    added = new.join(old, on=key, how="anti", nulls_equal=True)
    removed = old.join(new, on=key, how="anti", nulls_equal=True)
    values = [c for c in shared if c not in key]
    changed = new.select(shared).clear()
    if values:
        both = new.select(shared).join(
            old.select(shared), on=key, how="inner", suffix="__old", nulls_equal=True
        )
        differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in values])
        changed = both.filter(differs)
    return RowChanges(key, values, added, removed, changed)


def _changes(row: dict, key: list[str], values: list[str]) -> dict:
    return {
        "key": {k: row[k] for k in key},
        "fields": {
            c: {"old": row[f"{c}__old"], "new": row[c]}
            for c in values
            if row[c] != row[f"{c}__old"]
        },
    }


def changelog_text(resources: dict[str, dict]) -> str:
    """A one-line summary in plain words: "412 rows added, 3 corrected"."""
    if all(d.get("first") for d in resources.values()):
        return "First release."
    added = sum(d.get("added", 0) for d in resources.values())
    removed = sum(d.get("removed", 0) for d in resources.values())
    changed = sum(d.get("changed", 0) for d in resources.values())
    parts = [
        f"{n:,} {'row' if n == 1 else 'rows'} {word}"
        for n, word in ((added, "added"), (removed, "removed"))
        if n
    ]
    if changed:
        parts.append(f"{changed:,} corrected")
    columns = sum(
        len(d.get("columnsAdded", [])) + len(d.get("columnsRemoved", []))
        for d in resources.values()
    )
    if columns:
        parts.append(f"{columns} column{'s' if columns != 1 else ''} added or removed")
    return ", ".join(parts) + "." if parts else "No change to the data."


def resource_changes(changelog: dict, titles: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    """(resource, its title, what changed in it, whether rows changed) for each table of a
    version's changelog: counts per table, never summed across tables that count different
    things; in the reader's language."""
    found = []
    for name, d in (changelog.get("resources") or {}).items():
        if d.get("first"):
            words = gettext("first release (%(rows)s rows)", rows=numbers.count(d.get("added", 0)))
        else:
            said = {
                "added": N_("%(num)s row added"),
                "removed": N_("%(num)s row removed"),
                "changed": N_("%(num)s row changed"),
            }
            many = {
                "added": N_("%(num)s rows added"),
                "removed": N_("%(num)s rows removed"),
                "changed": N_("%(num)s rows changed"),
            }
            parts = [
                gettext(said[kind] if d.get(kind, 0) == 1 else many[kind], num=numbers.count(n))
                for kind in ("added", "removed", "changed")
                if (n := d.get(kind, 0))
            ]
            columns = len(d.get("columnsAdded", [])) + len(d.get("columnsRemoved", []))
            if columns:
                parts.append(
                    gettext("1 column added or removed")
                    if columns == 1
                    else gettext("%(num)s columns added or removed", num=columns)
                )
            words = ", ".join(parts) or gettext("no change")
        compared = not d.get("first") and any(
            d.get(k) for k in ("added", "removed", "changed", "columnsAdded", "columnsRemoved")
        )
        found.append((name, titles.get(name, name), words, compared))
    return found
