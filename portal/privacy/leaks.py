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

import polars as pl

from portal.privacy.forms import canonical, canonical_values, word_form, word_variants
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
NAME_SPLIT = re.compile(r"[\s;,|/&]+")


@dataclass
class Secrets:
    """What must not appear, per never-publish or name column, in the forms it is looked for in."""

    values: pl.DataFrame  # canonical value, column
    words: dict[str, set[str]] = field(default_factory=dict)  # word-form pattern -> columns
    name_words: set[str] = field(default_factory=set)  # the patterns that are name tokens
    names: dict[str, set[str]] = field(default_factory=dict)  # name token -> columns
    counted: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> counts

    @property
    def patterns(self) -> list[str]:
        return sorted(self.words)

    def columns_of(self, matched: str) -> set[str]:
        """The columns a matched piece of text (any case) belongs to."""
        if not hasattr(self, "_lower"):
            lower: dict[str, set[str]] = {}
            for pattern, columns in self.words.items():
                lower.setdefault(pattern.lower(), set()).update(columns)
            self._lower = lower
        return self._lower.get(matched.lower(), set())

    def vocabulary(self) -> Vocabulary:
        values = [p for p in self.words if p not in self.name_words]
        return Vocabulary(names=sorted(self.name_words), values=sorted(values))

    @property
    def name_columns(self) -> list[str]:
        return sorted({c for cols in self.names.values() for c in cols})


def name_tokens(values: list[str]) -> set[str]:
    """Every given and family name in a list of names ("Ofc. J. Smith; Ana O'Neil-Diaz")."""
    tokens = set()
    for value in values:
        for token in NAME_SPLIT.split(value or ""):
            token = token.strip(".'\"()[]-")
            if (
                len(token) >= MIN_NAME_TOKEN
                and any(c.isalpha() for c in token)
                and token.lower() not in TITLES
            ):
                tokens.add(token)
                tokens.update(part for part in token.split("-") if len(part) >= MIN_NAME_TOKEN)
    return tokens


def gather(source: pl.LazyFrame, never_publish: list[str], names: dict[str, list[str]]) -> Secrets:
    """The secrets of a source: never-publish columns' values and name columns' tokens.

    `names` maps a column (or "roster") to its names. List values ("1234;5678") are
    looked for whole and part by part.
    """
    frames, counted = [], {}
    words: dict[str, set[str]] = {}
    for column in never_publish:
        raw = (
            source.select(pl.col(column).cast(pl.String).alias("raw"))
            .drop_nulls()
            .unique()
            .collect()
            .get_column("raw")
            .to_list()
        )
        parts = {p.strip() for value in raw for p in re.split(r"[;|]", value) if p.strip()}
        forms = sorted(set(raw) | parts)
        canon = canonical_values(forms)
        kept = [
            (f, c) for f, c in zip(forms, canon, strict=True) if c and len(c) >= MIN_SECRET_LENGTH
        ]
        counted[column] = {
            "distinct": len(raw),
            "short": sum(1 for c in canon if not c or len(c) < MIN_SECRET_LENGTH),
            "long": sum(1 for _, c in kept if len(c) > MAX_WORDS_LENGTH),
        }
        frames.append(pl.DataFrame({"v": [c for _, c in kept], "column": column}))
        for form, canon_form in kept:
            if len(canon_form) > MAX_WORDS_LENGTH:
                continue
            for variant in _text_variants(form.strip(), canon_form):
                words.setdefault(variant, set()).add(column)
    values = (
        pl.concat(frames).unique()
        if frames
        else pl.DataFrame(schema={"v": pl.String, "column": pl.String})
    )
    name_map: dict[str, set[str]] = {}
    for column, found in names.items():
        for token in name_tokens(found):
            name_map.setdefault(token, set()).add(column)
    secrets = Secrets(values=values, names=name_map, counted=counted)
    for pattern, columns in _word_map(words).items():
        secrets.words.setdefault(pattern, set()).update(columns)
    for pattern, columns in _word_map(name_map).items():
        secrets.words.setdefault(pattern, set()).update(columns)
        secrets.name_words.add(pattern)
    return secrets


def _text_variants(form: str, canon: str) -> set[str]:
    """How a value may be written inside text: as given, canonical, US date, leading zeros."""
    variants = {form, canon}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", canon):
        year, month, day = canon.split("-")
        variants |= {f"{month}/{day}/{year}", f"{int(month)}/{int(day)}/{year}"}
    elif canon.isdigit():
        variants |= {f"0{canon}", f"00{canon}"}
    return variants


def _word_map(found: dict[str, set[str]]) -> dict[str, set[str]]:
    patterns: dict[str, set[str]] = {}
    for form, forms in word_variants(sorted(found)).items():
        for pattern in forms:
            patterns.setdefault(pattern, set()).update(found[form])
    return patterns


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
    if not secrets.values.is_empty():
        canon = table.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
            *[canonical(pl.col(c)).alias(c) for c in table.columns],
        )
        for column in table.columns:
            hits = canon.select("__row", pl.col(column).alias("v")).join(
                secrets.values, on="v", how="inner"
            )
            for (secret,), rows in hits.group_by("column"):
                finding = findings.setdefault((column, str(secret)), Finding(column, str(secret)))
                finding.rows.update(rows["__row"].to_list())
    patterns = secrets.patterns
    for column in text_fields if patterns else []:
        if column not in table.columns:
            continue
        text = word_form(pl.col(column).cast(pl.String))
        marked = table.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"), text.alias("w")
        ).filter(pl.col("w").str.contains_any(patterns, ascii_case_insensitive=True))
        if marked.is_empty():
            continue
        matched = marked.select(
            "__row",
            pl.col("w")
            .str.extract_many(patterns, ascii_case_insensitive=True, overlapping=True)
            .alias("m"),
        ).explode("m")
        for row, match in matched.iter_rows():
            for secret in secrets.columns_of(match or ""):
                finding = findings.setdefault((column, secret), Finding(column, secret))
                finding.rows.add(row)
                finding.inside = True
    return list(findings.values())
