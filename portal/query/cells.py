"""Values in and out of the query engine: a filter's text read as its field's type, a cell
as JSON, and SQL that writes a cell as the published CSV does."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from portal.errors import PortalError
from portal.query.index import DEFAULT_FALSE, DEFAULT_TRUE, field_type

INT64 = 2**63
YEARMONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class BadQuery(PortalError):
    """A filter, sort, field list or page parameter does not fit the table."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def parse(spec: dict, key: str, value: str) -> Any:
    """A filter value as the field's type, or a BadQuery naming the parameter."""
    kind, text = field_type(spec), value.strip()
    if not is_text(value):
        raise BadQuery({key: ["is not valid UTF-8 text"]})
    try:
        if kind in ("integer", "year"):
            number = int(text)
            if not -INT64 <= number < INT64:
                raise ValueError
            return number
        if kind == "number":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "datetime":
            return datetime.fromisoformat(text)
        if kind == "yearmonth":
            if not YEARMONTH.fullmatch(text):
                raise ValueError
            return text
        if kind == "boolean":
            if text in spec.get("trueValues", DEFAULT_TRUE) or text.lower() == "true":
                return True
            if text in spec.get("falseValues", DEFAULT_FALSE) or text.lower() == "false":
                return False
            raise ValueError
    except ValueError:
        example = {
            "date": "2024-01-31",
            "datetime": "2024-01-31T08:00:00",
            "yearmonth": "2024-01",
            "boolean": "true or false",
            "number": "12.5",
        }.get(kind, "42")
        raise BadQuery({key: [f"{value!r} is not a {kind} (for example {example})"]}) from None
    return value


def is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which no database will take
        return False
    return True


def to_json(spec: dict) -> Any:
    kind = field_type(spec)
    if kind in ("date", "datetime"):
        return lambda v: None if v is None else v.isoformat()
    if kind == "number":
        return lambda v: v if v is None or math.isfinite(v) else None
    return lambda v: v


def quoted(column: str, plain: bool = False) -> str:
    """SQL for a cell as polars writes it: quoted only when it holds a comma, quote or line end.

    A `plain` column cannot hold those, so only its empty text needs quotes: skipping the
    searches makes a sorted export a sixth faster.
    """
    if plain:
        return f"CASE WHEN {column} = '' THEN '\"\"' ELSE coalesce({column}, '') END"
    return (
        f"CASE WHEN {column} IS NULL THEN '' "
        f"WHEN {column} = '' OR contains({column}, ',') OR contains({column}, '\"') "
        f"OR contains({column}, chr(10)) OR contains({column}, chr(13)) "
        f"THEN '\"' || replace({column}, '\"', '\"\"') || '\"' ELSE {column} END"
    )


def plain(spec: dict) -> bool:
    """Whether the schema rules out commas, quotes and line ends in the field's published text.

    True for numbers, dates and booleans in their default forms, and for strings limited to
    values without them; a custom format, separator or true/false word could hold a comma.
    """
    if any(spec.get(key) for key in ("groupChar", "decimalChar", "trueValues", "falseValues")):
        return False
    if field_type(spec) in ("integer", "number", "boolean", "year", "date", "yearmonth"):
        return spec.get("format", "default") == "default" and spec.get("bareNumber", True)
    enum = (spec.get("constraints") or {}).get("enum")
    return bool(enum) and all(isinstance(v, str) and not re.search(r'[,"\r\n]', v) for v in enum)


def quote_cell(text: str) -> str:
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
