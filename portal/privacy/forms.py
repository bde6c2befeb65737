"""The text forms the guard compares in: one canonical form per cell, and words with edges.

Canonical form: so that `10757`, `10757.0`, `" 10757 "`, `010757` and `10,757` meet, and
`1990-05-03`, `1990-05-03T00:00:00` and `5/3/1990` meet, every cell and every
never-publish value is compared trimmed, lower case, with numbers and dates rewritten the
same way, whatever the column's type or the file's format.

Word form: whole-word matching without a regular expression per pattern. Every
punctuation or space character is fenced with NUL on both sides and the text is fenced at
both ends, so "\\x00smith\\x00" can only match the word Smith: in "Smith's" or "SMITH," but
never inside "Smithson". Patterns go through the same function, so a multi-word value
("1234 N Main St") matches the same words with the same separators. One Aho-Corasick pass
(polars' `replace_many` / `contains_any`) then finds thousands of names at once.
"""

from __future__ import annotations

import string
import unicodedata
from functools import cache

import polars as pl

FENCE = "\x00"
NUMBER = r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[ t]00:00(?::00(?:\.0+)?)?(?:z|[+-]00:?00)?)?$"  # lower case
US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


def canonical(expr: pl.Expr) -> pl.Expr:
    """The one text form a cell or a secret is compared in (null stays null)."""
    text = expr.cast(pl.String).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    number = text.str.replace_all(",", "", literal=True).str.strip_prefix("+")
    number = number.str.replace(r"^(-?)0+(\d)", "${1}${2}")
    number = (
        pl.when(number.str.contains(".", literal=True))
        .then(number.str.replace(r"0+$", "").str.replace(r"\.$", ""))
        .otherwise(number)
    )
    us = text.str.extract_groups(US_DATE)
    us_date = pl.concat_str(
        us.struct[2], us.struct[0].str.zfill(2), us.struct[1].str.zfill(2), separator="-"
    )
    return (
        pl.when(text.str.contains(NUMBER))
        .then(number)
        .when(text.str.contains(ISO_DATE))
        .then(text.str.slice(0, 10))
        .when(text.str.contains(US_DATE))
        .then(us_date)
        .otherwise(text)
    )


def canonical_values(values: list[str | None]) -> list[str | None]:
    """Plain strings through `canonical` (for tests, reports and single values)."""
    series = pl.Series("v", values, dtype=pl.String)
    return series.to_frame().select(canonical(pl.col("v"))).to_series().to_list()


@cache
def separators() -> tuple[str, ...]:
    """Every character that ends a word: ASCII punctuation and spaces, and Unicode's own."""
    chars = set(string.punctuation + string.whitespace)
    for code in range(0x80, 0x3000):
        if unicodedata.category(chr(code))[0] in "PZS":
            chars.add(chr(code))
    return tuple(sorted(chars))


def word_form(expr: pl.Expr) -> pl.Expr:
    """Text with every separator fenced by NUL, and NUL at both ends (see the module doc)."""
    seps = list(separators())
    fenced = [f"{FENCE}{c}{FENCE}" for c in seps]
    cleaned = expr.str.replace_all(FENCE, "", literal=True)
    return pl.concat_str(pl.lit(FENCE), cleaned, pl.lit(FENCE)).str.replace_many(seps, fenced)


def unfence(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(FENCE, "", literal=True)


def word_patterns(values: list[str]) -> list[str]:
    """Values as word-form patterns, in the case variants ASCII-insensitive matching misses."""
    return sorted({p for found in word_variants(values).values() for p in found})


def word_variants(values: list[str]) -> dict[str, list[str]]:
    """Each value's word-form patterns (several case variants for non-ASCII values)."""
    variants: dict[str, set[str]] = {}
    for value in values:
        variants.setdefault(value, {value})
        if not value.isascii():
            variants[value].update({value.lower(), value.upper(), value.title()})
    ordered = sorted({v for found in variants.values() for v in found})
    if not ordered:
        return {}
    frame = pl.DataFrame({"v": ordered}, schema={"v": pl.String})
    forms = dict(zip(ordered, frame.select(word_form(pl.col("v"))).to_series(), strict=True))
    return {value: sorted(forms[v] for v in found) for value, found in variants.items()}
