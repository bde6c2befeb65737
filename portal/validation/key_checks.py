"""Unique, primary-key and foreign-key checks over the key hashes of consecutive batches.

Hashes are gathered over blocks of about 500,000 rows and checked a block at a time:
sorting a block once makes the look-ups into the key sets cheap. The findings these
checks make (unique-error, primary-key, foreign-key) come from nowhere else, so reporting
them a block later than the cell findings of the same rows changes neither their order
in the report nor its samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from portal.validation.cells import (
    FOREIGN_KEY,
    PRIMARY_KEY,
    UNIQUE,
    empty_findings,
    finding_frame,
)
from portal.validation.keys import KeyIndex

# A block's rows, hashes and nulls take 17 bytes a row (9 MB); fewer, larger blocks also
# mean fewer checks of the flagged rows (engine.settle): 3% less time at 1M rows than with
# blocks of 2**18, for 5 MB more peak at 5M (238-241 MB).
KEY_BLOCK = 1 << 19
PRIMARY = "primary"


def unique_set(name: str) -> str:
    return f"unique:{name}"


def foreign_set(index: int) -> str:
    return f"foreign:{index}"


@dataclass
class ExactKeys:
    """Exact key hashes of some rows (ascending row numbers), by key set."""

    rows: pl.Series
    hashes: dict[str, pl.Series]
    nulls: dict[str, pl.Series]


class KeyChecks:
    """The key checks of one table: which keys to hash, and what their hashes reveal."""

    def __init__(
        self,
        names: list[str],
        unique: set[str],
        primary_key: list[str],
        foreign: list[tuple[dict, KeyIndex | None]],
    ) -> None:
        # Field numbers of the unique fields, as the cell check numbers them (a name
        # given twice by the header is checked twice, against the same key set).
        self.unique = [(number, name) for number, name in enumerate(names, 1) if name in unique]
        self.unique_index = {name: KeyIndex() for _, name in self.unique}
        self.primary_key = primary_key
        self.primary_index = KeyIndex()
        self.foreign = foreign
        self.key_sets: dict[str, list[str]] = {unique_set(n): [n] for _, n in self.unique}
        if primary_key:
            self.key_sets[PRIMARY] = primary_key
        for index, (fk, lookup) in enumerate(foreign):
            if lookup is not None:
                self.key_sets[foreign_set(index)] = fk["fields"]
        # Polars Series, as the screen makes them (see KeyIndex.add).
        self.rows: list[pl.Series] = []
        self.hashes: dict[str, list[pl.Series]] = {name: [] for name in self.key_sets}
        self.nulls: dict[str, list[pl.Series]] = {name: [] for name in self.key_sets}
        self.pending = 0
        self.corrections: list[ExactKeys] = []

    @property
    def full(self) -> bool:
        return self.pending >= KEY_BLOCK

    def add(
        self, rows: pl.Series, hashes: dict[str, pl.Series], nulls: dict[str, pl.Series]
    ) -> None:
        """Take the key hashes of a batch (`flush` checks them once the block is `full`)."""
        if not self.key_sets:
            return
        self.rows.append(rows)
        for name in self.key_sets:
            self.hashes[name].append(hashes[name])
            self.nulls[name].append(nulls[name])
        self.pending += len(rows)

    def correct(self, exact: ExactKeys) -> None:
        """Replace the hashes of some rows taken since the last flush by exact ones."""
        if self.key_sets and len(exact.rows):
            self.corrections.append(exact)

    def flush(self) -> pl.DataFrame | None:
        """The findings of the rows taken since the last flush."""
        if not self.pending:
            return None
        rows = pl.concat(self.rows)
        hashes = {name: pl.concat(parts) for name, parts in self.hashes.items()}
        nulls = {name: pl.concat(parts) for name, parts in self.nulls.items()}
        for exact in self.corrections:
            at = rows.search_sorted(exact.rows)
            for name in self.key_sets:
                hashes[name].scatter(at, exact.hashes[name])
                nulls[name].scatter(at, exact.nulls[name])
        self.rows = []
        self.hashes = {name: [] for name in self.key_sets}
        self.nulls = {name: [] for name in self.key_sets}
        self.pending = 0
        self.corrections = []
        parts = [empty_findings()]
        for number, name in self.unique:
            present = ~nulls[unique_set(name)]
            duplicate = self.unique_index[name].add(hashes[unique_set(name)].filter(present))
            parts.append(
                rows_found(
                    picked(rows.filter(present), duplicate),
                    UNIQUE + number,
                    "unique-error",
                    "the same as in an earlier row",
                    number=number,
                    name=name,
                )
            )
        if self.primary_key:
            all_null = nulls[PRIMARY]
            duplicate = self.primary_index.add(hashes[PRIMARY].filter(~all_null))
            note = 'cells composing the primary keys are all "None"'
            parts.append(rows_found(rows.filter(all_null), PRIMARY_KEY, "primary-key", note))
            parts.append(
                rows_found(
                    picked(rows.filter(~all_null), duplicate),
                    PRIMARY_KEY,
                    "primary-key",
                    "the same as in an earlier row",
                )
            )
        for index, (fk, lookup) in enumerate(self.foreign):
            if lookup is None:
                continue
            checked = ~nulls[foreign_set(index)]
            unknown = ~lookup.contains(hashes[foreign_set(index)].filter(checked).to_numpy())
            target = fk["reference"]["resource"]
            note = (
                f'for "{", ".join(fk["fields"])}": values not found in the lookup table "{target}"'
            )
            parts.append(
                rows_found(
                    picked(rows.filter(checked), unknown), FOREIGN_KEY + index, "foreign-key", note
                )
            )
        found = pl.concat(parts)
        return found if found.height else None


def picked(rows: pl.Series, mask: np.ndarray) -> pl.Series:
    """The rows where the numpy mask is true (as a list of positions: a numpy array made
    into a Series would import numpy.ma, see KeyIndex.add)."""
    return rows.gather(np.flatnonzero(mask).tolist())


def rows_found(
    rows: pl.Series,
    order: int,
    kind: str,
    note: str,
    *,
    number: int | None = None,
    name: str | None = None,
) -> pl.DataFrame:
    """One finding of `kind` for each of the rows."""
    if not len(rows):
        return empty_findings()
    return finding_frame(rows, order, kind, number=number, name=name, note=note)
