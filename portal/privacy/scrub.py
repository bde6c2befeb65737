"""Free text scrubbed: declared names, never-publish values, e-mails, phones, street addresses.

Names and never-publish values are replaced as whole words, case-insensitive, by
Aho-Corasick passes over the text's word form (see `forms`); the other rules are regular
expressions run by polars. The same rules clean comments and survey answers.

Speed: polars' `replace_many` cost grows with the number of patterns and the length of
text, and narratives repeat most of their words. So patterns are replaced once in each
distinct space-separated chunk of the column, and only in the chunks that hold one of
their words (a hash join); see `_replace_words`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from portal.errors import DefinitionError
from portal.privacy.forms import (
    FENCE,
    anchors,
    chunks_holding,
    unfence,
    word_form,
    word_patterns,
)

NAME, WITHHELD = "[name]", "[withheld]"
# Rust regular expressions (polars): no look-around, so edges are spelled out.
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# "jane at example dot org", "jane [at] example (dot) org", "jane(at)example(dot)org"
OBFUSCATED_EMAIL = (
    r"(?i)\b[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[\w-]+"
    r"(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\.)\s*[\w-]+)*"
    r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s*(?:com|org|net|gov|edu|us|io|info|co|mil|[a-z]{2})\b"
)
PHONE = r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}\b"
STREET = (
    r"\b\d{1,6}(?:-?[A-Za-z]|\s?1/2|½)?\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][A-Za-z0-9]*\s+){1,3}"
    r"(?i:St|Street|Ave|Avenue|Blvd|Boulevard|Dr|Drive|Rd|Road|Ln|Lane|Ct|Court|Pl|Place|Way|"
    r"Ter|Terrace|Pkwy|Parkway|Hwy|Highway|Cir|Circle|Sq|Square)\b\.?"
)
BUILT_IN = (
    ("e-mail addresses", EMAIL, "[e-mail]"),
    ("e-mail addresses", OBFUSCATED_EMAIL, "[e-mail]"),
    ("phone numbers", PHONE, "[phone]"),
    ("street addresses", STREET, "[address]"),
)
SAMPLE_SIZE = 5
SAMPLE_LENGTH = 240


@dataclass
class Vocabulary:
    """What to replace as whole words: name tokens and never-publish values, in word form."""

    names: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, names: list[str] = (), values: list[str] = ()) -> Vocabulary:  # type: ignore[assignment]
        """From plain text (names already split into tokens, values as written)."""
        return cls(word_patterns(list(names)), word_patterns(list(values)))

    def patterns(self) -> tuple[list[str], list[str]]:
        """Name patterns, and value patterns that are not also names (a name reads [name])."""
        names = set(self.names)
        return sorted(names), sorted({p for p in self.values if p not in names})


def compile_patterns(patterns: dict | None) -> list[tuple[str, str, str]]:
    """Declared `scrub.patterns` as (label, regex, replacement), each checked to compile."""
    rules = []
    for label, regex in (patterns or {}).items():
        try:
            pl.Series([""]).str.contains(regex)
        except pl.exceptions.ComputeError as error:
            raise DefinitionError(f"scrub pattern {label!r} does not compile: {error}") from error
        rules.append((str(label), str(regex), f"[{label}]"))
    return rules


def scrub_column(
    table: pl.DataFrame, column: str, vocabulary: Vocabulary, patterns: dict | None = None
) -> tuple[pl.DataFrame, dict, list[str]]:
    """Scrub one text column; return the table, counts per rule and a sample of changed cells."""
    rules = list(BUILT_IN) + compile_patterns(patterns)
    work = table.select(pl.col(column).alias("__original"), pl.col(column).alias("__text"))
    counts: dict[str, int] = {}
    # Contacts and addresses first: a name inside an e-mail address goes with the address.
    for label, regex, replacement in rules[: len(BUILT_IN)]:
        work, counts[label] = _apply(work, regex, replacement, counts.get(label, 0))
    names, values = vocabulary.patterns()
    if names or values:
        before = _markers(work)
        # Names first: "Ana Ruiz", a never-publish full name, reads "[name] [name]".
        work = _replace_words(work, [(names, NAME), (values, WITHHELD)])
        if work.select(pl.col("__text").str.contains(FENCE, literal=True).any()).item():
            work = work.with_columns(unfence(pl.col("__text")))  # as in word form: no NUL
        after = _markers(work)
        counts["names"] = after[0] - before[0]
        counts["never-publish values"] = after[1] - before[1]
    for label, regex, replacement in rules[len(BUILT_IN) :]:
        work, counts[label] = _apply(work, regex, replacement, counts.get(label, 0))
    changed = work.filter(pl.col("__text") != pl.col("__original"))
    sample = [cell[:SAMPLE_LENGTH] for cell in changed["__text"].head(SAMPLE_SIZE).to_list()]
    counts = {label: n for label, n in counts.items() if n}
    counts["cells"] = changed.height
    return table.with_columns(work["__text"].alias(column)), counts, sample


def _replace_words(work: pl.DataFrame, groups: list[tuple[list[str], str]]) -> pl.DataFrame:
    """Replace each group's word-form patterns in `__text` by its marker, whole words, ASCII
    case-insensitive (polars' Aho-Corasick `replace_many` on the word form), in order.

    A pattern without a space lies inside one space-separated chunk of text, so those are
    replaced in each distinct chunk once, and only in the chunks holding one of their words
    (`forms.chunks_holding`, a hash join); the others only in the rows holding such a chunk.
    Same result, at a cost that follows the text's distinct chunks and what is found, not
    the number of rows or of patterns.
    """
    pieces, chunks = _chunks(work)
    series = [(pl.Series(patterns, dtype=pl.String), marker) for patterns, marker in groups]
    spaced = [(p.filter(p.str.contains(" ", literal=True)), marker) for p, marker in series]
    local = [(p.filter(~p.str.contains(" ", literal=True)), marker) for p, marker in series]
    local = [(p, marker) for p, marker in local if not p.is_empty()]
    if local:
        every = pl.concat([patterns for patterns, _ in local]).to_list()
        text = pl.col("c")
        for patterns, marker in local:
            text = _replaced(text, patterns, marker)
        new = chunks_holding(chunks, anchors(every)).alias("c").to_frame()
        new = new.with_columns(text.alias("n")).filter(pl.col("c") != pl.col("n"))
        if not new.is_empty():
            pieces = pieces.list.eval(pl.element().replace(new["c"], new["n"]))
            work = work.with_columns(pieces.list.join(" ").alias("__text"))
            chunks = chunks.replace(new["c"], new["n"]).unique()
    for patterns, marker in spaced:
        if patterns.is_empty():
            continue
        held = chunks_holding(chunks, anchors(patterns.to_list())).implode()
        rows = work.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"), "__text")
        rows = rows.filter(pieces.list.eval(pl.element().is_in(held)).list.any())
        if rows.is_empty():
            continue
        rows = rows.with_columns(_replaced(pl.col("__text"), patterns, marker))
        work = work.with_columns(work["__text"].scatter(rows["__row"], rows["__text"]))
        pieces, chunks = _chunks(work)
    return work


def _chunks(work: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """`__text` split at spaces, and its distinct chunks."""
    pieces = work.select(pl.col("__text").str.split(" ")).to_series()
    return pieces, pieces.explode().drop_nulls().unique()


def _replaced(text: pl.Expr, patterns: pl.Series, replacement: str) -> pl.Expr:
    """Leftmost-longest: "O'Neil-Diaz" is one name ([name]), not "O'Neil" then "Diaz"."""
    by_length = patterns.to_frame("p").sort(pl.col("p").str.len_bytes(), descending=True)
    longest_first = by_length.get_column("p").to_list()
    fenced = [f"{FENCE}{replacement}{FENCE}"]
    words = word_form(text).str.replace_many(
        longest_first, fenced, ascii_case_insensitive=True, leftmost=True
    )
    return unfence(words)


def _apply(work: pl.DataFrame, regex: str, replacement: str, so_far: int) -> tuple:
    hits = work.select(pl.col("__text").str.count_matches(regex).sum()).item() or 0
    if hits:
        work = work.with_columns(pl.col("__text").str.replace_all(regex, replacement))
    return work, so_far + int(hits)


def _markers(work: pl.DataFrame) -> tuple[int, int]:
    """How many [name] and [withheld] markers the text holds (some may predate the scrub)."""
    row = work.select(
        pl.col("__text").str.count_matches(NAME, literal=True).sum(),
        pl.col("__text").str.count_matches(WITHHELD, literal=True).sum().alias("v"),
    ).row(0)
    return int(row[0] or 0), int(row[1] or 0)


def scrub_text(
    text: str | None,
    names: list[str] | None = None,
    values: list[str] | None = None,
    patterns: dict | None = None,
) -> str | None:
    """One piece of free text through the same rules the guard applies to a table's fields."""
    if not text:
        return text
    frame = pl.DataFrame({"text": [text]}, schema={"text": pl.String})
    vocabulary = Vocabulary.of(names or [], values or [])
    scrubbed, _, _ = scrub_column(frame, "text", vocabulary, patterns)
    return scrubbed["text"][0]
