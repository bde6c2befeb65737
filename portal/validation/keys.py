"""Bounded-memory key sets for unique, primary-key and foreign-key checks.

A key is hashed to 64 bits from the canonical form of its parts (`cells.canonical_key`:
a type tag and a payload), and the hashes are kept in sorted numpy arrays (8 bytes a
row), so a 5,000,000-row primary key costs about 40 MB. Two different keys colliding
(about 1 in 10^6 for 5M keys) would report a false duplicate.

A part's hash is the payload's polars hash salted by its tag, so the screening pass can
hash a raw cell (`part_hash`) and get what hashing its canonical string gives
(`canonical_part_hash`) without building the string.
"""

from __future__ import annotations

import numpy as np
import polars as pl

HASH_SEED = 20_240_501
# One salt per canonical tag (see cells.canonical_key): "1" and 1 are different keys.
TAG_SALTS = {
    "s": 0x9E3779B97F4A7C15,
    "n": 0xC2B2AE3D27D4EB4F,
    "d": 0x165667B19E3779F9,
    "t": 0xD6E8FEB86659FD93,
    "o": 0xFF51AFD7ED558CCD,
}
NULL_HASH = 0x2545F4914F6CDD1D
PART_MULTIPLIER = 0x100000001B3
RUN_CAP = 1 << 20


def part_hash(payload: pl.Expr, tag: str) -> pl.Expr:
    """The hash of a key part whose canonical form is `<tag>:<payload>` (payload not null)."""
    return payload.hash(seed=HASH_SEED) ^ pl.lit(TAG_SALTS[tag], dtype=pl.UInt64)


def canonical_part_hash(key: pl.Expr) -> pl.Expr:
    """The hash of a key part given as its canonical string (or null)."""
    salt = key.str.slice(0, 1).replace_strict(TAG_SALTS, default=0, return_dtype=pl.UInt64)
    hashed = key.str.slice(2).hash(seed=HASH_SEED) ^ salt
    return pl.when(key.is_null()).then(pl.lit(NULL_HASH, dtype=pl.UInt64)).otherwise(hashed)


def combine(parts: list[pl.Expr]) -> pl.Expr:
    """One hash for a tuple of part hashes (order matters)."""
    combined = parts[0]
    for part in parts[1:]:
        combined = combined * pl.lit(PART_MULTIPLIER, dtype=pl.UInt64) + part
    return combined


def key_hashes(parts: list[pl.Series]) -> tuple[pl.Series, pl.Series]:
    """Hash the tuple of canonical key parts of each row; say which rows have only null parts."""
    frame = pl.DataFrame({f"k{i}": part for i, part in enumerate(parts)})
    columns = [pl.col(name) for name in frame.columns]
    result = frame.select(
        all_null=pl.all_horizontal([c.is_null() for c in columns]),
        hash=combine([canonical_part_hash(c) for c in columns]),
    )
    return result["hash"], result["all_null"]


class KeyIndex:
    """A growing set of key hashes that reports the keys it has seen before.

    Held as sorted runs of geometrically decreasing size (merged as they fill), so adding
    N keys block by block costs O(N log N) rather than a full copy per block. Runs stop
    growing at RUN_CAP hashes, so a merge never needs more than 2 x 8 MB of scratch.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(run) for run in self.runs)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether it is in the set."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        order = np.argsort(hashes)
        found = np.zeros(len(hashes), dtype=bool)
        found[order] = self.contains_sorted(hashes[order])
        return found

    def contains_sorted(self, hashes: np.ndarray) -> np.ndarray:
        # Sorted needles walk each run in order: far fewer cache misses than random ones.
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
        order = np.argsort(hashes)
        ordered = hashes[order]
        repeated = np.zeros(len(ordered), dtype=bool)
        repeated[1:] = ordered[1:] == ordered[:-1]
        if repeated.any():
            # A stable sort keeps equal hashes in row order: the first is the original.
            order = np.argsort(hashes, kind="stable")
            ordered = hashes[order]
        seen = repeated | self.contains_sorted(ordered)
        duplicate = np.zeros(len(hashes), dtype=bool)
        duplicate[order] = seen
        new = ordered[~seen]
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
