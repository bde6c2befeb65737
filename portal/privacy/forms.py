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
from functools import cache

import polars as pl

FENCE = "\x00"
NUMBER = r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[ t]00:00(?::00(?:\.0+)?)?(?:z|[+-]00:?00)?)?$"  # lower case
US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


SHORT = 40  # only a value this long (in bytes) can be a number or a date


def basic(expr: pl.Expr) -> pl.Expr:
    """Trimmed, spaces collapsed, lower case: the canonical form of any longer value."""
    return expr.cast(pl.String).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()


def canonical_series(values: pl.Series) -> pl.Series:
    """`canonical` for a whole column: the costly rules run once per distinct value that
    can be a number or a date (short, starting with a digit or a sign); the rest is `basic`."""
    text = values.alias("v").to_frame().select(basic(pl.col("v"))).to_series()
    ruled = (text.str.len_bytes() <= SHORT) & text.str.contains(r"^[+-]?\d")
    distinct = text.filter(ruled).unique().alias("v").to_frame()
    forms = distinct.with_columns(canonical(pl.col("v")).alias("c"))
    return text.replace(forms["v"], forms["c"]).alias(values.name)


def canonical(expr: pl.Expr) -> pl.Expr:
    """The one text form a cell or a secret is compared in (null stays null).

    Values whose basic form is longer than SHORT bytes get only that form: no number or
    date is that long. canonical(basic(x)) == canonical(x), which `leaks.find` relies on.
    """
    text = basic(expr)
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
    ).pipe(
        lambda full: (
            pl.when(expr.cast(pl.String).str.len_bytes() <= SHORT).then(full).otherwise(text)
        )
    )


def canonical_values(values: list[str | None]) -> list[str | None]:
    """Plain strings through `canonical` (for tests, reports and single values)."""
    return canonical_series(pl.Series("v", values, dtype=pl.String)).to_list()


# Besides ASCII punctuation and spaces, the separators narratives and exports really hold:
# typographic quotes and dashes, no-break spaces, ellipsis, bullets, guillemets.
UNICODE_SEPARATORS = (
    "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u3000"  # spaces
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a"  # quotes
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2026\u2022\u00b7\u00a7\u00b0\u2032\u2033"
)


@cache
def separators() -> tuple[str, ...]:
    """The characters that end a word (any other character is part of one)."""
    return tuple(sorted(set(string.punctuation + string.whitespace + UNICODE_SEPARATORS)))


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


def anchors(patterns: list[str]) -> pl.Series | None:
    """For every word-form pattern, its longest word in lower case: text holding the
    pattern holds that word whole. None if some pattern has no word at all ("----")."""
    words = pl.element().filter((pl.element() != "") & ~pl.element().is_in(separators()))
    longest = words.sort_by(words.str.len_bytes(), descending=True).first()
    frame = pl.DataFrame({"p": patterns}, schema={"p": pl.String})
    word = pl.col("p").str.split(FENCE).list.eval(longest).list.first()
    found = frame.select(word.str.to_lowercase()).to_series()
    return None if found.has_nulls() else found.unique()


def chunks_holding(chunks: pl.Series, anchors: pl.Series | None) -> pl.Series:
    """The distinct space-separated chunks of text that hold one of `anchors` as a word
    (a hash join on their words, not a text scan); all of them if `anchors` is None."""
    if anchors is None:
        return chunks
    frame = chunks.alias("c").to_frame()
    words = frame.with_columns(pl.col("c").pipe(word_form).str.split(FENCE).alias("w"))
    lower = pl.col("w").str.to_lowercase()
    return words.explode("w").filter(lower.is_in(anchors.implode())).get_column("c").unique()


def holding(cells: pl.DataFrame, column: str, anchors: pl.Series | None) -> pl.DataFrame:
    """The rows whose `column` can hold a pattern: those holding one of its `anchors` whole.

    Narratives share most of their space-separated chunks, so only the distinct chunks are
    looked at (`chunks_holding`, a hash join, cheaper than a text scan even when every
    chunk differs). The rows kept still have to be searched for the patterns.
    """
    if anchors is None:
        return cells
    chunked = pl.col(column).cast(pl.String).str.split(" ")
    chunks = cells.lazy().select(chunked.explode().drop_nulls().unique()).collect().to_series()
    held = chunks_holding(chunks, anchors)
    if held.is_empty():
        return cells.clear()
    return cells.filter(chunked.list.eval(pl.element().is_in(held.implode())).list.any())
