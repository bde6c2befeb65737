"""The fast engine reports what frictionless reports, on every file of the broken-table corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.validation import (
    engine,
    key_checks,
    source,
    validate_table,
    validate_table_reference,
)
from tests.validation.agreement import essence

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name.removesuffix(".csv") for p in CORPUS.glob("*.csv"))


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 26
    assert "valid" in CASES


@pytest.mark.parametrize("case", CASES)
def test_fast_engine_agrees_with_frictionless(case: str):
    schema = json.loads((CORPUS / f"{case}.schema.json").read_text())
    path = CORPUS / f"{case}.csv"

    fast = validate_table(schema, path)
    slow = validate_table_reference(schema, path)

    # Frictionless counts the rows it had buffered before an encoding error; we count none.
    encoding = [g["type"] for g in slow["groups"]] == ["encoding-error"]
    assert essence(fast, with_row_count=not encoding) == essence(slow, with_row_count=not encoding)


@pytest.mark.parametrize("case", CASES)
def test_small_samples_agree_too(case: str):
    schema = json.loads((CORPUS / f"{case}.schema.json").read_text())
    path = CORPUS / f"{case}.csv"

    fast = validate_table(schema, path, sample_size=2)
    slow = validate_table_reference(schema, path, sample_size=2)

    assert [len(g["sample"]) for g in fast["groups"]] == [len(g["sample"]) for g in slow["groups"]]
    assert essence(fast, with_row_count=False) == essence(slow, with_row_count=False)


@pytest.mark.parametrize("pending", [1, 10**9], ids=["checked-each-chunk", "gathered"])
@pytest.mark.parametrize("case", CASES)
def test_tiny_chunks_and_key_blocks_agree_too(case: str, pending: int, monkeypatch):
    # Chunks of a few lines mix the polars reader and the line-by-line one in one file,
    # key blocks of two rows make duplicates span blocks, and the flagged rows are checked
    # chunk by chunk or all together at the end.
    monkeypatch.setattr(source, "CHUNK_BYTES", 64)
    monkeypatch.setattr(key_checks, "KEY_BLOCK", 2)
    monkeypatch.setattr(engine, "PENDING_ROWS", pending)
    schema = json.loads((CORPUS / f"{case}.schema.json").read_text())
    path = CORPUS / f"{case}.csv"

    fast = validate_table(schema, path)
    slow = validate_table_reference(schema, path)

    encoding = [g["type"] for g in slow["groups"]] == ["encoding-error"]
    assert essence(fast, with_row_count=not encoding) == essence(slow, with_row_count=not encoding)
