"""Finding never-publish values and declared names in published cells, of every type.

Two checks, both on every published table:
- whole cells: every cell of every column, in its canonical form (`forms.canonical`),
  against the canonical never-publish values, so a badge number mapped into an integer,
  a date of birth into a date and a name into a text field are all found;
- inside text: every cell of every free-text field (string fields without an `enum`),
  for never-publish values and name tokens as whole words, case-insensitive.
A finding names the published field, the never-publish column, the number of cells and
the first rows. A finding is accepted only when the resource declares that exact pair in
`coincidences`; everything else fails the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from portal.privacy.forms import SHORT, anchors, basic, canonical_series, holding, word_form
from portal.privacy.scrub import Vocabulary

MIN_SECRET_LENGTH = 4  # shorter values ("M", "12") occur in published columns by chance
MAX_WORDS_LENGTH = 100  # longer values (narratives) are compared as whole cells only
MIN_NAME_TOKEN = 2
SAMPLE_ROWS = 5
TITLES = frozenset(
    [
        "ofc",
        "officer",
        "off",
        "po",
        "sgt",
        "sergeant",
        "det",
        "detective",
        "lt",
        "lieut",
        "lieutenant",
        "capt",
        "captain",
        "cpl",
        "corporal",
        "cmdr",
        "commander",
        "chief",
        "dep",
        "deputy",
        "insp",
        "inspector",
        "agent",
        "trooper",
        "spec",
        "specialist",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "jr",
        "sr",
        "ii",
        "iii",
        "iv",
        "the",
        "and",
        "of",
    ]
)
NAME_SPLIT = re.compile(r"[\s\x1c-\x1f;,|/&]+")  # \x1c-\x1f: what Python's \s adds


@dataclass
class Secrets:
    """What must not appear, per never-publish or name column, in the forms it is looked for in."""

    values: pl.DataFrame  # v (canonical value), column: compared with whole cells
    words: pl.DataFrame  # pattern (word form), column, name: looked for inside text
    names: dict[str, set[str]] = field(default_factory=dict)  # name token -> columns
    counted: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> counts

    @cached_property
    def patterns(self) -> list[str]:
        return self.words.get_column("pattern").unique().sort().to_list()

    @cached_property
    def anchors(self) -> pl.Series | None:
        return anchors(self.patterns)

    def columns_of(self, matched: pl.DataFrame) -> pl.DataFrame:
        """(row, m) pieces of text matched in any case -> (row, column) they belong to."""
        lower = self.words.select(pl.col("pattern").str.to_lowercase().alias("m"), "column")
        matched = matched.with_columns(pl.col("m").str.to_lowercase())
        return matched.join(lower.unique(), on="m", how="inner").select("__row", "column")

    def vocabulary(self) -> Vocabulary:
        names = self.words.filter(pl.col("name")).get_column("pattern").unique().sort()
        values = self.words.filter(~pl.col("name")).get_column("pattern").unique().sort()
        return Vocabulary(names=names.to_list(), values=values.to_list())

    @property
    def name_columns(self) -> list[str]:
        return sorted({c for cols in self.names.values() for c in cols})


def name_tokens(values: list[str]) -> set[str]:
    """Every given and family name in a list of names ("Ofc. J. Smith; Ana O'Neil-Diaz"):
    each token and, for a hyphenated one, each part."""
    names = pl.Series("t", values, dtype=pl.String).drop_nulls().to_frame()
    token = pl.col("t").str.strip_chars(".'\"()[]-")
    tokens = (
        names.select(pl.col("t").str.split(NAME_SPLIT.pattern, literal=False).explode())
        .select(token)
        .filter(
            (pl.col("t").str.len_chars() >= MIN_NAME_TOKEN)
            & pl.col("t").str.contains(r"[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}]")
            & ~pl.col("t").str.to_lowercase().is_in(sorted(TITLES))
        )
        .unique()
    )
    parts = tokens.select(pl.col("t").str.split("-").explode())
    parts = parts.filter(pl.col("t").str.len_chars() >= MIN_NAME_TOKEN)
    return set(pl.concat([tokens, parts]).get_column("t").to_list())


def gather(source: pl.LazyFrame, never_publish: list[str], names: dict[str, list[str]]) -> Secrets:
    """The secrets of a source: never-publish columns' values and name columns' tokens.

    `names` maps a column (or "roster") to its names. List values ("1234;5678") are
    looked for whole and part by part.
    """
    values, words, counted = [], [], {}
    for column in never_publish:
        raw = source.select(pl.col(column).cast(pl.String).alias("f")).drop_nulls().unique()
        raw = raw.collect()
        parts = raw.select(pl.col("f").str.replace_all("|", ";", literal=True).str.split(";"))
        forms = pl.concat([raw, parts.explode("f")]).select(pl.col("f").str.strip_chars())
        forms = forms.filter(pl.col("f") != "").unique()
        forms = forms.with_columns(canonical_series(forms.get_column("f")).alias("v"))
        size = pl.col("v").str.len_chars()
        kept = forms.filter(size >= MIN_SECRET_LENGTH)
        counted[column] = {
            "distinct": raw.height,
            "short": forms.height - kept.height,
            "long": kept.filter(size > MAX_WORDS_LENGTH).height,
        }
        values.append(kept.select("v", pl.lit(column).alias("column")))
        words.append(_text_variants(kept.filter(size <= MAX_WORDS_LENGTH), column))
    name_map: dict[str, set[str]] = {}
    for column, found in names.items():
        for token in name_tokens(found):
            name_map.setdefault(token, set()).add(column)
    named = [(token, column) for token, columns in name_map.items() for column in columns]
    words.append(
        pl.DataFrame(
            named, schema={"f": pl.String, "column": pl.String}, orient="row"
        ).with_columns(pl.lit(True).alias("name"))
    )
    return Secrets(
        values=pl.concat(values).unique() if values else pl.DataFrame(schema=VALUES),
        words=_word_forms(pl.concat(words, how="vertical_relaxed")),
        names=name_map,
        counted=counted,
    )


VALUES = {"v": pl.String, "column": pl.String}


def _text_variants(kept: pl.DataFrame, column: str) -> pl.DataFrame:
    """How a value may be written inside text: as given, canonical, and US dates."""
    iso = kept.filter(pl.col("v").str.contains(r"^\d{4}-\d{2}-\d{2}$"))
    year, month, day = (pl.col("v").str.slice(i, n) for i, n in ((0, 4), (5, 2), (8, 2)))
    us = iso.select(pl.concat_str(month, day, year, separator="/").alias("f"))
    bare = iso.select(
        pl.concat_str(
            month.str.strip_chars_start("0"), day.str.strip_chars_start("0"), year, separator="/"
        ).alias("f")
    )
    every = pl.concat([kept.select("f"), kept.select(pl.col("v").alias("f")), us, bare])
    return every.unique().with_columns(pl.lit(column).alias("column"), pl.lit(False).alias("name"))


def _word_forms(words: pl.DataFrame) -> pl.DataFrame:
    """(f, column, name) -> (pattern, column, name), with case variants of non-ASCII forms."""
    wide = words.filter(~pl.col("f").str.contains(r"^[\x00-\x7F]*$"))
    variants = [
        wide.with_columns(pl.col("f").str.to_lowercase()),
        wide.with_columns(pl.col("f").str.to_uppercase()),
        wide.with_columns(pl.col("f").str.to_titlecase()),
    ]
    every = pl.concat([words, *variants]).unique()
    return every.select(word_form(pl.col("f")).alias("pattern"), "column", "name").unique()


@dataclass
class Finding:
    field: str
    column: str
    rows: set[int] = field(default_factory=set)
    inside: bool = False  # found inside text, not only as whole cells

    def summary(self, resource: str, accepted: bool) -> dict:
        first = sorted(self.rows)[:SAMPLE_ROWS]
        return {
            "resource": resource,
            "field": self.field,
            "column": self.column,
            "cells": len(self.rows),
            "rows": [r + 1 for r in first],
            "inside": self.inside,
            "accepted": accepted,
        }


def find(table: pl.DataFrame, text_fields: list[str], secrets: Secrets) -> list[Finding]:
    """Every (published field, secret column) pair that meets, with the rows it meets in."""
    findings: dict[tuple[str, str], Finding] = {}
    # Blank cells hold nothing (`unchecked_cells` blanks what was already checked).
    table = table.select(
        c for c in table.columns if table.get_column(c).null_count() < table.height
    )
    if not secrets.values.is_empty():
        # A cell whose basic form is longer than every secret (and than any number or date)
        # cannot equal one: only the others go through the costlier canonical rules.
        longest = max(secrets.values.select(pl.col("v").str.len_bytes().max()).item(), SHORT)
        for column in table.columns:
            # Collapsing runs of spaces is the only step of `basic` that shortens a trimmed
            # cell (lower case never has fewer characters), so longer cells without such a
            # run are left out before it: narratives never go through it.
            trimmed = pl.col(column).cast(pl.String).str.strip_chars()
            short = (trimmed.str.len_chars() <= longest) | trimmed.str.contains(r"\s\s")
            cells = (
                table.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"), column)
                .filter(short)
                .select("__row", basic(pl.col(column)).alias("v"))
                .filter(pl.col("v").str.len_bytes() <= longest)
            )
            cells = cells.with_columns(canonical_series(cells.get_column("v")))
            hits = cells.join(secrets.values, on="v", how="inner")
            for (secret,), rows in hits.group_by("column"):
                finding = findings.setdefault((column, str(secret)), Finding(column, str(secret)))
                finding.rows.update(rows["__row"].to_list())
    patterns = secrets.patterns
    for column in text_fields if patterns else []:
        if column not in table.columns:
            continue
        cells = table.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"), column)
        cells = holding(cells, column, secrets.anchors)
        text = word_form(pl.col(column).cast(pl.String))
        marked = cells.select("__row", text.alias("w")).filter(
            pl.col("w").str.contains_any(patterns, ascii_case_insensitive=True)
        )
        if marked.is_empty():
            continue
        matched = marked.select(
            "__row",
            pl.col("w")
            .str.extract_many(patterns, ascii_case_insensitive=True, overlapping=True)
            .alias("m"),
        ).explode("m")
        for (secret,), rows in secrets.columns_of(matched).group_by("column"):
            finding = findings.setdefault((column, str(secret)), Finding(column, str(secret)))
            finding.rows.update(rows["__row"].to_list())
            finding.inside = True
    return list(findings.values())


def unchecked_cells(published: pl.DataFrame, checked: pl.DataFrame) -> pl.DataFrame:
    """`published` with every cell whose text equals the checked table's cell blanked.

    Both checks read a cell only as text (`find` casts every column to a string), so a cell
    whose text is the same as an already checked one holds nothing new. What differs (a
    number read back as 12.0, a CSV formula escape, a different row count or column) is
    left for `find`. Rows keep their numbers, so findings name the published file's rows.
    """
    if published.height != checked.height:
        return published
    kept = []
    for column in published.columns:
        if column not in checked.columns:
            kept.append(pl.col(column))
            continue
        mine = published.get_column(column).cast(pl.String)
        same = mine.eq_missing(checked.get_column(column).cast(pl.String))
        kept.append(pl.when(same).then(None).otherwise(mine).alias(column))
    return published.select(kept)
