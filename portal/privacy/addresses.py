"""Street addresses reduced to the hundred block, with a real US address parser (usaddress).

Every address comes out as one of: a block ("3000 block of N 28TH ST"), an
intersection ("84TH & CONGRESS"), a street with no number ("N MAIN ST"), or blank.
The house number as given is never kept: suffixes (3017-A, 3037A), ranges (6100-6400),
fractions (1700 1/2, 1700½) and leading zeros (0123) are read as their leading digits;
units (APT 4, #5) are dropped; PO boxes and text that is not an address are blanked.
"""

from __future__ import annotations

import re
from collections import Counter

import polars as pl
import usaddress

OUTCOMES = ("block", "alreadyBlock", "intersection", "streetOnly", "blanked")
STREET_PARTS = (
    "StreetNamePreModifier",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
    "StreetNamePostModifier",
)
SECOND_PARTS = tuple(f"Second{p}" for p in STREET_PARTS)
# "4600-BLK N 39TH ST", "2800 BLOCK OF N 35TH ST", "1200 block of N Main St"
ALREADY_BLOCK = re.compile(r"^\s*(\d+)\s*-?\s*(?:BLK|BLOCK)\b\.?\s*(?:OF\b)?\s*(.*)$", re.I)
SLASHED = re.compile(r"^\s*([^\d/][^/]*|\d+(?:ST|ND|RD|TH)\b[^/]*)/([^/]+)$", re.I)
LEADING_DIGITS = re.compile(r"^\s*0*(\d+)")
HOUSE_NUMBER_TOKEN = re.compile(r"^[\d½¼¾/-]+[A-Z]?$|^\d+[A-Z]?-?[A-Z0-9]*$", re.I)


def block_of(address: str | None) -> tuple[str | None, str]:
    """The published form of one address and which outcome it had."""
    if address is None or not address.strip():
        return None, "blanked"
    text = " ".join(address.split())
    already = ALREADY_BLOCK.match(text)
    if already and already.group(2):
        return _block(int(already.group(1)), already.group(2)), "alreadyBlock"
    slashed = SLASHED.match(text)
    if slashed:  # "62ND/LAYTON": an intersection written with a slash
        text = f"{slashed.group(1).strip()} & {slashed.group(2).strip()}"
    try:
        parts, kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return _street_only(text)
    if kind == "Intersection":
        first = _join(parts, STREET_PARTS)
        second = _join(parts, SECOND_PARTS)
        if first and second:
            return f"{first} & {second}", "intersection"
    if kind == "PO Box" or "USPSBoxID" in parts:
        return None, "blanked"
    street = _join(parts, STREET_PARTS)
    number = LEADING_DIGITS.match(parts.get("AddressNumber", ""))
    if kind == "Street Address" and street and number:
        return _block(int(number.group(1)), street), "block"
    return _street_only(text)


def _block(number: int, street: str) -> str:
    return f"{number // 100 * 100} block of {street.strip()}"


def _join(parts: dict, names: tuple[str, ...]) -> str:
    return " ".join(parts[name] for name in names if parts.get(name)).strip()


def _street_only(text: str) -> tuple[str | None, str]:
    """What is left once anything that could be a house or unit number is gone, or blank."""
    text = re.split(r"\b(?:APT|UNIT|STE|SUITE|RM|ROOM|FL|FLOOR|LOT|#)\b|#", text, flags=re.I)[0]
    words = [w for w in text.split() if not HOUSE_NUMBER_TOKEN.match(w) or _ordinal(w)]
    street = " ".join(words).strip(" ,;-")
    if (
        street
        and any(c.isalpha() for c in street)
        and not re.search(r"\d{2,}(?![a-z])", street, re.I)
    ):
        return street, "streetOnly"
    if street and all(_ordinal(w) or not any(c.isdigit() for c in w) for w in street.split()):
        return street, "streetOnly"
    return None, "blanked"


def _ordinal(word: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:ST|ND|RD|TH)", word, re.I))


def hundred_block(address: str | None) -> str | None:
    """The block-level form of a street address (Chicago's practice)."""
    return block_of(address)[0]


def reduce_column(table: pl.DataFrame, field: str) -> tuple[pl.DataFrame, dict]:
    """The field's addresses reduced, each distinct address parsed once; counts per outcome."""
    distinct = table.select(pl.col(field).drop_nulls().unique()).to_series().to_list()
    mapping = {value: block_of(value) for value in distinct}
    reduced = table[field].replace_strict(
        {k: v[0] for k, v in mapping.items()}, default=None, return_dtype=pl.String
    )
    per_value = Counter(table[field].drop_nulls().to_list())
    counts = dict.fromkeys(OUTCOMES, 0)
    for value, n in per_value.items():
        counts[mapping[value][1]] += n
    return table.with_columns(reduced.alias(field)), counts
