"""The privacy guard: coarsen, bin, scrub and suppress a validated table before it is staged.

Declared per resource in the publisher entry under `privacy:`; every action is
counted in a disclosure report shown to the reviewing records officer.

    privacy:
      coarsen: {incident_date: month}        # day -> first day of its month, quarter or year
      hundred_block: [location]               # "1234 N Main St" -> "1200 block of N Main St"
      bin: {age: {breaks: [18, 25], labels: [under-18, 18-24, 25-plus]}}
      scrub:
        fields: [comment]                     # free text
        names_from: [SubjectName]             # source columns whose values are names to remove
        patterns: {case number: "UOF-\\d{4}-\\d{6}"}
      suppress:
        k: 10                                 # counts from 1 to k-1 are suppressed; 0 is shown
        counts: [responses]                   # the count fields (the first decides)
        also: [mean_score]                    # other fields blanked with a suppressed row
        by: [quarter]                         # the table's totals are published per group...
        rows: district                        # ...over this dimension (and `columns`, if given)
        flag: suppressed                      # the boolean field that marks suppressed rows
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from portal.errors import DefinitionError, ValidationFailed

ACTIONS = {"coarsen", "hundred_block", "bin", "scrub", "suppress"}
PERIODS = {"month", "quarter", "year"}
PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
STREET = re.compile(
    r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:St|Street|Ave|Avenue|Blvd|Boulevard|Dr|Drive|Rd|Road|Ln|Lane|Ct|Court|Pl|Place|Way|"
    r"Ter|Terrace|Pkwy|Parkway|Hwy|Highway)\b\.?"
)
ADDRESS_NUMBER = re.compile(r"^\s*(\d+)(\s+.+)$")
MIN_NAME_LENGTH = 3


class PrivacyGuardFailed(ValidationFailed):
    """The guard's output is not a valid table: the candidate is blocked, the report says why."""


def check_declaration(resource: str, privacy: dict, field_names: list[str]) -> None:
    """Fail early, when definitions load, on a privacy block that names unknown things."""
    unknown = set(privacy) - ACTIONS
    if unknown:
        raise DefinitionError(f"{resource}: unknown privacy actions {sorted(unknown)}")
    named = list(privacy.get("coarsen", {})) + list(privacy.get("hundred_block", []))
    named += list(privacy.get("bin", {})) + list(privacy.get("scrub", {}).get("fields", []))
    suppress = privacy.get("suppress")
    if suppress:
        if not suppress.get("counts") or not suppress.get("flag"):
            raise DefinitionError(f"{resource}: suppress needs `counts` and `flag`")
        named += suppress["counts"] + suppress.get("also", []) + [suppress["flag"]]
        named += suppress.get("by", []) + [
            d for d in (suppress.get("rows"), suppress.get("columns")) if d
        ]
    missing = [name for name in named if name not in field_names]
    if missing:
        raise DefinitionError(f"{resource}: privacy names fields the schema lacks: {missing}")
    bad = {f: p for f, p in privacy.get("coarsen", {}).items() if p not in PERIODS}
    if bad:
        raise DefinitionError(f"{resource}: coarsen to one of {sorted(PERIODS)}, not {bad}")


def guard_table(path: Path, privacy: dict, names: Iterable[str] = ()) -> dict:
    """Apply the declared actions to a normalised CSV in place; return what was done."""
    if not privacy:
        return {}
    table = pl.read_csv(path, infer_schema=False)
    report: dict = {}
    for field, period in privacy.get("coarsen", {}).items():
        table, changed = _coarsen(table, field, period)
        report.setdefault("coarsened", {})[field] = {"to": period, "cells": changed}
    for field in privacy.get("hundred_block", []):
        table, changed = _hundred_block(table, field)
        report.setdefault("hundredBlock", {})[field] = {"cells": changed}
    for field, spec in privacy.get("bin", {}).items():
        table, changed = _bin(table, field, spec)
        report.setdefault("binned", {})[field] = {"cells": changed, "labels": spec["labels"]}
    scrub = privacy.get("scrub")
    if scrub:
        table, counts = _scrub(table, scrub, names)
        report["scrubbed"] = counts
    suppress = privacy.get("suppress")
    if suppress:
        table, counts = suppress_small_cells(table, suppress)
        report["suppressed"] = counts
    table.write_csv(path, line_terminator="\r\n", null_value="")
    return report


def _coarsen(table: pl.DataFrame, field: str, period: str) -> tuple[pl.DataFrame, int]:
    day = pl.col(field).str.to_date("%Y-%m-%d", strict=False)
    start = {
        "month": day.dt.truncate("1mo"),
        "quarter": day.dt.truncate("1q"),
        "year": day.dt.truncate("1y"),
    }[period]
    coarse = pl.coalesce(start.dt.to_string("%Y-%m-%d"), pl.col(field))
    changed = table.select((coarse != pl.col(field)).sum()).item() or 0
    return table.with_columns(coarse.alias(field)), changed


def hundred_block(address: str | None) -> str | None:
    """The block-level form of a street address (Chicago's practice)."""
    if not address:
        return address
    match = ADDRESS_NUMBER.match(address)
    if not match:
        return address
    block = int(match.group(1)) // 100 * 100
    return f"{block} block of{match.group(2)}"


