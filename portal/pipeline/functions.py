"""The mapping functions of a publisher entry, one source cell at a time.

Each function either returns the cell's canonical text (ISO 8601 dates, plain decimal
numbers) with exactly the meaning the source cell had, or raises `CellError` saying why it
cannot: nothing is guessed. `normalise.py` calls them once per distinct source value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
)
# Upper bounds (exclusive) and labels; children are real subjects of use of force.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "under-18"),
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
    (65, "55-64"),
    (121, "65-plus"),
)
OLDEST_AGE = 120
# ASCII digits only: other scripts' digits are not what a US export means by a number.
_INTEGER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)


class CellError(ValueError):
    """This cell cannot be mapped without changing its meaning; the message says why."""


def two_digit_years(formats: Sequence[str]) -> bool:
    return any("%y" in fmt for fmt in formats)


def parse_moment(text: str, formats: Sequence[str], pivot: int | None) -> dt.datetime:
    """The one moment `text` means under the declared formats, or CellError.

    A two-digit year (`%y`) lands in the 100 years starting at `pivot` (1950: 50 → 1950,
    49 → 2049). Two formats that read the same text as different moments make it ambiguous.
    """
    found: dict[dt.datetime, str] = {}
    for fmt in formats:
        if not _separators(fmt) <= set(text):
            continue  # strptime would refuse it: its pattern needs each of these characters
        try:
            moment = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if "%y" in fmt:
            if pivot is None:
                raise CellError(f"format {fmt!r} has a two-digit year but no `pivot` is declared")
            year = pivot + (moment.year % 100 - pivot % 100) % 100
            try:
                moment = moment.replace(year=year)
            except ValueError:
                raise CellError(f"{text!r} is not a date in {year}") from None
        found.setdefault(moment, fmt)
    if not found:
        shown = ", ".join(formats)
        raise CellError(f"{text!r} matches none of the formats {shown}")
    if len(found) > 1:
        readings = " or ".join(f"{m.isoformat()} ({f})" for m, f in found.items())
        raise CellError(f"{text!r} is ambiguous: {readings}")
    return next(iter(found))


@functools.lru_cache(maxsize=256)
def _separators(fmt: str) -> frozenset[str]:
    """The ASCII punctuation `fmt` holds outside its directives (`-` and `:` in `%Y-%m-%d %H:%M`).

    strptime matches them literally (punctuation has no other case), so a text without one of
    them cannot match `fmt`. Skipping such formats matters: CPython caches only 5 compiled
    formats, so trying all 12 default formats on every cell recompiled each one every time.
    """
    literal, escaped = set(), False
    for char in fmt:
        if escaped:
            escaped = False
        elif char == "%":
            escaped = True
        elif char in string.punctuation:
            literal.add(char)
    return frozenset(literal)


def to_date(text: str, formats: Sequence[str], pivot: int | None = None) -> str:
    return parse_moment(text, formats, pivot).date().isoformat()


def to_datetime(text: str, formats: Sequence[str], pivot: int | None = None) -> str:
    moment = parse_moment(text, formats, pivot)
    return moment.isoformat(timespec="seconds")


def to_month(text: str, formats: Sequence[str], pivot: int | None = None) -> str:
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        return text
    return parse_moment(text, formats, pivot).strftime("%Y-%m")


def to_year(text: str, formats: Sequence[str], pivot: int | None = None) -> str:
    if re.fullmatch(r"\d{4}", text):
        return text
    return f"{parse_moment(text, formats, pivot).year:04d}"


def to_integer(text: str) -> str:
    """Digits with optional thousands groups (`1,234`) and a zero fraction (`12.0`)."""
    if not _INTEGER.fullmatch(text):
        raise CellError(f"{text!r} is not a whole number (only 1,234-style grouping is read)")
    return str(int(text.replace(",", "").split(".")[0]))


def to_number(text: str, currency: str | None = None) -> str:
    """A decimal number; commas only as thousands groups; a declared currency sign dropped."""
    body = text
    if currency and currency in body:
        sign = "-" if body.startswith("-") else ""
        body = sign + body.lstrip("-").removeprefix(currency).strip()
    if not _NUMBER.fullmatch(body) or not re.search(r"[0-9]", body):
        raise CellError(
            f"{text!r} is not a number (only 1,234.5-style grouping is read"
            + (f", with an optional {currency}" if currency else "")
            + ")"
        )
    plain = body.replace(",", "").removeprefix("+")
    try:
        Decimal(plain)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    return plain


def age_in_years(born: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - before_birthday


def band_of(age: int, bands: Sequence[tuple[int, str]] = AGE_BANDS) -> str:
    if age < 0:
        raise CellError(f"an age of {age} years (born after the date it is counted on)")
    if age > OLDEST_AGE:
        raise CellError(f"an age of {age} years is not plausible")
    for upper, label in bands:
        if age < upper:
            return label
    raise CellError(f"an age of {age} years is in none of the declared bands")


def to_list(
    text: str,
    separator: str = ";",
    values: Mapping[str, str] | None = None,
    *,
    unique: bool = False,
    order: str | None = None,
    take: str | None = None,
    join: str = ";",
) -> str:
    """Items in source order, repeats kept, unless the entry declares `unique` or `order`."""
    items = [item.strip() for item in text.split(separator)]
    items = [(values or {}).get(item, item) for item in items if item]
    if unique:
        items = list(dict.fromkeys(items))
    if order == "values" and values:
        rank = {label: n for n, label in enumerate(dict.fromkeys(values.values()))}
        items.sort(key=lambda item: rank.get(item, len(rank)))
    if take == "first":
        return items[0] if items else ""
    for item in items:
        if join in item:
            raise CellError(f"the item {item!r} contains the list separator {join!r}")
    return join.join(items)


def converter(spec: Mapping[str, Any]) -> Callable[[str], str] | None:
    """The Python function a column spec applies to each (trimmed, code-mapped) source value.

    None for mappings done without one (copies, `lower`, `trim`).
    """
    function = spec.get("function")
    formats = spec.get("formats")
    if isinstance(formats, str):
        formats = [formats]
    pivot = spec.get("pivot")
    if function in ("date", "month", "year"):
        formats = formats or DATE_FORMATS + DATETIME_FORMATS
        parse = {"date": to_date, "month": to_month, "year": to_year}[function]
        return lambda text: parse(text, formats, pivot)
    if function == "datetime":
        formats = formats or DATETIME_FORMATS
        return lambda text: to_datetime(text, formats, pivot)
    if function == "integer":
        return to_integer
    if function == "number":
        currency = spec.get("currency")
        return lambda text: to_number(text, currency)
    if function == "list":
        values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
        options = {
            "unique": bool(spec.get("unique")),
            "order": spec.get("order"),
            "take": spec.get("take"),
            "join": spec.get("join", ";"),
        }
        separator = spec.get("separator", ";")
        return lambda text: to_list(text, separator, values, **options)
    return None


def age_band_converter(spec: Mapping[str, Any]) -> Callable[[str, str | None], str]:
    """Age band from an age, or from a date of birth and the date named by `at`."""
    formats = spec.get("formats") or DATE_FORMATS + DATETIME_FORMATS
    if isinstance(formats, str):
        formats = [formats]
    at_formats = spec.get("at_formats") or formats
    if isinstance(at_formats, str):
        at_formats = [at_formats]
    pivot = spec.get("pivot")
    bands = tuple((int(upper), str(label)) for label, upper in (spec.get("bands") or {}).items())
    bands = bands or AGE_BANDS

    def band(value: str, at: str | None) -> str:
        if not spec.get("at"):
            return band_of(int(to_integer(value)), bands)
        if at is None:
            raise CellError(f"the date to count the age on ({spec['at']}) is empty")
        born = parse_moment(value, formats, pivot).date()
        on = parse_moment(at, at_formats, pivot).date()
        return band_of(age_in_years(born, on), bands)

    return band


def pad(text: str, width: int, char: str = "0") -> str:
    """Left-pad a value of digits (a ZIP code, a beat) that lost its leading zeros."""
    return text.rjust(width, char) if text.isascii() and text.isdigit() else text


def in_range(text: str, low: Any, high: Any) -> bool:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return True  # not a number: validation says so
    return (low is None or value >= Decimal(str(low))) and (
        high is None or value <= Decimal(str(high))
    )
