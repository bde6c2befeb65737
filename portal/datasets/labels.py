"""Plain words for the codes in published tables and the headline figures, in one place.

Published files keep their codes (`hands-fists-feet`, `D3`); pages show what a resident
would say ("Hands, fists or feet", "District 3"). A department can add or override labels
without code: a `labels` map in its `dataset.yaml`, `{field: {code: label}}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

# Codes whose words need more than "hyphens become spaces, first letter capital".
VALUES: dict[str, str] = {
    "hands-fists-feet": "Hands, fists or feet",
    "electronic-control-device": "Electronic control device (Taser)",
    "impact-weapon": "Impact weapon (baton)",
    "chemical-agent": "Chemical agent (pepper spray)",
    "canine": "Police dog",
    "unlawful-or-suspicious-activity": "Unlawful or suspicious activity",
    "warrant-or-court-order": "Warrant or court order",
    "medical-mental-health-or-welfare-check": "Medical, mental-health or welfare check",
    "follow-up-investigation": "Follow-up investigation",
    "asian-pacific-islander": "Asian or Pacific Islander",
    "american-indian-alaska-native": "American Indian or Alaska Native",
    "not-hispanic": "Not Hispanic",
    "under-18": "Under 18",
    "65-plus": "65 and over",
    "gang-tactical": "Gang and tactical unit",
    "office-of-the-chief": "Office of the Chief",
    "civilian-professional": "Civilian (professional staff)",
    "civilian-support": "Civilian (support staff)",
    "facilities-and-equipment": "Facilities and equipment",
    "narcotics-and-gangs": "Narcotics and gangs",
    "property-and-evidence": "Property and evidence",
    "personnel-and-recruitment": "Personnel and recruitment",
    "use-of-force": "Use of force",
    "body-worn-cameras": "Body-worn cameras",
    "resource-allocation": "Resource allocation",
    "community-trust": "Community trust",
    "unknown": "Not known",
}
_DISTRICT = re.compile(r"D(\d+)")
_PRIORITY = re.compile(r"P(\d+)")
_PATROL = re.compile(r"patrol-d(\d+)")
_AGES = re.compile(r"(\d+)-(\d+)")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def value_label(
    value: Any, field: str | None = None, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The words for one published value: `hands-fists-feet` → "Hands, fists or feet"."""
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    if overrides and field and text in (overrides.get(field) or {}):
        return str(overrides[field][text])
    return _label(text, isinstance(value, str))


@lru_cache(maxsize=4096)
def _label(text: str, is_text: bool) -> str:
    """The words for a value no override names (a preview shows hundreds per page)."""
    if text in VALUES:
        return VALUES[text]
    if match := _DISTRICT.fullmatch(text):
        return f"District {match.group(1)}"
    if match := _PRIORITY.fullmatch(text):
        return f"Priority {match.group(1)}"
    if match := _PATROL.fullmatch(text):
        return f"Patrol, district {match.group(1)}"
    if match := _AGES.fullmatch(text):
        return f"{match.group(1)} to {match.group(2)}"
    if not is_text or not re.fullmatch(r"[a-z][a-z0-9-]*", text):
        return text  # numbers, dates and free text are already words
    words = text.replace("-", " ")
    return words[:1].upper() + words[1:]


# A multi-select field kept as one delimited string, declared by its pattern "(a|b)(;(a|b))*".
_LIST_PATTERN = re.compile(r"\((?P<items>[^()]+)\)\((?P<sep>[^()\w])\((?P=items)\)\)\*")


def list_delimiter(field: Mapping[str, Any]) -> str | None:
    """The delimiter of a field holding several codes in one cell, if its pattern says so."""
    pattern = (field.get("constraints") or {}).get("pattern") or ""
    match = _LIST_PATTERN.fullmatch(pattern)
    return match.group("sep") if match else None


def currency(field: Mapping[str, Any]) -> str | None:
    """USD for an amount of money: its title names the currency, "Adopted budget (USD)"."""
    return "USD" if "(USD)" in str(field.get("title") or "") else None


def money(value: float | int | None, code: str = "USD") -> str:
    """$3,779,100 or $1,234.50: whole dollars without cents, others to the cent."""
    if value is None:
        return "–"
    sign, amount = ("-" if value < 0 else ""), abs(value)
    shown = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{sign}$" + shown if code == "USD" else f"{sign}{shown} {code}"


def number_text(value: Any, kind: str | None = None) -> str:
    """A number as the public pages write it: 12,345 and 1,234.5 (a whole number never as
    "12.0"); a year as it is (2025, not 2,025). Anything else as its text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if kind == "year":
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}"


def typed_number(text: str | None, kind: str | None) -> Any:
    """A CSV cell of an integer or number field as a number (else the text unchanged)."""
    if text is None or kind not in ("integer", "number", "year"):
        return text
    try:
        return int(text) if kind != "number" else float(text)
    except ValueError:
        return text


def dataset_labels(meta: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """The `labels` map of a dataset's definition, ignoring anything that is not one."""
    labels = (meta or {}).get("labels")
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): dict(v) for k, v in labels.items() if isinstance(v, Mapping)}


def long_date(day: date) -> str:
    """31 October 2025 (no leading zero, month in words)."""
    return f"{day.day} {day:%B %Y}"
