"""The screening pass: one polars select per batch that clears the ordinary rows.

Every field's fast tests (missing, suspect, constraint violated) are folded into one
boolean per row, "_problem", and every key set (primary key, unique field, foreign key)
is hashed in the same pass. Only the problem rows (usually none) go through the exact,
per-field checks of `cells.FieldCheck.check`; their key hashes are then recomputed from
the exact keys and patched in. For an ordinary row the exact check would report nothing
and compute the same key, so both paths give the same findings.
"""

from __future__ import annotations

import polars as pl

from portal.validation.cells import FieldCheck, one_of
from portal.validation.keys import NULL_HASH, combine, part_hash

PROBLEM = "_problem"
ROW_PROBLEM = "_problem_row"


def problem_column(number: int) -> str:
    return f"_problem_{number}"


def hash_column(name: str) -> str:
    return f"_hash_{name}"


def null_column(name: str) -> str:
    return f"_null_{name}"


class Screen:
    """The screening select of one table, for a given set of named keys (lists of fields)."""

    def __init__(self, checks: list[FieldCheck], key_sets: dict[str, list[str]]) -> None:
        self.checks = checks
        self.key_sets = key_sets
        self.selects = {regular: self.build(regular) for regular in (False, True)}

    def build(self, regular: bool) -> list[pl.Expr]:
        """The select; `regular` batches have every cell of every row (no short/long rows)."""
        width = len(self.checks)
        missing: list[pl.Expr] = []
        parts: dict[str, pl.Expr] = {}
        null_parts: dict[str, pl.Expr] = {}
        selects = [pl.col("_row")]
        for check in self.checks:
            is_missing = self.missing(check, regular)
            missing.append(is_missing)
            problem = self.problem(check, is_missing, regular)
            selects.append(problem.alias(problem_column(check.number)))
            if check.keyed and check.name not in parts:
                parts[check.name] = self.key_part_hash(check, is_missing)
                keyless = check.fast and check.key_part is None
                null_parts[check.name] = pl.lit(True) if keyless else is_missing
        whole_row = [pl.lit(False)]
        if not any(check.constraints.get("required") for check in self.checks):
            # A row of missing cells is a blank row, reported as such by the exact check.
            whole_row.append(pl.all_horizontal(missing))
        if not regular:
            whole_row.append(pl.col("_n") != width)
        selects.append(pl.any_horizontal(whole_row).alias(ROW_PROBLEM))
        null_hash = pl.lit(NULL_HASH, dtype=pl.UInt64)
        for name, fields in self.key_sets.items():
            selects.append(
                combine([parts.get(f, null_hash) for f in fields]).alias(hash_column(name))
            )
            selects.append(
                pl.all_horizontal([null_parts.get(f, pl.lit(True)) for f in fields]).alias(
                    null_column(name)
                )
            )
        return selects

    @staticmethod
    def missing(check: FieldCheck, regular: bool) -> pl.Expr:
        raw = check.raw
        blank = one_of(raw, check.missing_values)
        return blank if regular else (pl.col("_n") < check.number) | blank

    @staticmethod
    def problem(check: FieldCheck, is_missing: pl.Expr, regular: bool) -> pl.Expr:
        """Whether the exact check could report anything on this cell."""
        if not check.fast:
            wrong = pl.lit(True)
        else:
            # A regular batch was split on newlines: none of its cells holds one.
            wrong = check.line_suspect if regular else check.suspect
            tests = [violated.fill_null(False) for _, violated in check.checks]
            if not check.can_be_suspect:
                wrong = tests.pop(0) if tests else pl.lit(False)
            for test in tests:
                wrong = wrong | test
        if check.constraints.get("required"):
            return is_missing | wrong
        return ~is_missing & wrong

    @staticmethod
    def key_part_hash(check: FieldCheck, is_missing: pl.Expr) -> pl.Expr:
        """The key part hash of an ordinary row (a problem row's is recomputed exactly)."""
        null_hash = pl.lit(NULL_HASH, dtype=pl.UInt64)
        if not check.fast or check.key_part is None:
            return null_hash
        tag, payload = check.key_part
        return pl.when(is_missing).then(null_hash).otherwise(part_hash(payload, tag))

    def run(self, frame: pl.DataFrame, *, regular: bool) -> pl.DataFrame:
        """The screening columns of a batch: `_row`, the problem flags (of each field and of
        the row) and the key hashes."""
        # Two steps, so that the field flags are computed once and kept for `problem_column`.
        flags = [ROW_PROBLEM, *(problem_column(check.number) for check in self.checks)]
        return (
            frame.lazy()
            .select(self.selects[regular])
            .with_columns(pl.any_horizontal(flags).alias(PROBLEM))
            .collect()
        )
