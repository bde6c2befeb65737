"""Reading JSON API answers: a list of records somewhere inside the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.errors import SourceUnreadable
from publishers.connectors import read_table


def read_json(tmp_path: Path, text: str, records: str | None = "data.records") -> list[tuple]:
    raw = tmp_path / "source-calls.json"
    raw.write_text(text, encoding="utf-8")
    source = {"type": "http", "url": "https://x.invalid/calls.json"}
    if records is not None:
        source["records"] = records
    table = read_table(raw, source, tmp_path).collect()
    return [tuple(table.columns), *table.rows()]


def test_records_become_rows_of_text(tmp_path: Path) -> None:
    document = {
        "meta": {"count": 3},
        "data": {
            "records": [
                {"district": "D1", "calls": 120, "median_minutes": 7.0, "audited": True},
                {"district": "D2", "calls": 98.5, "median_minutes": None, "note": ""},
                {"district": "D3", "audited": False, "tags": ["a", "b"]},
            ]
        },
    }

    rows = read_json(tmp_path, json.dumps(document))

    assert rows == [
        ("district", "calls", "median_minutes", "audited", "note", "tags"),
        ("D1", "120", "7", "true", None, None),
        ("D2", "98.5", None, None, None, None),
        ("D3", None, None, "false", None, '["a","b"]'),
    ]


def test_a_top_level_list_needs_no_records_path(tmp_path: Path) -> None:
    assert read_json(tmp_path, '[{"a": 1.50}]', records=None) == [("a",), ("1.5",)]


def test_invalid_json_names_the_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="not valid JSON: .* at line 3, column 13"):
        read_json(tmp_path, '{"data":\n {"records": [\n    {"a": 1,}]}}')


def test_a_missing_records_path_lists_the_keys_there_are(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="no 'data.records'.*keys at data are: rows, total"):
        read_json(tmp_path, '{"data": {"rows": [], "total": 0}}')


def test_records_that_are_not_a_list_of_objects_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="'data.records' is an object, not a list"):
        read_json(tmp_path, '{"data": {"records": {"a": 1}}}')
    with pytest.raises(SourceUnreadable, match="item 2 of 'data.records' is a number, not an"):
        read_json(tmp_path, '{"data": {"records": [{"a": 1}, 5]}}')


def test_a_huge_value_is_refused(tmp_path: Path) -> None:
    text = json.dumps({"data": {"records": [{"a": "x" * (1024 * 1024 + 1)}]}})

    with pytest.raises(SourceUnreadable, match="record 1: the value in column 1 is 1,048,577"):
        read_json(tmp_path, text)
