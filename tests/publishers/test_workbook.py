"""Reading spreadsheets as records officers save them from Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from portal.errors import SourceUnreadable
from publishers.connectors import read_table

XLSX = {"type": "file", "path": "budget.xlsx"}


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_values_come_out_as_the_text_a_person_would_type(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "budget.xlsx",
        {
            "Notes": [["ignore me"]],
            "Budget": [
                ["Fiscal year", "Division", "Adopted", "Opened", "Audited", "Note"],
                [2024, "Patrol", 1250000.0, dt.date(2024, 3, 1), True, None],
                [2025, "Investigations", 12.5, dt.datetime(2024, 7, 1, 9, 30), False, ""],
                [None, None, None, None, None, None],
                [2026, "Records", 0, dt.date(2025, 12, 31), None, "final"],
            ],
        },
    )

    table = read_table(path, {**XLSX, "sheet": "Budget"}, tmp_path).collect()

    assert table.columns == ["Fiscal year", "Division", "Adopted", "Opened", "Audited", "Note"]
    assert all(dtype == pl.String for dtype in table.dtypes)
    assert table.rows() == [
        ("2024", "Patrol", "1250000", "2024-03-01", "true", None),
        ("2025", "Investigations", "12.5", "2024-07-01T09:30:00", "false", None),
        ("2026", "Records", "0", "2025-12-31", None, "final"),
    ]


def test_the_first_sheet_is_read_when_none_is_named(tmp_path: Path) -> None:
    path = workbook(tmp_path / "staff.xlsx", {"Staffing": [["rank"], ["Sergeant"]], "B": [["x"]]})

    assert read_table(path, XLSX, tmp_path).collect().rows() == [("Sergeant",)]


def test_a_missing_sheet_lists_the_sheets_there_are(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", {"FY2024": [["a"]], "FY2025": [["a"]]})

    with pytest.raises(SourceUnreadable, match="no sheet named 'Budget'; its sheets: 'FY2024'"):
        read_table(path, {**XLSX, "sheet": "Budget"}, tmp_path)


def test_a_truncated_workbook_cannot_be_opened(tmp_path: Path) -> None:
    whole = workbook(tmp_path / "whole.xlsx", {"S": [["a"], [1]]}).read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(SourceUnreadable, match="the workbook could not be opened: "):
        read_table(broken, XLSX, tmp_path)


def test_a_repeated_header_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", {"S": [["Unit", "Unit"], [1, 2]]})

    with pytest.raises(SourceUnreadable, match=r"row 1 of sheet 'S'\): the column name 'Unit'"):
        read_table(path, XLSX, tmp_path)


def test_a_value_beyond_the_named_columns_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", {"S": [["Unit", "Cameras"], ["Patrol", 4, "stray"]]})

    with pytest.raises(SourceUnreadable, match="row 2 of sheet 'S' has a value in column C"):
        read_table(path, XLSX, tmp_path)


def test_an_empty_sheet_has_no_header(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", {"Empty": []})

    with pytest.raises(SourceUnreadable, match="the sheet 'Empty' is empty"):
        read_table(path, XLSX, tmp_path)


def test_two_sheets_of_one_workbook_can_be_read_side_by_side(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "finance.xlsx",
        {"Budget": [["division"], ["Patrol"]], "Staffing": [["rank"], ["Sergeant"]]},
    )

    budget = read_table(path, {**XLSX, "sheet": "Budget"}, tmp_path)
    staffing = read_table(path, {**XLSX, "sheet": "Staffing"}, tmp_path)

    assert budget.collect().rows() == [("Patrol",)]
    assert staffing.collect().rows() == [("Sergeant",)]
