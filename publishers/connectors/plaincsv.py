"""The fast road for plain UTF-8 exports: no quote anywhere, every row one physical line.

Most records-system exports are like that, and then a row is its line split at the delimiter:
polars can read the file itself as the normalised table, without a Python loop over rows and
without a copy. Whether a file is plain is checked on its bytes, chunk by chunk, first: strict
UTF-8, no quote, no NUL byte, no lone carriage return, no line near the field-size limit, and
every line either empty or exactly as wide as the header. Anything else (quotes, a ragged
row, a line of spaces, another encoding) answers "not plain" and `csvfile.py` reads the file
row by row as before, so every message, line number and value stays exactly what that road
gives; `tests/publishers/test_plain_csv.py` compares both roads on generated files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl

from publishers.connectors.tables import MAX_FIELD_CHARS, SOURCE_LINE, header_names

_CHUNK = 16 * 1024 * 1024
_NEWLINE, _CARRIAGE = ord("\n"), ord("\r")


class _NotPlain(Exception):
    """The file needs the row-by-row reader."""


def scan_plain(path: Path, *, skip: int, sample: list[str], delimiter: str) -> pl.LazyFrame | None:
    """A plain file as the normalised table (text columns named by the header, empty cells
    null, SOURCE_LINE last), read where it is; None if it is not plain.

    `skip` is the byte-order mark's length; `sample` the first lines as the row-by-row reader
    decoded them (for the header), `delimiter` the one it chose.
    """
    header_line, header = _header(sample, delimiter)
    if header is None:
        return None
    try:
        blank, lines = _check(path, skip, delimiter, len(header), header_line)
    except (_NotPlain, UnicodeDecodeError):
        return None
    columns = header_names(header, f"the header row (line {header_line})")
    names = [f"\u2063{n}" for n in range(len(header))]
    frame = (
        pl.scan_csv(
            path,
            has_header=False,
            schema={name: pl.String for name in names},
            separator=delimiter,
            quote_char=None,
            # Lines, not rows: any blank lines above the header. The header is read as a row
            # (polars takes the table's width from the first line it reads), then dropped.
            skip_lines=header_line - 1,
            encoding="utf8",
            glob=False,
        )
        .with_row_index(SOURCE_LINE, offset=header_line)
        .filter(pl.col(SOURCE_LINE) > header_line)
    )
    if blank:
        frame = frame.filter(~pl.col(SOURCE_LINE).is_in(blank))
    frame = frame.select(
        *[pl.col(n).alias(h) for n, h in zip(names, columns, strict=True)],
        pl.col(SOURCE_LINE).cast(pl.Int64),
    )
    if frame.select(pl.len()).collect().item() != lines:
        return None  # polars split the file otherwise than its lines: take the slow road
    return frame


def _header(sample: list[str], delimiter: str) -> tuple[int, list[str] | None]:
    """The first row that is not blank, as the row-by-row reader finds it, and its line."""
    for number, line in enumerate(sample, start=1):
        if '"' in line:
            return 0, None
        row = next(csv.reader([line], delimiter=delimiter), [])
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        return number, row
    return 0, None


def _check(
    path: Path, skip: int, delimiter: str, width: int, header_line: int
) -> tuple[list[int], int]:
    """Blank lines after the header (numbers) and the count of data rows; _NotPlain otherwise."""
    separator = ord(delimiter)
    blank: list[int] = []
    rows = 0
    first = 1  # number of the chunk's first line
    with path.open("rb") as handle:
        handle.seek(skip)
        pending = b""
        while True:
            chunk = handle.read(_CHUNK)
            data = pending + chunk
            if not chunk:
                if not data:
                    break
                if not data.endswith(b"\n"):
                    data += b"\n"
                pending = b""
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_FIELD_CHARS:
                        raise _NotPlain
                    pending = data
                    continue
                data, pending = data[:cut], data[cut:]
            data.decode("utf-8")  # strict: UnicodeDecodeError means another encoding
            if b'"' in data or b"\x00" in data or data.count(b"\r") != data.count(b"\r\n"):
                raise _NotPlain
            found, count = _lines(data, separator, width, first, header_line)
            blank += found
            rows += count
            first += data.count(b"\n")
            if not chunk:
                break
    return blank, rows


def _lines(
    data: bytes, separator: int, width: int, first: int, header_line: int
) -> tuple[list[int], int]:
    """Check one chunk of whole lines; its blank lines after the header and its data rows."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == _NEWLINE)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    lengths -= (lengths > 0) & (buffer[np.maximum(ends - 1, 0)] == _CARRIAGE)
    if lengths.max(initial=0) > MAX_FIELD_CHARS:
        raise _NotPlain
    separators = np.flatnonzero(buffer == separator)
    per_line = np.searchsorted(separators, ends) - np.searchsorted(separators, starts)
    numbers = np.arange(first, first + len(ends))
    after = numbers > header_line
    empty = lengths == 0
    # Any other width, or a line of spaces: the row-by-row reader decides what it means.
    if np.any(after & ~empty & (per_line != width - 1)):
        raise _NotPlain
    blank = numbers[after & empty]
    return blank.tolist(), int(np.count_nonzero(after & ~empty))
