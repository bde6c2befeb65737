"""How a figure's number is written: once, here, so every page and the API print the same."""

from __future__ import annotations

import math

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
    """93.7%, $361,294,300, 1,234, 6.5: the one way the value is written."""
    if value is None:
        return "–"
    if unit in SHARE:
        return f"{value * 100:.{decimals}f}%"
    text = f"{value:,.{decimals}f}"
    return f"${text}" if unit == "USD" else text


def short(value: float, unit: str) -> str:
    """An axis tick: $361M, 12.5K, 40%, 2.5 (abbreviated, trailing zeros dropped)."""
    if unit in SHARE:
        return f"{_trim(value * 100, 1)}%"
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            text = f"{_trim(value / limit, 2)}{suffix}"
            break
    else:
        text = _trim(value, 2)
    return f"${text}" if unit == "USD" else text


def _trim(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
