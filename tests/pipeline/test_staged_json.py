"""The staged JSON rendering: one JSON array, one row object per line, read back exactly."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.pipeline import stage
from portal.pipeline.stage import read_json_rows, write_json_rows

AWKWARD = [
    'a "quoted", comma',
    "two\nlines\r\nand a tab\t",
    "unit \x1f separator and NUL \x00",
    '},{"incident_id":',  # an object boundary inside text
    "ünïcödé 中文 🚓",
    "",
    None,
]


def table(texts: list[str | None]) -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame(
        {
            "text": texts,
            "count": [None if i % 3 == 0 else i * 10_757 for i in range(n)],
            "share": [None if i % 4 == 0 else i / 3 for i in range(n)],
            "flag": [None if i % 5 == 0 else i % 2 == 0 for i in range(n)],
        },
        schema={"text": pl.String, "count": pl.Int64, "share": pl.Float64, "flag": pl.Boolean},
    )


def test_awkward_text_is_one_array_any_reader_takes_and_reads_back_exactly(tmp_path):
    frame = table(AWKWARD)
    path = tmp_path / "rows.json"

    write_json_rows(frame, path)

    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""] and len(lines) == len(AWKWARD) + 3
    # Python's own reader sees the same rows as polars' one-line JSON writer gives.
    one_line = io.BytesIO()
    frame.write_json(one_line)
    assert json.loads(path.read_bytes()) == json.loads(one_line.getvalue())
    assert read_json_rows(path, frame.schema).equals(frame)


def test_an_empty_table_is_an_empty_array(tmp_path):
    path = tmp_path / "rows.json"
    write_json_rows(table([]), path)
    assert json.loads(path.read_bytes()) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=30))
def test_any_text_round_trips(tmp_path_factory, texts):
    frame = table(texts)
    path = tmp_path_factory.mktemp("json") / "rows.json"
    write_json_rows(frame, path)
    assert json.loads(path.read_bytes()) == frame.to_dicts()
    assert read_json_rows(path, frame.schema).equals(frame)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_chunk_boundaries_anywhere_read_the_same_rows(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(stage, "JSON_CHUNK", chunk)
    frame = table(AWKWARD * 5)
    path = tmp_path / "rows.json"
    write_json_rows(frame, path)
    assert read_json_rows(path, frame.schema).equals(frame)


@pytest.mark.parametrize(
    "text",
    [
        '[{"text":"a"},{"text":"b"}]',  # valid JSON on one line
        '[\n{"text":"a"}\n{"text":"b"}\n]\n',  # a comma missing
        '[\n{"text":"a"},\n{"text":"b"},\n]\n',  # a comma too many
        '[\n{"text":"a"},\n{"text":"b"}\n',  # no end
        '[\n{"text":"a"},\n{"text":\n]\n',  # a broken row
    ],
)
def test_a_file_laid_out_otherwise_is_refused(tmp_path, text):
    path = tmp_path / "rows.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="rows.json"):
        read_json_rows(path, pl.Schema({"text": pl.String}))