def _hundred_block(table: pl.DataFrame, field: str) -> tuple[pl.DataFrame, int]:
    blocks = table[field].map_elements(hundred_block, return_dtype=pl.String, skip_nulls=True)
    changed = int((blocks != table[field]).sum())
    return table.with_columns(blocks.alias(field)), changed


def _bin(table: pl.DataFrame, field: str, spec: dict) -> tuple[pl.DataFrame, int]:
    breaks, labels = spec.get("breaks") or [], spec.get("labels") or []
    if len(labels) != len(breaks) + 1:
        raise DefinitionError(f"bin {field}: give one more label than breaks")

    def band(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            return spec.get("unknown", "unknown")
        return labels[sum(number >= b for b in breaks)]

    binned = table[field].map_elements(band, return_dtype=pl.String, skip_nulls=False)
    changed = int(table[field].is_not_null().sum())
    return table.with_columns(binned.alias(field)), changed


def scrub_text(text: str | None, spec: dict, names: Iterable[str] = ()) -> str | None:
    """One piece of free text through the same rules the guard applies to a table's fields."""
    table, _ = _scrub(
        pl.DataFrame({"text": [text]}, schema={"text": pl.String}),
        {**spec, "fields": ["text"]},
        names,
    )
    return table["text"][0]


def _scrub(table: pl.DataFrame, spec: dict, names: Iterable[str]) -> tuple[pl.DataFrame, dict]:
    known = sorted(
        {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}, key=len, reverse=True
    )
    rules: list[tuple[str, re.Pattern, str]] = []
    if known:
        pattern = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in known), re.IGNORECASE)
        rules.append(("names", pattern, "[name]"))
    rules += [
        ("e-mail addresses", EMAIL, "[e-mail]"),
        ("phone numbers", PHONE, "[phone]"),
        ("street addresses", STREET, "[address]"),
    ]
    for label, regex in (spec.get("patterns") or {}).items():
        try:
            rules.append((label, re.compile(regex), f"[{label}]"))
        except re.error as error:
            raise DefinitionError(f"scrub pattern {label!r}: {error}") from error
    counts: dict[str, dict[str, int]] = {}
    for field in spec.get("fields", []):
        found: dict[str, int] = defaultdict(int)

        def clean(text: str | None, found: dict[str, int] = found) -> str | None:
            if text is None:
                return None
            for label, regex, replacement in rules:
                text, n = regex.subn(replacement, text)
                found[label] += n
            return text

        scrubbed = table[field].map_elements(clean, return_dtype=pl.String, skip_nulls=False)
        table = table.with_columns(scrubbed.alias(field))
        counts[field] = dict(found)
    return table, counts


def suppress_small_cells(table: pl.DataFrame, spec: dict) -> tuple[pl.DataFrame, dict]:
    """Suppress counts below k, then complementary cells until no total gives one away.

    Within each `by` group the cells form a grid (`rows` x `columns`, or one line of
    `rows`) whose line totals are taken to be public. A line with exactly one
    suppressed cell would let anyone subtract it back out of the total, so the
    smallest other non-zero cell of that line is suppressed too, repeating until
    every line has none or at least two.
    """
    k = int(spec.get("k", 10))
    count, flag = spec["counts"][0], spec["flag"]
    blanked = list(dict.fromkeys(spec["counts"] + spec.get("also", [])))
    values = table[count].cast(pl.Int64, strict=False).to_list()
    groups = table.select(spec.get("by", [])).rows() if spec.get("by") else [()] * len(values)
    row_keys = table[spec["rows"]].to_list()
    col_keys = table[spec["columns"]].to_list() if spec.get("columns") else [None] * len(values)
    suppressed = {i for i, v in enumerate(values) if v is not None and 0 < v < k}
    primary = len(suppressed)
    lines: dict[tuple, list[int]] = defaultdict(list)
    for i in range(len(values)):
        if spec.get("columns"):
            lines[("row", groups[i], row_keys[i])].append(i)  # one row, across the columns
            lines[("column", groups[i], col_keys[i])].append(i)  # one column, down the rows
        else:
            lines[("group", groups[i])].append(i)
    changed = True
    while changed:
        changed = False
        for members in lines.values():
            hidden = [i for i in members if i in suppressed]
            if len(hidden) != 1:
                continue
            others = [i for i in members if i not in suppressed and values[i] is not None]
            if not others:
                continue  # a line of one cell has no separate total to subtract from
            # The smallest non-zero cell loses least; a zero only when nothing else is left.
            suppressed.add(min(others, key=lambda i: (values[i] == 0, values[i], i)))
            changed = True
    mask = pl.Series([i in suppressed for i in range(len(values))], dtype=pl.Boolean)
    table = table.with_columns(
        [pl.when(mask).then(None).otherwise(pl.col(f)).alias(f) for f in blanked]
        + [pl.when(mask).then(pl.lit("true")).otherwise(pl.lit("false")).alias(flag)]
    )
    return table, {"k": k, "primary": primary, "complementary": len(suppressed) - primary}
