"""Specific outcomes of the fast validator, and its agreement with frictionless on packages."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.errors import SourceUnreadable
from portal.validation import (
    source,
    validate_package,
    validate_package_reference,
    validate_table,
    validate_table_reference,
)
from tests.validation.agreement import essence

DISTRICTS = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "month", "type": "date"},
        {"name": "count", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "district", "type": "string", "constraints": {"enum": ["D1", "D2"]}},
    ],
    "primaryKey": ["id"],
}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_bad_enum_is_one_constraint_error_at_its_cell(tmp_path):
    path = write(
        tmp_path, "t.csv", "id,month,count,district\n1,2024-01-01,3,D1\n2,2024-02-01,4,D9\n"
    )

    report = validate_table(DISTRICTS, path)

    assert report["valid"] is False
    assert report["rowCount"] == 2
    [group] = report["groups"]
    assert (group["type"], group["count"]) == ("constraint-error", 1)
    [finding] = group["sample"]
    assert (finding["rowNumber"], finding["fieldNumber"], finding["fieldName"]) == (
        3,
        4,
        "district",
    )
    assert finding["cell"] == "D9"
    assert "enum" in finding["note"]


def test_a_valid_file_has_no_groups(tmp_path):
    path = write(tmp_path, "t.csv", "id,month,count,district\n1,2024-01-01,3,D1\n")

    assert validate_table(DISTRICTS, path) == {
        "valid": True,
        "rowCount": 1,
        "errorCount": 0,
        "groups": [],
    }


def test_a_file_that_is_not_utf8_is_one_encoding_error(tmp_path):
    path = write(
        tmp_path, "t.csv", "id,month,count,district\n1,2024-01-01,3,Montréal\n".encode("cp1252")
    )

    report = validate_table(DISTRICTS, path)

    assert [(g["type"], g["count"]) for g in report["groups"]] == [("encoding-error", 1)]
    assert "utf-8" in report["groups"][0]["sample"][0]["note"]


def test_an_empty_file_is_a_source_error(tmp_path):
    report = validate_table(DISTRICTS, write(tmp_path, "t.csv", ""))

    assert [(g["type"], g["count"]) for g in report["groups"]] == [("source-error", 1)]


def test_duplicate_primary_keys_are_counted_across_batches(tmp_path):
    lines = [f"{i % 150_000},2024-01-01,1,D1" for i in range(160_000)]
    path = write(tmp_path, "t.csv", "id,month,count,district\n" + "\n".join(lines) + "\n")

    report = validate_table(DISTRICTS, path, sample_size=3)

    [group] = report["groups"]
    assert (group["type"], group["count"]) == ("primary-key", 10_000)
    assert [s["rowNumber"] for s in group["sample"]] == [150_002, 150_003, 150_004]


def test_a_table_referencing_another_resource_needs_a_package(tmp_path):
    schema = dict(
        DISTRICTS,
        foreignKeys=[
            {"fields": ["district"], "reference": {"resource": "districts", "fields": ["code"]}}
        ],
    )
    path = write(tmp_path, "t.csv", "id,month,count,district\n1,2024-01-01,3,D1\n")

    assert essence(validate_table(schema, path)) == essence(validate_table_reference(schema, path))


def package(tmp_path: Path) -> dict[str, tuple[dict, Path]]:
    districts = {
        "fields": [{"name": "code", "type": "string"}, {"name": "area", "type": "integer"}],
        "primaryKey": ["code"],
    }
    counts = dict(
        DISTRICTS,
        foreignKeys=[
            {"fields": ["district"], "reference": {"resource": "districts", "fields": ["code"]}},
            {
                "fields": ["count", "district"],
                "reference": {"resource": "districts", "fields": ["area", "code"]},
            },
            {"fields": "count", "reference": {"resource": "", "fields": "id"}},
        ],
    )
    return {
        "districts": (
            districts,
            write(tmp_path, "districts.csv", "code,area\nD1,1\nD2,2\n,7\nD3,x\n"),
        ),
        "counts": (
            counts,
            write(
                tmp_path,
                "counts.csv",
                "id,month,count,district\n1,2024-01-01,1,D1\n2,2024-01-01,2,D2\n"
                "3,2024-01-01,1,D2\n4,2024-01-01,9,D7\n5,2024-01-01,,\n6,2024-01-01,x,D3\n",
            ),
        ),
    }


def test_foreign_keys_agree_with_frictionless_in_a_package(tmp_path):
    resources = package(tmp_path)

    fast = validate_package(resources)
    slow = validate_package_reference(resources)

    assert {n: essence(r) for n, r in fast.items()} == {n: essence(r) for n, r in slow.items()}
    rows = [
        s["rowNumber"]
        for g in fast["counts"]["groups"]
        if g["type"] == "foreign-key"
        for s in g["sample"]
    ]
    assert rows == [4, 5, 5, 5]


CELLS = st.sampled_from(
    [
        "",
        "1",
        "2",
        "01",
        "-3",
        "x",
        "D1",
        "D2",
        "D3",
        "2024-02-29",
        "2024-02-30",
        " 1",
        '"a,b"',
        "1.0",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=12))
def test_random_rows_agree_with_frictionless(tmp_path, rows):
    path = write(
        tmp_path,
        "random.csv",
        "id,month,count,district\n" + "".join(",".join(r) + "\n" for r in rows),
    )

    assert essence(validate_table(DISTRICTS, path)) == essence(
        validate_table_reference(DISTRICTS, path)
    )


def test_a_key_read_by_python_matches_the_same_key_read_by_polars(tmp_path):
    # "2024-1-5" is left to frictionless' reader, "2024-01-05" is read in polars: both are
    # the same date, so the second is a duplicate.
    schema = {"fields": [{"name": "day", "type": "date", "constraints": {"unique": True}}]}
    path = write(tmp_path, "t.csv", "day\n2024-01-05\n2024-01-06\n2024-1-5\n")

    report = validate_table(schema, path)

    assert [(g["type"], g["count"]) for g in report["groups"]] == [("unique-error", 1)]
    assert report["groups"][0]["sample"][0]["rowNumber"] == 4
    assert essence(report) == essence(validate_table_reference(schema, path))


def test_a_primary_key_duplicated_by_a_row_with_another_error_is_found(tmp_path):
    lines = [f"{i},2024-01-01,1,D1" for i in range(1, 30_001)] + ["7,2024-01-01,1,D9"]
    path = write(tmp_path, "t.csv", "id,month,count,district\n" + "\n".join(lines) + "\n")

    report = validate_table(DISTRICTS, path)

    assert [(g["type"], g["count"]) for g in report["groups"]] == [
        ("constraint-error", 1),
        ("primary-key", 1),
    ]
    assert report["groups"][1]["sample"][0]["rowNumber"] == 30_002


TEXT_CELLS = st.lists(
    st.sampled_from(["1", "D1", "2", " ", ",", '"', "\n", "\r", "é", "\t", "x"]), max_size=3
).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(TEXT_CELLS, min_size=3, max_size=5), max_size=12))
def test_random_text_in_small_chunks_agrees_with_frictionless(tmp_path, monkeypatch, rows):
    # Chunks of a few lines: some split by polars' reader, some by the csv module.
    monkeypatch.setattr(source, "CHUNK_BYTES", 32)
    lines = [",".join(cell if "," not in cell else f'"{cell}"' for cell in row) for row in rows]
    path = write(tmp_path, "random.csv", "id,month,count,district\n" + "\n".join(lines) + "\n")

    assert essence(validate_table(DISTRICTS, path)) == essence(
        validate_table_reference(DISTRICTS, path)
    )


LINE_TEXT = st.text(
    st.sampled_from(["a", " ", ",", '"', "\r", "\x00", "é", "\ufeff", "#", "'", "\t", "\\"]),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4), st.lists(LINE_TEXT, min_size=1, max_size=8), st.booleans())
def test_a_chunk_is_split_into_the_records_of_the_csv_module(width, lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    expected = list(csv.reader(io.StringIO(text, newline="")))

    try:
        batch = source.chunk_batch(text.encode(), width, first_row=2)
    except source.NeedsLineByLineReading:
        # Allowed only where a line could belong to a multi-line record.
        assert "\r" in text or '"' in text
        return

    records = [
        [row[f"c{j}"] for j in range(min(row["_n"], width))] + batch.extras.get(row["_row"], [])
        for row in batch.frame.iter_rows(named=True)
    ]
    assert batch.frame["_row"].to_list() == list(range(2, 2 + len(records)))
    assert records == expected


@pytest.mark.parametrize("chunk_bytes", [64, 4 << 20])
@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("where", ["header", "first row", "deep"])
def test_a_bad_byte_anywhere_is_the_one_encoding_error_check_utf8_names(
    tmp_path, monkeypatch, chunk_bytes, quoted, where
):
    # The readers check UTF-8 as they read (one pass over the file): whichever reader
    # meets the bad byte, the report is the encoding error alone, worded as before.
    monkeypatch.setattr(source, "CHUNK_BYTES", chunk_bytes)
    rows = [f"{i},2024-01-01,3,D1\n".encode() for i in range(1, 3000)]
    if quoted:
        rows[10] = b'11,2024-01-01,3,"D\n1"\n'  # a multi-line cell: the csv module reads it
    header = b"id,month,count,district\n"
    if where == "header":
        header = b"id,month,count,distr\xe9ct\n"
    elif where == "first row":
        rows[0] = b"1,2024-01-01,3,Montr\xe9al\n"
    else:
        rows[2500] = b"2501,2024-01-01,3,Montr\xe9al\n"
    path = write(tmp_path, "t.csv", header + b"".join(rows))
    with pytest.raises(SourceUnreadable) as expected:
        source.check_utf8(path)

    report = validate_table(DISTRICTS, path)

    assert report == {
        "valid": False,
        "rowCount": 0,
        "errorCount": 1,
        "groups": [
            {
                "type": "encoding-error",
                "title": "Encoding Error",
                "count": 1,
                "sample": [
                    {
                        "rowNumber": None,
                        "fieldNumber": None,
                        "fieldName": None,
                        "cell": None,
                        "note": str(expected.value),
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize("many", [False, True], ids=["few-values-compared", "many-hashed"])
def test_an_enum_of_few_or_many_values_agrees_with_frictionless(tmp_path: Path, many: bool):
    # `cells.one_of` compares a value with up to FEW_VALUES values and hashes beyond.
    allowed = [f"v{i}" for i in range(12 if many else 3)]
    numbers = list(range(12 if many else 3))
    schema = {
        "fields": [
            {"name": "label", "type": "string", "constraints": {"enum": allowed}},
            {"name": "level", "type": "integer", "constraints": {"enum": numbers}},
        ]
    }
    rows = ["v0,0", "v2,2", "V2,1", "v1,x", ",", "v9,9", "v1,+1", "v12,-0"]
    path = write(tmp_path, "enum.csv", "label,level\n" + "\n".join(rows) + "\n")

    fast = validate_table(schema, path, sample_size=100)

    assert essence(fast) == essence(validate_table_reference(schema, path, sample_size=100))
    assert fast["errorCount"] > 0


def reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_reading_ahead_gives_every_batch_in_order_then_the_reader_error():
    def batches():
        yield from range(5)
        raise source.NotUtf8("chunk 6")

    got = []
    with pytest.raises(source.NotUtf8, match="chunk 6"):
        for batch in source.read_ahead(batches()):
            got.append(batch)

    assert got == [0, 1, 2, 3, 4]
    assert reading_threads() == []


def test_a_reader_left_early_stops_and_closes_its_file():
    closed = []

    def batches():
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    ahead = source.read_ahead(batches())
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()

    assert closed == [True]
    assert reading_threads() == []
