"""A resource's privacy declaration checked when definitions load: unknown names are errors.

A typo must never switch a check off, so every column, field and action a declaration
names is checked, and the error names the file, the key and the nearest known names.
Never-publish and name columns live in the source, which is read only when the publisher
runs: the guard checks them against the source's header then, the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from portal.errors import DefinitionError
from portal.privacy.scrub import compile_patterns

ACTIONS = ("coarsen", "hundred_block", "bin", "scrub", "suppress", "coincidences", "roster")
SCRUB_KEYS = ("fields", "names_from", "patterns")
PERIODS = ("month", "quarter", "year")
# Mapping functions that publish less than the value: an age band is not a date of birth.
REDUCING = {"age_band", "year", "month"}
LONG_TEXT = 200  # a string field allowed to be longer than this holds free text


class Declared(Protocol):
    name: str
    privacy: dict
    never_publish: tuple[str, ...]
    columns: dict[str, Any]
    table_schema: dict


def near(name: str, known: Iterable[str]) -> str:
    """ "(did you mean 'X'?)" for the closest known names, or the list of known names."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == name.lower()]
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"known: {', '.join(known) if known else 'none'}"


def unknown(where: str, key: str, names: Iterable[str], known: Iterable[str], what: str) -> None:
    known = list(known)
    for name in names:
        if name not in known:
            raise DefinitionError(
                f"{where}: {key} names {what} {name!r} that does not exist "
                f"({near(str(name), known)})"
            )


def check_declaration(entry: Path | str, resource: Declared, slug: str = "") -> None:
    """Fail, when definitions load, on a privacy declaration that names unknown things."""
    where = f"{entry}: {slug + '/' if slug else ''}{resource.name}"
    privacy = resource.privacy or {}
    if not isinstance(privacy, dict):
        raise DefinitionError(f"{where}: privacy must be a mapping of actions")
    unknown(where, "privacy", privacy, ACTIONS, "an action")
    fields = [f["name"] for f in resource.table_schema["fields"]]
    schema_field = "a schema field"
    coarsen = privacy.get("coarsen") or {}
    unknown(where, "privacy.coarsen", coarsen, fields, schema_field)
    for field, period in coarsen.items():
        if period not in PERIODS:
            raise DefinitionError(
                f"{where}: privacy.coarsen.{field}: coarsen to one of {list(PERIODS)}, "
                f"not {period!r}"
            )
    unknown(
        where, "privacy.hundred_block", _list(where, privacy, "hundred_block"), fields, schema_field
    )
    unknown(where, "privacy.bin", privacy.get("bin") or {}, fields, schema_field)
    for field, spec in (privacy.get("bin") or {}).items():
        breaks, labels = (spec or {}).get("breaks") or [], (spec or {}).get("labels") or []
        if len(labels) != len(breaks) + 1:
            raise DefinitionError(f"{where}: privacy.bin.{field}: give one more label than breaks")
    scrub = privacy.get("scrub") or {}
    unknown(where, "privacy.scrub", scrub, SCRUB_KEYS, "a key")
    scrubbed = _list(where, scrub, "fields", "privacy.scrub.")
    unknown(where, "privacy.scrub.fields", scrubbed, fields, schema_field)
    try:
        compile_patterns(scrub.get("patterns"))
    except DefinitionError as error:
        raise DefinitionError(f"{where}: privacy.scrub.patterns: {error}") from error
    _check_suppress(where, privacy.get("suppress"), fields)
    name_columns = _list(where, scrub, "names_from", "privacy.scrub.")
    secret_columns = set(resource.never_publish) | set(name_columns)
    for field, columns in (privacy.get("coincidences") or {}).items():
        unknown(where, "privacy.coincidences", [field], fields, schema_field)
        if not isinstance(columns, list) or not columns:
            raise DefinitionError(
                f"{where}: privacy.coincidences.{field}: give a list of never-publish columns"
            )
        unknown(
            where,
            f"privacy.coincidences.{field}",
            columns,
            secret_columns,
            "a never-publish column",
        )
    roster = privacy.get("roster")
    if roster is not None and (
        not isinstance(roster, dict)
        or not isinstance(roster.get("source"), dict)
        or not roster.get("columns")
    ):
        raise DefinitionError(
            f"{where}: privacy.roster needs a `source` and the `columns` that hold names"
        )
    _check_free_text(where, resource.table_schema, scrubbed)
    _check_published_secrets(where, resource)


def _list(where: str, mapping: dict, key: str, prefix: str = "privacy.") -> list[str]:
    value = mapping.get(key) or []
    if not isinstance(value, list):
        raise DefinitionError(f"{where}: {prefix}{key} must be a list")
    return value


def _check_suppress(where: str, suppress: dict | None, fields: list[str]) -> None:
    if not suppress:
        return
    if not suppress.get("counts") or not suppress.get("flag"):
        raise DefinitionError(f"{where}: privacy.suppress needs `counts` and `flag`")
    named = suppress["counts"] + suppress.get("also", []) + [suppress["flag"]]
    named += suppress.get("by", []) + [
        d for d in (suppress.get("rows"), suppress.get("columns")) if d
    ]
    unknown(where, "privacy.suppress", named, fields, "a schema field")


def _check_free_text(where: str, schema: dict, scrubbed: list[str]) -> None:
    """Free text can name anyone: it is published only through a scrub."""
    for field in schema["fields"]:
        longest = (field.get("constraints") or {}).get("maxLength")
        free = field.get("free_text") or (
            field.get("type", "string") == "string" and longest is not None and longest > LONG_TEXT
        )
        if free and field["name"] not in scrubbed:
            raise DefinitionError(
                f"{where}: {field['name']} is free text; publish it only through a scrub "
                f"(privacy: scrub: fields: [{field['name']}])"
            )


def _check_published_secrets(where: str, resource: Declared) -> None:
    """A never-publish column copied (or only retyped) into a published field is a leak."""
    for field, spec in resource.columns.items():
        if isinstance(spec, str):
            column, function = spec, None
        elif isinstance(spec, dict) and "from" in spec:
            column, function = spec["from"], spec.get("function")
        else:
            continue
        if column in resource.never_publish and function not in REDUCING:
            how = f" (function: {function})" if function else ""
            raise DefinitionError(
                f"{where}: columns.{field} publishes the never-publish column {column!r}{how}; "
                "map the field from another column, or reduce it (age_band, year, month)"
            )


def check_columns(where: str, key: str, named: Iterable[str], available: Iterable[str]) -> None:
    """At run time: every column a declaration names must be in the source as read."""
    unknown(where, key, named, available, "a source column")
