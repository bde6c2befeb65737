"""How a number is written: once, here, in the reader's language (Babel), so every page,
chart and the API print the same."""

from __future__ import annotations

import math
import re
from typing import Any

from babel import Locale
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)

from portal import languages

SHARE = ("share", "percent")


def decimals_for(unit: str, declared: int | None) -> int:
    """Digits after the point: declared, else 1 for shares and means, 0 for counts and money."""
    if declared is not None:
        return int(declared)
    if unit in SHARE or unit in ("index", "minutes", "days", "hours"):
        return 1
    return 0


def rounded(value: float | None, unit: str, decimals: int) -> float | int | None:
    """The value exactly as it is shown (a share keeps two more digits: 0.937 is 93.7%)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if unit in SHARE:
        return round(float(value), decimals + 2)
    if decimals == 0:
        return int(round(float(value)))
    return round(float(value), decimals)


def display(value: float | None, unit: str, decimals: int) -> str:
    """93.7%, $361,294,300, 1,234, 6.5 (Spanish: 93,7 %, 361.294.300 US$, 1234, 6,5): the one
    way the value is written, in the reader's language."""
    if value is None:
        return "–"
    if unit in SHARE:
        return percent(value, decimals)
    if unit == "USD":
        return money(value, "USD", decimals)
    return decimal(value, decimals)


def decimal(value: float | int, decimals: int = 0) -> str:
    """1,234.5 with exactly `decimals` digits after the point, grouped as the locale groups."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale())


def count(value: int | float | None) -> str:
    """A count of rows, files, answers: 12,345 (Spanish 12.345)."""
    return "–" if value is None else decimal(value, 0)


def percent(share: float, decimals: int = 1) -> str:
    """A share (0.937) as the locale writes a percentage: 93.7% (Spanish 93,7 %)."""
    fraction = "." + "0" * decimals if decimals > 0 else ""
    return format_percent(share, format=_percent_pattern(fraction), locale=_locale())


def money(value: float | int | None, code: str = "USD", decimals: int | None = None) -> str:
    """$3,779,100 or $1,234.50 (Spanish 3.779.100 US$): whole amounts without cents, others to
    the cent, unless `decimals` says."""
    if value is None:
        return "–"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    pattern = Locale.parse(_locale()).currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * decimals if decimals > 0 else ""
    pattern = re.sub(r"0(\.0+)?", "0" + fraction, pattern, count=1)
    return format_currency(value, code, format=pattern, locale=_locale(), currency_digits=False)


def number_text(value: Any, kind: str | None = None) -> str:
    """A published cell's number as the public pages write it: 12,345 and 1,234.5 (a whole
    number never as "12.0"); a year as it is (2025, not 2,025). Anything else as its text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if kind == "year":
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, int):
        return decimal(value, 0)
    return format_decimal(value, format="#,##0.##########", locale=_locale())


def short(value: float, unit: str) -> str:
    """An axis tick: $361M, 12.5K, 40%, 2.5 (abbreviated, trailing zeros dropped)."""
    if unit in SHARE:
        return format_percent(value, format=_percent_pattern(".#"), locale=_locale())
    if unit == "USD":
        return format_compact_currency(value, "USD", locale=_locale(), fraction_digits=2)
    if abs(value) < 1000:
        return format_decimal(value, format="#,##0.##", locale=_locale())
    return format_compact_decimal(value, locale=_locale(), fraction_digits=2)


def _percent_pattern(fraction: str) -> str:
    """The locale's percent pattern (#,##0% or #,##0 %) with these fraction digits."""
    pattern = Locale.parse(_locale()).percent_formats[None].pattern.split(";")[0]
    return re.sub(r"0(?=[^0-9#.,]*%)", "0" + fraction, pattern, count=1)


def _locale() -> str:
    return languages.current()


def nice_ticks(top: float, bottom: float = 0.0, most: int = 6, whole: bool = False) -> list[float]:
    """3 to 6 round ticks from `bottom` (0 for bars) covering `top`: 0, 100M, 200M, 300M, 400M."""
    if top <= bottom:
        top = bottom + 1
    if whole:
        top = max(top, bottom + 3)
    span = top - bottom
    for count in (4, 5, 3, 6):
        raw = span / count
        magnitude = 10 ** math.floor(math.log10(raw))
        for factor in (1, 2, 2.5, 5, 10):
            step = factor * magnitude
            if whole and not float(step).is_integer():
                continue  # counts have no half people (nor 2.5 of them)
            low = math.floor(bottom / step) * step
            ticks = int(math.ceil((top - low) / step - 1e-9))
            if 2 <= ticks <= most - 1:
                return [round(low + i * step, 10) for i in range(ticks + 1)]
    step = span / 4
    return [bottom + i * step for i in range(5)]
