"""Where every reader ends: a checked header, text cells, a normalised CSV, an all-text frame."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from portal.errors import SourceUnreadable

# A field this long is a broken export (an unclosed quote swallowing the file, a blob column), not
# data a portal publishes; refusing it keeps memory bounded.
MAX_FIELD_CHARS = 1024 * 1024
# A number, an amount or a date: what a first row of data holds, and a header rarely does.
_DATA_LIKE = re.compile(r"[-+$]?\d[\d,.:/ -]*")
# The normalised copy's last column: where each row starts in the source (CSV line, sheet row,
# JSON record), so that a report can point an officer at the cell in the file they know.
SOURCE_LINE = "\u2063source line"

# The csv module refuses fields above its limit; make sure that limit is at least ours so that our
# own check (with a line number) is the one that speaks.
if csv.field_size_limit() < MAX_FIELD_CHARS + 1:
    csv.field_size_limit(MAX_FIELD_CHARS + 1)


def unnamed_column(number: int) -> str:
    """The name a column without a header gets: never mapped, listed as ignored in the report."""
    return f"(column {number}, no name)"


def check_header(names: Sequence[str], where: str) -> None:
    """Refuse a repeated column name, or a header that is data; `where` says which header.

    A blank name is allowed (exports often have one): the column is named after its position
    and, since no publisher entry can map it, ignored and listed in the run's report.
    """
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name.strip():
            if _data_hint(names):
                raise SourceUnreadable(f"{where}: column {number} has no name{_data_hint(names)}")
            continue
        if name in seen:
            raise SourceUnreadable(
                f"{where}: the column name {name!r} appears twice "
                f"(columns {seen[name]} and {number}){_data_hint(names)}"
            )
        seen[name] = number


def _data_hint(names: Sequence[str]) -> str:
    """When the "header" holds numbers and dates, the export most likely has no header row."""
    data_like = sum(1 for name in names if _DATA_LIKE.fullmatch(name.strip()))
    if data_like >= 2 and data_like * 4 >= len(names):
        return "; the first row looks like data, not column names: does the export have a header?"
    return ""


def check_field_sizes(
    values: Sequence[str | None], where: str, names: Sequence[str] | None = None
) -> None:
    for number, value in enumerate(values, start=1):
        if value is not None and len(value) > MAX_FIELD_CHARS:
            named = f" (column {number} is {names[number - 1]!r})" if names else ""
            raise SourceUnreadable(
                f"{where}: the value in column {number} is {len(value):,} characters long, "
                f"over the {MAX_FIELD_CHARS:,} allowed{named}; the file is probably malformed "
                "(an unclosed quote?)"
            )


def cell_text(value: Any) -> str | None:
    """A spreadsheet, JSON or database value as the text a CSV would hold (None stays None).

    Whole numbers lose their ".0", booleans are "true"/"false", dates and times are ISO 8601.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _duration(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def header_names(header: Sequence[str], where: str) -> list[str]:
    """The checked header's column names, a blank one named after its position."""
    check_header(header, where)
    return [
        name if name.strip() else unnamed_column(number)
        for number, name in enumerate(header, start=1)
    ]


class TableWriter:
    """Writes a checked header and rows as a UTF-8, comma-separated CSV that polars reads back."""

    def __init__(self, path: Path, header: Sequence[str], where: str) -> None:
        self.path = path
        self.header = header_names(header, where)
        self.width = len(header)
        self._file = path.open("w", encoding="utf-8", newline="")
        # \r\n: the csv module quotes a value holding any character of the line terminator, so a
        # lone "\r" inside a value survives the trip through polars.
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow([*self.header, SOURCE_LINE])

    def write(self, values: Sequence[str | None], where: str, line: int) -> None:
        """One row; `line` is where it starts in the source (line, sheet row or record)."""
        check_field_sizes(values, where, self.header)
        self._csv.writerow(["" if v is None else v for v in values] + [line])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if exc[0] is not None:
            self.path.unlink(missing_ok=True)


def normalised_path(raw: Path, source: Mapping[str, Any], workdir: Path) -> Path:
    """Where the normalised copy of raw goes: one file per raw file and sheet/records path.

    Two resources may read the same file name (two sheets of one workbook) and their frames
    stay alive side by side, so the name must tell them apart.
    """
    key = f"{raw.resolve()}|{source.get('sheet')}|{source.get('records')}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return workdir / f"{raw.stem}-{digest}.normalised.csv"


def scan(path: Path, *, with_lines: bool = False) -> pl.LazyFrame:
    """Read a normalised CSV lazily: every column text, empty cells null.

    With `with_lines`, the last column (SOURCE_LINE, an integer) says where each row starts in
    the source.
    """
    frame = pl.scan_csv(
        path, infer_schema=False, encoding="utf8", glob=False, quote_char='"', has_header=True
    )
    # Quoted "" would otherwise stay an empty string while bare empties become null.
    frame = frame.with_columns(pl.exclude(SOURCE_LINE).replace("", None))
    if with_lines:
        return frame.with_columns(pl.col(SOURCE_LINE).cast(pl.Int64))
    return frame.drop(SOURCE_LINE)


def _duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
