"""Key hashing and key sets: the fast screening pass and the exact checks must agree."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.validation.keys import BUCKET_EDGES, KeyIndex, key_hashes, part_hash

EDGES = [int(e) for e in BUCKET_EDGES[:3]] + [0, 2**64 - 1]
HASHES = st.one_of(
    st.integers(0, 2**64 - 1),
    st.sampled_from(EDGES + [e - 1 for e in EDGES if e] + [7, 8, 9]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(HASHES, max_size=40), max_size=8), st.lists(HASHES, max_size=20))
def test_a_key_index_remembers_exactly_the_keys_it_was_given(blocks, queries):
    index, seen = KeyIndex(), set()
    for block in blocks:
        expected = []
        for value in block:
            expected.append(value in seen)
            seen.add(value)

        duplicate = index.add(pl.Series(block, dtype=pl.UInt64))

        assert duplicate.tolist() == expected
    assert len(index) == len(seen)
    found = index.contains(np.array(queries + sorted(seen)[:5], dtype=np.uint64))
    assert found.tolist() == [q in seen for q in queries + sorted(seen)[:5]]


def test_the_first_of_equal_keys_in_a_block_is_the_original():
    index = KeyIndex()

    duplicate = index.add(pl.Series([5, 3, 5, 5, 3, 1], dtype=pl.UInt64))

    assert duplicate.tolist() == [False, False, True, True, True, False]


def test_a_raw_cell_hashes_like_its_canonical_key():
    cells = pl.DataFrame({"id": ["UOF-1", "7", "2024-01-05"]})
    tags = ["s", "n", "d"]
    fast = [cells.select(part_hash(pl.col("id"), tag)).to_series()[i] for i, tag in enumerate(tags)]

    exact, all_null = key_hashes([pl.Series(["s:UOF-1", "n:7", "d:2024-01-05"])])

    assert exact.to_list() == fast
    assert all_null.to_list() == [False, False, False]


def test_keys_of_different_types_or_order_hash_differently():
    hashes, _ = key_hashes(
        [
            pl.Series(["s:1", "n:1", "n:1", "n:2", None]),
            pl.Series(["n:2", "n:2", None, "n:1", None]),
        ]
    )

    assert len(set(hashes.to_list())) == 5
