"""Bounded-memory key sets for unique, primary-key and foreign-key checks.

Keys are kept as 64-bit hashes of their canonical form in one sorted numpy array
(8 bytes a row), so a 5,000,000-row primary key costs about 40 MB. Two different keys
colliding (about 1 in 10^6 for 5M keys) would report a false duplicate.
"""

from __future__ import annotations

import numpy as np
import polars as pl

HASH_SEED = 20_240_501
NULL_PART = "\x00"
PART_SEPARATOR = "\x1f"


def key_hashes(parts: list[pl.Series]) -> tuple[pl.Series, pl.Series]:
    """Hash the tuple of key parts of each row; also say which rows have only null parts."""
    frame = pl.DataFrame({f"k{i}": part for i, part in enumerate(parts)})
    columns = [pl.col(name) for name in frame.columns]
    result = frame.select(
        all_null=pl.all_horizontal([c.is_null() for c in columns]),
        hash=pl.concat_str(
            [c.fill_null(NULL_PART) for c in columns], separator=PART_SEPARATOR
        ).hash(seed=HASH_SEED),
    )
    return result["hash"], result["all_null"]


class KeyIndex:
    """A growing set of key hashes that reports the keys it has seen before."""

    def __init__(self) -> None:
        self.sorted = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.sorted)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether it is in the set."""
        if not len(self.sorted):
            return np.zeros(len(hashes), dtype=bool)
        positions = np.searchsorted(self.sorted, hashes)
        positions[positions == len(self.sorted)] = 0
        return self.sorted[positions] == hashes

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Add the hashes (in row order); return which ones were already there (duplicates).

        A hash repeated inside `hashes` is a duplicate from its second occurrence on.
        """
        hashes = np.asarray(hashes, dtype=np.uint64)
        repeated = ~pl.Series(hashes).is_first_distinct().to_numpy()
        duplicate = repeated | self.contains(hashes)
        new = np.unique(hashes[~duplicate])
        if len(new):
            self.sorted = np.insert(self.sorted, np.searchsorted(self.sorted, new), new)
        return duplicate
