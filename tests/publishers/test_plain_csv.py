"""The fast road for plain CSV gives exactly what the row-by-row reader gives, or steps aside."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.errors import SourceUnreadable
from publishers.connectors import SOURCE_LINE, csvfile, read_table
from publishers.connectors.plaincsv import scan_plain

CSV_SOURCE = {"type": "file", "path": "x.csv"}


def both_roads(
    tmp_path: Path, data: bytes, monkeypatch: pytest.MonkeyPatch, **options: object
) -> tuple[object, object]:
    """What read_table gives (table or error message) with and without the fast road."""
    raw = tmp_path / "export.csv"
    raw.write_bytes(data)
    results = []
    for fast in (True, False):
        with monkeypatch.context() as patch:
            if not fast:  # the row-by-row reader, the reference
                patch.setattr(csvfile, "scan_plain", lambda *args, **kwargs: None)
            try:
                frame = read_table(raw, {**CSV_SOURCE, **options}, tmp_path, with_lines=True)
                results.append(frame.collect())
            except SourceUnreadable as error:
                results.append(str(error))
    return results[0], results[1]


def same(fast: object, slow: object) -> None:
    if isinstance(slow, pl.DataFrame):
        assert isinstance(fast, pl.DataFrame), fast
        assert fast.columns == slow.columns
        assert fast.rows() == slow.rows()
    else:
        assert fast == slow


def test_a_plain_export_takes_the_fast_road(tmp_path: Path) -> None:
    raw = tmp_path / "export.csv"
    raw.write_bytes(b"Id,Note\r\n\r\n1,a;b\r\n2,\r\n\r\n")
    taken = scan_plain(raw, skip=0, sample=["Id,Note\r\n"], delimiter=",")

    assert taken is not None
    table = read_table(raw, CSV_SOURCE, tmp_path, with_lines=True).collect()
    assert table.rows() == [("1", "a;b", 3), ("2", None, 4)]
    assert table.columns == ["Id", "Note", SOURCE_LINE]


@pytest.mark.parametrize(
    "data",
    [
        b'a,b\n1,"x"\n',  # a quote
        b"a,b\n1,2\n   \n3,4\n",  # a line of spaces
        b"a,b\n1,2,3\n",  # ragged
        b"a,b\r1,2\r",  # old Mac line ends
        "a,b\n1,caf\xe9\n".encode("cp1252"),  # not UTF-8
    ],
)
def test_anything_unusual_takes_the_row_by_row_road(tmp_path: Path, data: bytes) -> None:
    raw = tmp_path / "export.csv"
    raw.write_bytes(data)

    assert scan_plain(raw, skip=0, sample=["a,b\n"], delimiter=",") is None


VALUE = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters='"'),
    max_size=6,
) | st.sampled_from(["", " ", "x;y", "a,b", "'=1", "\u00a0"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(
        st.sampled_from(["id", "note", "", "date", "12", "2024-01-01"]), min_size=1, max_size=4
    ),
    rows=st.lists(st.lists(VALUE, min_size=0, max_size=5), max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    line_end=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    leading=st.sampled_from(["", "\n", " \n"]),
    last=st.booleans(),
)
def test_both_roads_read_any_quote_free_file_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    header: list[str],
    rows: list[list[str]],
    delimiter: str,
    line_end: str,
    bom: bool,
    leading: str,
    last: bool,
) -> None:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    text = leading.replace("\n", line_end) + line_end.join(lines) + (line_end if last else "")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")

    fast, slow = both_roads(tmp_path, data, monkeypatch, delimiter=delimiter)

    same(fast, slow)
