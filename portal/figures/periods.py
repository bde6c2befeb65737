"""Periods in words and in order: months, quarters, years and snapshot dates of a table."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from portal import languages
from portal.languages import gettext


def key_sql(column: str, field_type: str, period: str) -> str:
    """DuckDB SQL giving a row's period key as text: 2026-10, 2026-Q3, 2026 or 2026-10-31."""
    col = f'"{column}"'
    if period == "snapshot" or (period == "year" and field_type == "year"):
        return f"trim({col})"
    if period == "year":
        return f"substr({col}, 1, 4)"
    if period == "quarter" and field_type not in ("date", "datetime", "yearmonth"):
        return f"trim({col})"  # already a quarter, 2026-Q3
    if period == "quarter":
        return (
            f"substr({col}, 1, 4) || '-Q' || "
            f"CAST((CAST(substr({col}, 6, 2) AS INTEGER) + 2) // 3 AS VARCHAR)"
        )
    return f"substr({col}, 1, 7)"


def following(key: str, period: str, steps: int) -> str:
    """The period `steps` after (negative: before) a month, quarter or year key."""
    if period == "month":
        index = int(key[:4]) * 12 + int(key[5:7]) - 1 + steps
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    if period == "quarter":
        index = int(key[:4]) * 4 + int(key[-1]) - 1 + steps
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return str(int(key) + steps)


def run_of(keys: list[str], period: str, last: str, count: int) -> list[str]:
    """The `count` periods ending with `last`: consecutive ones, or the latest snapshots."""
    if period == "snapshot":
        present = sorted(k for k in keys if k <= last)
        return present[-count:] if count else present
    if not count:  # every period from the first present
        first, run = min(keys), []
        while not run or run[-1] != last:
            run.append(first if not run else following(run[-1], period, 1))
        return run
    return [following(last, period, -step) for step in range(count - 1, -1, -1)]


def words(key: str, period: str, prefix: str = "") -> str:
    """One period for a reader: Oct 2026, Q3 2026, Fiscal year 2026, 31 Oct 2026 (Spanish:
    oct 2026, T3 2026, 31 oct 2026), in the reader's language."""
    code = languages.current()
    try:
        if period == "month":
            month = date(int(key[:4]), int(key[5:7]), 1)
            return format_date(month, "LLL y", locale=code)
        if period == "quarter":
            return gettext("Q%(quarter)s %(year)s", quarter=key[-1], year=key[:4])
        if period == "snapshot":
            return format_date(date.fromisoformat(key[:10]), "d MMM y", locale=code)
    except (ValueError, IndexError):
        return key  # a key we cannot read is shown as published
    return f"{prefix} {key}".strip()


def span(keys: list[str], period: str, prefix: str = "") -> str:
    """A window for a reader: Nov 2025 – Oct 2026 (one period: just that period)."""
    if not keys:
        return ""
    first, last = words(keys[0], period, prefix), words(keys[-1], period, prefix)
    if first == last:
        return first
    if period == "year" and prefix:
        return f"{prefix} {keys[0]} – {keys[-1]}"
    return f"{first} – {last}"


def year_of(key: str) -> int | None:
    """The calendar year a period key falls in (its first four digits)."""
    return int(key[:4]) if key[:4].isdigit() else None
