"""How a figure is written for readers: its value as shown, and its chart's titles."""

from __future__ import annotations

from typing import Any

from portal.figures import numbers
from portal.figures.spec import Figure
from portal.languages import N_, gettext


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
