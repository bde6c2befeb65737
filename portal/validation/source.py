"""Streaming reader of a normalised CSV file into batches of raw string cells."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from portal.errors import SourceUnreadable

# A line whose quotes all wrap whole fields: a complete record, parsed the same way by
# Python's csv module (what frictionless uses) whichever way it is split.
WELL_FORMED_LINE = re.compile(r'(?:"(?:[^"]|"")*"|[^",]*)(?:,(?:"(?:[^"]|"")*"|[^",]*))*')
READ_CHUNK = 1 << 20
# Polars' working memory grows with the batch (about 20x its text), so batches stay small.
CHUNK_BYTES = 4 << 20
NEWLINE, COMMA = ord("\n"), ord(",")


class NeedsLineByLineReading(Exception):
    """The file holds records that a line-by-line split would get wrong (multi-line cells...)."""


@dataclass
class Batch:
    """Consecutive data rows: `_row` (frictionless row number), `_n` (cells in the row) and
    one String column `c<j>` per expected field, "" where the row has no such cell."""

    frame: pl.DataFrame
    extras: dict[int, list[str]] = field(default_factory=dict)
    # Every row has exactly one cell per expected field (so no missing or extra cells).
    regular: bool = False


def check_utf8(path: Path) -> None:
    """Raise SourceUnreadable with the decoder's message if the file is not valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            if chunk.isascii() and not decoder.getstate()[0]:
                # ASCII is valid UTF-8 (and leaves no partial character behind).
                continue
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise SourceUnreadable(str(error)) from error
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise SourceUnreadable(str(error)) from error


def read_labels(path: Path) -> tuple[list[str], bool]:
    """The header row's labels, stripped as frictionless strips them, and whether it is one line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        cells = next(reader, [])
        return [cell.strip() for cell in cells], reader.line_num <= 1


def has_data(path: Path) -> bool:
    """Whether anything follows the header record."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return next(reader, None) is not None


def frame_from_records(
    rows: list[int], records: list[list[str]], width: int
) -> tuple[pl.DataFrame, dict[int, list[str]]]:
    """Build a batch frame from parsed records, keeping the cells beyond `width` aside."""
    columns: dict[str, pl.Series] = {
        "_row": pl.Series(rows, dtype=pl.Int64),
        "_n": pl.Series([len(r) for r in records], dtype=pl.Int64),
    }
    for j in range(width):
        columns[f"c{j}"] = pl.Series([r[j] if len(r) > j else "" for r in records], dtype=pl.String)
    extras = {row: r[width:] for row, r in zip(rows, records, strict=True) if len(r) > width}
    return pl.DataFrame(columns), extras


def python_batches(path: Path, width: int, batch_size: int) -> Iterator[Batch]:
    """Batches read with Python's csv module: slower, but right for any file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        rows: list[int] = []
        records: list[list[str]] = []
        for number, record in enumerate(reader, start=2):
            rows.append(number)
            records.append(record)
            if len(records) >= batch_size:
                yield Batch(*frame_from_records(rows, records, width))
                rows, records = [], []
        if records:
            yield Batch(*frame_from_records(rows, records, width))


def line_chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """The file after its header line, in chunks of whole lines (bounded memory)."""
    with path.open("rb") as handle:
        handle.readline()
        carry = b""
        while chunk := handle.read(chunk_bytes):
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                carry += chunk
                continue
            # One copy of the chunk at most: these are megabytes.
            yield b"".join((carry, memoryview(chunk)[:cut])) if carry or cut < len(chunk) else chunk
            carry = chunk[cut:]
        if carry:
            yield carry


def polars_batches(path: Path, width: int, batch_size: int) -> Iterator[Batch]:
    """Batches split by polars, one physical line per record.

    Ordinary lines are split on commas in polars; the rare others (quotes, ragged, blank)
    go through Python's csv module one line at a time. Raises NeedsLineByLineReading as
    soon as a line could be part of a multi-line record.
    """
    names = [f"c{j}" for j in range(width)]
    text = pl.col("l")
    ordinary = (
        ~text.str.contains('"', literal=True)
        & ~text.str.contains("\r", literal=True)
        & (text.str.count_matches(",", literal=True) == width - 1)
        & (text.str.len_bytes() > 0)
    )
    first_row = 2
    # Reading a chunk at a time (not the whole file with polars' CSV reader, whose
    # parallel buffers cost hundreds of MB on big files) keeps memory to a few chunks.
    for chunk in line_chunks(path, CHUNK_BYTES):
        plain = plain_chunk(chunk, width, first_row)
        if plain is not None:
            first_row += plain.height
            yield Batch(plain, regular=True)
            continue
        text_lines = chunk.decode("utf-8").removesuffix("\n").split("\n")
        lines = pl.Series("l", text_lines, dtype=pl.String).str.strip_suffix("\r").to_frame()
        flagged = lines.with_row_index("_row", offset=first_row).with_columns(
            pl.col("_row").cast(pl.Int64), _ordinary=ordinary
        )
        first_row += lines.height
        plain = flagged.filter(pl.col("_ordinary"))
        parts = [
            plain.select(
                "_row",
                pl.lit(width, dtype=pl.Int64).alias("_n"),
                text.str.split_exact(",", width - 1).struct.rename_fields(names),
            ).unnest("l")
        ]
        odd = flagged.filter(~pl.col("_ordinary"))
        extras: dict[int, list[str]] = {}
        if odd.height:
            rows = odd["_row"].to_list()
            records = [parse_line(line) for line in odd["l"].to_list()]
            odd_frame, extras = frame_from_records(rows, records, width)
            parts.append(odd_frame)
        frame = pl.concat(parts).sort("_row") if len(parts) > 1 else parts[0]
        yield Batch(frame, extras)


def plain_chunk(chunk: bytes, width: int, first_row: int) -> pl.DataFrame | None:
    """The chunk split by polars' CSV reader, if every line is an ordinary record.

    Ordinary: no quote, no carriage return, exactly `width - 1` commas. Without quotes
    the csv module splits such a line on its commas, as polars does. The reader refuses
    a line with too many fields, so with the right total of commas no line has too few.
    """
    if width < 2 or b'"' in chunk or b"\r" in chunk or chunk.startswith(codecs.BOM_UTF8):
        # (polars would drop a byte-order mark that the csv module keeps in the cell)
        return None
    octets = np.frombuffer(chunk, dtype=np.uint8)
    lines = int(np.count_nonzero(octets == NEWLINE)) + (not chunk.endswith(b"\n"))
    if np.count_nonzero(octets == COMMA) != (width - 1) * lines:
        return None
    names = [f"c{j}" for j in range(width)]
    try:
        frame = pl.read_csv(
            chunk,
            has_header=False,
            quote_char=None,
            schema=dict.fromkeys(names, pl.String),
            empty_string_is_null=False,
            row_index_name="_row",
            row_index_offset=first_row,
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != lines:
        return None
    return frame.select(
        pl.col("_row").cast(pl.Int64), pl.lit(width, dtype=pl.Int64).alias("_n"), *names
    )


def parse_line(line: str) -> list[str]:
    """Parse one physical line as the csv module would inside the file, or refuse to."""
    if "\r" in line or ('"' in line and not WELL_FORMED_LINE.fullmatch(line)):
        raise NeedsLineByLineReading(f"line needs the csv module's context: {line[:40]!r}")
    return next(csv.reader([line]), [])
