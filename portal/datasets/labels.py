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

from babel.dates import format_date

from portal import languages
from portal.languages import N_, gettext

# Codes whose words need more than "hyphens become spaces, first letter capital".
VALUES: dict[str, str] = {
    "hands-fists-feet": N_("Hands, fists or feet"),
    "electronic-control-device": N_("Electronic control device (Taser)"),
    "impact-weapon": N_("Impact weapon (baton)"),
    "chemical-agent": N_("Chemical agent (pepper spray)"),
    "canine": N_("Police dog"),
    "unlawful-or-suspicious-activity": N_("Unlawful or suspicious activity"),
    "warrant-or-court-order": N_("Warrant or court order"),
    "medical-mental-health-or-welfare-check": N_("Medical, mental-health or welfare check"),
    "follow-up-investigation": N_("Follow-up investigation"),
    "asian-pacific-islander": N_("Asian or Pacific Islander"),
    "american-indian-alaska-native": N_("American Indian or Alaska Native"),
    "not-hispanic": N_("Not Hispanic"),
    "under-18": N_("Under 18"),
    "65-plus": N_("65 and over"),
    "gang-tactical": N_("Gang and tactical unit"),
    "office-of-the-chief": N_("Office of the Chief"),
    "civilian-professional": N_("Civilian (professional staff)"),
    "civilian-support": N_("Civilian (support staff)"),
    "facilities-and-equipment": N_("Facilities and equipment"),
    "narcotics-and-gangs": N_("Narcotics and gangs"),
    "property-and-evidence": N_("Property and evidence"),
    "personnel-and-recruitment": N_("Personnel and recruitment"),
    "use-of-force": N_("Use of force"),
    "body-worn-cameras": N_("Body-worn cameras"),
    "resource-allocation": N_("Resource allocation"),
    "community-trust": N_("Community trust"),
    "unknown": N_("Not known"),
    # the demo's other codes, spelled out so that each language has its words
    "administrative-services": N_("Administrative services"),
    "arrested": N_("Arrested"),
    "black": N_("Black"),
    "captain": N_("Captain"),
    "chief": N_("Chief"),
    "cited": N_("Cited"),
    "civilian": N_("Civilian"),
    "commander": N_("Commander"),
    "community-engagement": N_("Community engagement"),
    "crime-laboratory": N_("Crime laboratory"),
    "criminal-investigations": N_("Criminal investigations"),
    "death": N_("Death"),
    "deceased": N_("Deceased"),
    "deputy-chief": N_("Deputy chief"),
    "detective": N_("Detective"),
    "emergency-communications": N_("Emergency communications"),
    "executive-command": N_("Executive command"),
    "female": N_("Female"),
    "field-operations": N_("Field operations"),
    "firearm": N_("Firearm"),
    "fiscal-services": N_("Fiscal services"),
    "fleet": N_("Fleet"),
    "hispanic": N_("Hispanic"),
    "hospitalised": N_("Hospitalised"),
    "information-technology": N_("Information technology"),
    "investigations": N_("Investigations"),
    "lieutenant": N_("Lieutenant"),
    "male": N_("Male"),
    "minor": N_("Minor"),
    "none": N_("None"),
    "officer": N_("Officer"),
    "other": N_("Other"),
    "patrol": N_("Patrol"),
    "personnel": N_("Personnel"),
    "professional-standards": N_("Professional standards"),
    "records": N_("Records"),
    "released": N_("Released"),
    "restraint": N_("Restraint"),
    "routine-patrol": N_("Routine patrol"),
    "sergeant": N_("Sergeant"),
    "serious": N_("Serious"),
    "special-operations": N_("Special operations"),
    "special-victims": N_("Special victims"),
    "support-services": N_("Support services"),
    "sworn": N_("Sworn"),
    "takedown": N_("Takedown"),
    "traffic": N_("Traffic"),
    "traffic-enforcement": N_("Traffic enforcement"),
    "traffic-stop": N_("Traffic stop"),
    "training": N_("Training"),
    "training-academy": N_("Training academy"),
    "white": N_("White"),
}
# A `language` field's codes (the language a survey was answered in).
LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish")}
_DISTRICT = re.compile(r"D(\d+)")
_PRIORITY = re.compile(r"P(\d+)")
_PATROL = re.compile(r"patrol-d(\d+)")
_AGES = re.compile(r"(\d+)-(\d+)")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def value_label(
    value: Any, field: str | None = None, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The words for one published value: `hands-fists-feet` → "Hands, fists or feet"."""
    return value_label_in(value, field, overrides)[0]


def value_label_in(
    value: Any, field: str | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str, str]:
    """`value_label` and the language its words are in: a dataset's own label with no
    Spanish, or a code without words of ours, is English on a Spanish page (and marked)."""
    here = languages.current()
    if value is None or value == "":
        return gettext("Not recorded"), here
    if isinstance(value, bool):
        return (gettext("Yes") if value else gettext("No")), here
    text = str(value)
    if field == "language" and text in LANGUAGE_NAMES:
        return gettext(LANGUAGE_NAMES[text]), here
    if overrides and field and text in (overrides.get(field) or {}):
        return languages.text_in(overrides[field][text])
    return _label(text, isinstance(value, str), here)


@lru_cache(maxsize=4096)
def _label(text: str, is_text: bool, here: str) -> tuple[str, str]:
    """The words for a value no override names, in language `here` (a preview shows hundreds
    per page), and the language they are in."""
    if text in VALUES:
        return gettext(VALUES[text]), here
    if match := _DISTRICT.fullmatch(text):
        return gettext("District %(number)s", number=match.group(1)), here
    if match := _PRIORITY.fullmatch(text):
        return gettext("Priority %(number)s", number=match.group(1)), here
    if match := _PATROL.fullmatch(text):
        return gettext("Patrol, district %(number)s", number=match.group(1)), here
    if match := _AGES.fullmatch(text):
        return gettext("%(low)s to %(high)s", low=match.group(1), high=match.group(2)), here
    if not is_text or not re.fullmatch(r"[a-z][a-z0-9-]*", text):
        return text, here  # numbers, dates and free text are already words
    words = text.replace("-", " ")
    return words[:1].upper() + words[1:], languages.DEFAULT


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


def typed_number(text: str | None, kind: str | None) -> Any:
    """A CSV cell of an integer or number field as a number (else the text unchanged)."""
    if text is None or kind not in ("integer", "number", "year"):
        return text
    try:
        return int(text) if kind != "number" else float(text)
    except ValueError:
        return text


def dataset_labels(meta: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The `labels` map of a dataset's definition, ignoring anything that is not one; a label
    is words or words per language (`{en: Downtown, es: Centro}`)."""
    labels = (meta or {}).get("labels")
    if not isinstance(labels, Mapping):
        return {}
    found = {str(k): dict(v) for k, v in labels.items() if isinstance(v, Mapping)}
    # a definition's translations (portal/datasets/texts.py) back beside the English
    for code, texts in ((meta or {}).get("translations") or {}).items():
        for place, words in texts.items():
            kind, _, rest = place.partition(".")
            field, _, value = rest.partition(".")
            if kind == "labels" and value in found.get(field, {}):
                english = found[field][value]
                both = dict(english) if isinstance(english, Mapping) else {"en": english}
                found[field][value] = {**both, code: words}
    return found


# `update_frequency` in dataset.yaml, in words a reader of each language understands.
FREQUENCIES: dict[str, str] = {
    "daily": N_("daily"),
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
    "quarterly": N_("quarterly"),
    "yearly": N_("yearly"),
    "annually": N_("annually"),
    "irregularly": N_("irregularly"),
    "irregular": N_("irregular"),
}


def frequency(value: Any) -> str:
    """How often a dataset is updated, in the reader's language ("monthly", "mensualmente")."""
    text = languages.text(value) if value else "irregularly"
    return gettext(FREQUENCIES[text]) if text in FREQUENCIES else text


LONG_DATES = {"en": "d MMMM y", "es": "d 'de' MMMM 'de' y"}


def long_date(day: date) -> str:
    """31 October 2025 (Spanish: 31 de octubre de 2025): no leading zero, month in words."""
    code = languages.current()
    return format_date(day, LONG_DATES.get(code, "long"), locale=code)


def long_time(moment: date) -> str:
    """31 October 2025 at 14:05 UTC (Spanish: 31 de octubre de 2025 a las 14:05 UTC)."""
    return gettext("%(day)s at %(time)s UTC", day=long_date(moment), time=moment.strftime("%H:%M"))
