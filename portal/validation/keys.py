"""Bounded-memory key sets for unique, primary-key and foreign-key checks.

A key is hashed to 64 bits from the canonical form of its parts (`cells.canonical_key`:
a type tag and a payload), and the hashes are kept in sorted numpy arrays (8 bytes a
key), so a 5,000,000-row primary key costs about 40 MB. Two different keys colliding
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
BUCKET_BITS = 8
BUCKETS = 1 << BUCKET_BITS
# The smallest hash of buckets 1..BUCKETS-1 (a bucket holds the hashes with its top bits).
BUCKET_EDGES = np.arange(1, BUCKETS, dtype=np.uint64) << np.uint64(64 - BUCKET_BITS)
EMPTY = np.zeros(0, dtype=np.uint64)


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

    Held as BUCKETS sorted arrays, one per value of a hash's top bits: a block of hashes
    is sorted once, cut at the bucket edges, and each piece is looked up in (and merged
    into) an array small enough to stay in the processor's cache. Memory is the hashes
    themselves plus a bucket's worth of scratch.
    """

    def __init__(self) -> None:
        self.buckets: list[np.ndarray] = [EMPTY] * BUCKETS

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self.buckets)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, whether it is in the set."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        order = np.argsort(hashes)
        found = np.zeros(len(hashes), dtype=bool)
        found[order] = self.contains_sorted(hashes[order])
        return found

    def contains_sorted(self, ordered: np.ndarray) -> np.ndarray:
        found = np.zeros(len(ordered), dtype=bool)
        for bucket, start, end in pieces(ordered):
            run = self.buckets[bucket]
            if len(run):
                part = ordered[start:end]
                positions = np.searchsorted(run, part)
                positions[positions == len(run)] = 0
                found[start:end] = run[positions] == part
        return found

    def add(self, hashes: pl.Series) -> np.ndarray:
        """Add the UInt64 hashes (in row order); return which ones were already there
        (duplicates). A hash repeated inside `hashes` is a duplicate from its second
        occurrence on.

        The hashes come as polars' (as the screen computes them): turning a numpy array
        into a Series imports numpy.ma, 9 ms of a short run.
        """
        # Polars sorts on every core: 524,288 hashes in 8 ms, against 26 ms for np.sort here.
        ordered_hashes = hashes.sort()
        ordered = ordered_hashes.to_numpy()
        seen = np.zeros(len(ordered), dtype=bool)
        seen[1:] = ordered[1:] == ordered[:-1]
        for bucket, start, end in pieces(ordered):
            run, part = self.buckets[bucket], ordered[start:end]
            if not len(run):  # nothing to look up or merge with (every bucket, at first)
                self.buckets[bucket] = part[~seen[start:end]]
                continue
            positions = np.searchsorted(run, part)
            seen[start:end] |= run[np.minimum(positions, len(run) - 1)] == part
            fresh = ~seen[start:end]
            if fresh.any():
                self.buckets[bucket] = merge(run, part[fresh], positions[fresh])
        duplicate = np.zeros(len(hashes), dtype=bool)
        if seen.any():
            # Only the rows holding a repeated hash are sorted with their positions (they
            # are few: 200,000 rows took 16 ms to sort whole); a stable sort keeps equal
            # hashes in row order, the first of them the original.
            values = pl.Series(ordered[seen].tolist(), dtype=pl.UInt64)
            repeated = among(ordered_hashes, values)
            rows = np.flatnonzero(among(hashes, values))
            in_rows = hashes.to_numpy()[rows]
            duplicate[rows[np.argsort(in_rows, kind="stable")]] = seen[repeated]
        return duplicate


def among(hashes: pl.Series, values: pl.Series) -> np.ndarray:
    """For each hash, whether it is one of `values` (hashed by polars: 2.3 ms for 524,288
    hashes, whether `values` holds 10 or 300, where a binary search each took 11 to 24)."""
    return hashes.is_in(values.implode()).to_numpy()


def merge(run: np.ndarray, new: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`run` with the sorted `new` hashes inserted at their (searchsorted) positions."""
    merged = np.empty(len(run) + len(new), dtype=np.uint64)
    slots = positions + np.arange(len(new))
    kept = np.ones(len(merged), dtype=bool)
    kept[slots] = False
    merged[slots] = new
    merged[kept] = run
    return merged


def pieces(ordered: np.ndarray) -> list[tuple[int, int, int]]:
    """The non-empty pieces of sorted hashes that fall in each bucket: (bucket, start, end)."""
    cuts = np.searchsorted(ordered, BUCKET_EDGES)
    bounds = [0, *cuts.tolist(), len(ordered)]
    return [
        (bucket, start, end)
        for bucket, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        if end > start
    ]
