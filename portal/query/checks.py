"""A preview's or the API's filters checked in words: what the engine would answer with
0 rows, misleadingly, and the engine's own messages led by each parameter's name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from portal.datasets.labels import value_label
from portal.languages import gettext
from portal.query import engine


def parameter_label(specs: Mapping[str, dict], key: str) -> str:
    """A query parameter in words: `incident_date__min` is "Date of incident, from"."""
    name = key.removesuffix("__min").removesuffix("__max")
    spec = specs.get(name)
    if spec is None:
        return {"q": gettext("Text search"), "sort": gettext("Sort")}.get(key, key)
    title = spec.get("title") or name
    if key.endswith("__min"):
        return gettext("%(field)s, from", field=title)
    if key.endswith("__max"):
        return gettext("%(field)s, to", field=title)
    return title


def check_filters(
    table: engine.Table,
    filters: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, list[str]]:
    """What the engine would answer with 0 rows, misleadingly: values a category field never
    takes, and ranges that end before they start. Each message names the field in words."""
    specs = {spec["name"]: spec for spec in table.fields}
    errors: dict[str, list[str]] = {}
    for key, values in filters.items():
        if key not in table.facets:
            continue
        allowed = [item["value"] for item in table.facets[key] if item["value"] is not None]
        texts = {choice_text(value) for value in allowed}
        unknown = [v for v in values if v != "" and v not in texts]
        if unknown:
            choices = ", ".join(
                f"{value_label(value, key, labels)} ({choice_text(value)})"
                if value_label(value, key, labels) != choice_text(value)
                else choice_text(value)
                for value in allowed
            )
            shown = ", ".join(repr(v) for v in unknown)
            errors[key] = [
                gettext(
                    "%(field)s: %(values)s is not one of its values; choose from %(choices)s",
                    field=parameter_label(specs, key),
                    values=shown,
                    choices=choices,
                )
            ]
    for name, spec in specs.items():
        low = (filters.get(f"{name}__min") or [""])[0].strip()
        high = (filters.get(f"{name}__max") or [""])[0].strip()
        if not (low and high):
            continue
        lower, upper = _comparable(spec, low), _comparable(spec, high)
        if lower is None or upper is None:
            continue  # the engine names the unreadable value itself
        if lower > upper:
            errors[f"{name}__max"] = [
                gettext(
                    "%(to)s (%(high)s) is before %(from)s (%(low)s): no row can match",
                    to=parameter_label(specs, name + "__max"),
                    high=high,
                    low=low,
                    **{"from": parameter_label(specs, name + "__min")},
                )
            ]
    return errors


def _comparable(spec: dict, text: str) -> float | str | None:
    """A bound as something to compare with the other bound; None if it does not read."""
    kind = spec.get("type", "string")
    try:
        if kind in ("integer", "number", "year"):
            return float(text)
        if kind == "date":
            return date.fromisoformat(text).isoformat()
        if kind == "datetime":
            return datetime.fromisoformat(text).isoformat()
        if kind == "yearmonth":
            return date.fromisoformat(f"{text}-01").isoformat()
    except ValueError:
        return None
    return None


def human_errors(table: engine.Table, fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The engine's messages, each led by the parameter's name in words."""
    specs = {spec["name"]: spec for spec in table.fields}
    return {
        key: [f"{parameter_label(specs, key)}: {message}" for message in messages]
        for key, messages in fields.items()
    }


def choice_text(value: object) -> str:
    """A value as a filter writes it (booleans as true and false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
