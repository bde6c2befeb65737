"""Reading CSV exports as they come from records systems: encodings, delimiters, broken files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.errors import DefinitionError, SourceUnreadable
from publishers.connectors import SOURCE_LINE, read_table

CSV_SOURCE = {"type": "file", "path": "x.csv"}


def read(tmp_path: Path, data: bytes, **options: object) -> pl.DataFrame:
    raw = tmp_path / "source-export.csv"
    raw.write_bytes(data)
    return read_table(raw, {**CSV_SOURCE, **options}, tmp_path).collect()


def test_windows_1252_with_semicolons_is_detected(tmp_path: Path) -> None:
    text = (
        "Incident;Officer’s note;Amount\r\n"
        "1;Arrivé à 10h – “suspect fled”;12,50 €\r\n"
        "2;Déjà signalé;3\r\n"
    )

    table = read(tmp_path, text.encode("cp1252"))

    assert table.columns == ["Incident", "Officer’s note", "Amount"]
    assert table.rows() == [
        ("1", "Arrivé à 10h – “suspect fled”", "12,50 €"),
        ("2", "Déjà signalé", "3"),
    ]


def test_non_ascii_late_in_the_file_is_still_detected(tmp_path: Path) -> None:
    rows = "".join(f"{n},Main St\n" for n in range(20000))
    data = ("id,street\n" + rows + "20000,Cañon Road\n").encode("latin-1")

    table = read(tmp_path, data)

    assert table.height == 20001
    assert table.row(-1) == ("20000", "Cañon Road")


def test_a_declared_encoding_and_delimiter_are_used(tmp_path: Path) -> None:
    table = read(tmp_path, "a|b\nÅse|1\n".encode("latin-1"), encoding="latin-1", delimiter="|")

    assert table.rows() == [("Åse", "1")]


def test_a_utf8_bom_is_stripped_from_the_first_column_name(tmp_path: Path) -> None:
    table = read(tmp_path, "\ufeffIncidentNo,District\n1001,1\n".encode())

    assert table.columns == ["IncidentNo", "District"]


def test_excel_unicode_text_utf16_with_tabs(tmp_path: Path) -> None:
    table = read(tmp_path, "Unit\tCameras\r\nPatrol Nord\t42\r\n".encode("utf-16"))

    assert table.rows() == [("Patrol Nord", "42")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_common_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    data = delimiter.join(["date", "district", "notes"]) + "\n"
    data += delimiter.join(["2024-03-01", "D1", '"a, b; c | d"']) + "\n"

    table = read(tmp_path, data.encode())

    assert table.rows() == [("2024-03-01", "D1", "a, b; c | d")]


def test_mixed_line_endings_and_quoted_newlines(tmp_path: Path) -> None:
    data = b'id,narrative\r\n1,"line one\r\nline two"\n2,plain\r3,"x"\r\n'

    table = read(tmp_path, data)

    assert table.rows() == [("1", "line one\r\nline two"), ("2", "plain"), ("3", "x")]


def test_every_column_is_text_and_empty_cells_are_null(tmp_path: Path) -> None:
    table = read(tmp_path, b'badge,age,note\n007,41,""\n,12.0,\n')

    assert table.schema == {"badge": pl.String, "age": pl.String, "note": pl.String}
    assert table.rows() == [("007", "41", None), (None, "12.0", None)]


def test_a_header_without_rows_is_an_empty_table(tmp_path: Path) -> None:
    table = read(tmp_path, b"IncidentNo,District\n")

    assert table.columns == ["IncidentNo", "District"]
    assert table.height == 0


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n"])
def test_an_empty_file_has_no_header(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(SourceUnreadable, match="the file is empty"):
        read(tmp_path, data)


def test_a_repeated_column_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match=r"'District' appears twice \(columns 2 and 3\)"):
        read(tmp_path, b"Id,District,District\n1,2,3\n")


def test_a_blank_column_name_is_named_by_its_position(tmp_path: Path) -> None:
    table = read(tmp_path, b"Id, ,Date\n1,2,3\n")

    assert table.columns == ["Id", "(column 2, no name)", "Date"]
    assert table.rows() == [("1", "2", "3")]


def test_a_blank_column_name_in_a_header_of_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match=r"column 2 has no name; the first row looks like"):
        read(tmp_path, b"12,,2024-01-01,7\n1,2,3,4\n")


def test_rows_carry_the_line_they_start_on(tmp_path: Path) -> None:
    raw = tmp_path / "export.csv"
    raw.write_bytes(b'Id,Note\n\n1,"two\nlines"\n2,plain\n')

    table = read_table(raw, CSV_SOURCE, tmp_path, with_lines=True).collect()

    assert table.columns == ["Id", "Note", SOURCE_LINE]
    assert table[SOURCE_LINE].to_list() == [3, 5]


def test_ragged_rows_name_their_lines(tmp_path: Path) -> None:
    data = b"a,b,c\n1,2,3\n1,2,3,4\n1,2\n1,2,3\n"

    with pytest.raises(SourceUnreadable) as error:
        read(tmp_path, data)
    message = str(error.value)
    assert message.startswith("line 3 has 4 values but the header has 3 columns")
    assert "1 more rows do too (lines 4)" in message


def test_a_quoted_newline_does_not_confuse_line_numbers(tmp_path: Path) -> None:
    data = b'a,b\n1,"two\nlines"\n3\n'

    with pytest.raises(SourceUnreadable, match="^line 4 has 1 value but the header has 2"):
        read(tmp_path, data)


def test_an_unclosed_quote_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match=r"line 3: a quoted value is never closed"):
        read(tmp_path, b'a,b\n1,2\n3,"four\n5,6\n')


def test_binary_junk_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="line 2 contains NUL bytes"):
        read(tmp_path, b"a,b\n\x00\x01\x02\xff\xfe,1\n")


def test_a_workbook_declared_as_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match="spreadsheet or zip file, not CSV"):
        read(tmp_path, b"PK\x03\x04" + bytes(200))


def test_a_wrong_declared_encoding_names_the_line(tmp_path: Path) -> None:
    data = "name\nJosé\n".encode("cp1252")

    with pytest.raises(SourceUnreadable, match=r"line 2 cannot be read as utf-8 \(byte 0xE9"):
        read(tmp_path, data, encoding="utf-8")


def test_an_unknown_encoding_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="unknown encoding 'klingon'"):
        read(tmp_path, b"a\n1\n", encoding="klingon")


def test_a_huge_field_is_an_error_not_a_crash(tmp_path: Path) -> None:
    data = b"id,narrative\n1," + b"x" * (1024 * 1024 + 10) + b"\n"

    with pytest.raises(SourceUnreadable, match="line 2: a value is over 1,048,576 characters"):
        read(tmp_path, data)


def test_an_unclosed_quote_swallowing_a_big_file_is_stopped(tmp_path: Path) -> None:
    data = b'id,narrative\n1,"starts here\n' + b"2,ordinary row\n" * 80_000

    with pytest.raises(SourceUnreadable, match="line 2: a value is over 1,048,576 characters"):
        read(tmp_path, data)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(
            st.text(
                # Text as records systems export it: any script, symbol or line break, but
                # not the control bytes that mark a file as binary (tested on their own).
                alphabet=st.characters(
                    blacklist_categories=["Cs", "Cc"], whitelist_characters="\t\n\r"
                ),
                max_size=8,
            ),
            min_size=3,
            max_size=3,
        ),
        max_size=6,
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_any_table_written_as_csv_reads_back_the_same(
    tmp_path: Path, rows: list[list[str]], delimiter: str, encoding: str, line_end: str
) -> None:
    header = ["first", "second", "third"]
    buffer = io.StringIO()
    # QUOTE_ALL: the csv module leaves a lone "\n" unquoted when rows end in "\r".
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_ALL)
    writer.writerows([header, *rows])
    data = buffer.getvalue().encode(encoding)

    table = read(tmp_path, data, delimiter=delimiter)

    expected = [tuple(value or None for value in row) for row in rows]
    assert table.columns == header
    assert table.rows() == expected
