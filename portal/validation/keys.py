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
RUN_CAP = 1 << 20


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
    """A growing set of key hashes that reports the keys it has seen before.

    Held as sorted runs of geometrically decreasing size (merged as they fill), so adding
    N keys batch by batch costs O(N log N) rather than a full copy per batch. Runs stop
    growing at RUN_CAP hashes, so a merge never needs more than 2 x 8 MB of scratch.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self.runs)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether it is in the set."""
        found = np.zeros(len(hashes), dtype=bool)
        for run in self.runs:
            positions = np.searchsorted(run, hashes)
            positions[positions == len(run)] = 0
            found |= run[positions] == hashes
        return found

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Add the hashes (in row order); return which ones were already there (duplicates).

        A hash repeated inside `hashes` is a duplicate from its second occurrence on.
        """
        hashes = np.asarray(hashes, dtype=np.uint64)
        repeated = ~pl.Series(hashes).is_first_distinct().to_numpy()
        duplicate = repeated | self.contains(hashes)
        new = np.unique(hashes[~duplicate])
        if len(new):
            self.runs.append(new)
            while (
                len(self.runs) > 1
                and 2 * len(self.runs[-1]) >= len(self.runs[-2])
                and len(self.runs[-1]) + len(self.runs[-2]) <= RUN_CAP
            ):
                last = self.runs.pop()
                merged = self.runs.pop()
                self.runs.append(np.insert(merged, np.searchsorted(merged, last), last))
        return duplicate
