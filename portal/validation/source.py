"""Streaming reader of a normalised CSV file into batches of raw string cells."""

from __future__ import annotations

import codecs
import csv
import queue
import re
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from portal.errors import SourceUnreadable

# A line whose quotes all wrap whole fields: a complete record, parsed the same way by
# Python's csv module (what frictionless uses) whichever way it is split.
WELL_FORMED_LINE = re.compile(r'(?:"(?:[^"]|"")*"|[^",]*)(?:,(?:"(?:[^"]|"")*"|[^",]*))*')
READ_CHUNK = 1 << 20
# Polars' working memory grows with the chunk: at 5,000,000 rows (15 fields) peak RSS is
# about 210 MB with 4 MB chunks and 226 MB with 6 MB ones, which take ~6% less CPU (fewer
# polars passes per row).
CHUNK_BYTES = 6 << 20
NEWLINE, CR, COMMA, QUOTE = b'\n\r,"'


class NotUtf8(Exception):
    """A chunk of the file is not valid UTF-8 (`check_utf8` then says exactly where)."""


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
    """The file after its header line, in chunks of whole lines (bounded memory).

    Each chunk is checked as UTF-8 on the way (raising NotUtf8), so the file is read once.
    """
    with path.open("rb") as handle:
        handle.readline()
        carry = b""
        while chunk := handle.read(chunk_bytes):
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                carry += chunk
                continue
            # One copy of the chunk at most: these are megabytes. No reference to a chunk
            # is kept while the caller works on it or while the next one is read.
            if carry or cut < len(chunk):
                lines, carry = b"".join((carry, memoryview(chunk)[:cut])), chunk[cut:]
            else:
                lines, carry = chunk, b""
            del chunk
            yield utf8_checked(lines)
            del lines
        if carry:
            yield utf8_checked(carry)


def utf8_checked(lines: bytes) -> bytes:
    """The chunk of whole lines, if it is UTF-8 (a newline byte never ends inside a character)."""
    if not lines.isascii():
        try:
            lines.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NotUtf8 from error
    return lines


def polars_batches(path: Path, width: int, batch_size: int) -> Iterator[Batch]:
    """Batches split by polars' CSV reader, one physical line per record, a chunk at a time.

    Ordinary lines are split by polars; the rare others (quotes, ragged, blank) go through
    Python's csv module one line at a time. Raises NeedsLineByLineReading as soon as a
    line could be part of a multi-line record.
    """
    first_row = 2
    # Reading a chunk at a time (not the whole file with polars' CSV reader, whose
    # parallel buffers cost hundreds of MB on big files) keeps memory to a few chunks.
    for chunk in line_chunks(path, CHUNK_BYTES):
        batch = chunk_batch(chunk, width, first_row)
        del chunk  # (see line_chunks)
        first_row += batch.frame.height
        yield batch
        del batch


def read_ahead(batches: Generator[Batch, None, None]) -> Iterator[Batch]:
    """The batches, each made in a thread while the caller works on the one before.

    Polars leaves the GIL while it splits a chunk and while it screens one, and each step
    alone keeps the 2 cores of our machine busy only part of the time: overlapping them
    took `portal validate` of 1M rows from 1.65 s to 1.58 s (medians of 5, alternating).
    One batch ahead, never more (memory).
    """
    wanted: queue.SimpleQueue[bool] = queue.SimpleQueue()
    made: queue.SimpleQueue[tuple[Batch | None, BaseException | None]] = queue.SimpleQueue()

    def make() -> None:
        while wanted.get():
            try:
                made.put((next(batches), None))
            except BaseException as error:  # the end (StopIteration) too: see below
                made.put((None, error))
                return

    maker = threading.Thread(target=make, name="read-ahead", daemon=True)
    maker.start()
    wanted.put(True)
    try:
        while True:
            batch, error = made.get()
            if isinstance(error, StopIteration):
                return
            if error is not None:
                raise error
            wanted.put(True)
            yield batch
            del batch
    finally:
        wanted.put(False)
        maker.join()
        batches.close()


def chunk_batch(chunk: bytes, width: int, first_row: int) -> Batch:
    """The batch of a chunk of whole lines whose first line is row `first_row`."""
    if not chunk:
        return Batch(frame_from_records([], [], width)[0])
    return plain_chunk(chunk, width, first_row) or mixed_chunk(chunk, width, first_row)


def plain_chunk(chunk: bytes, width: int, first_row: int) -> Batch | None:
    """The chunk's batch if every line is an ordinary record (the usual case), else None.

    Ordinary: no quote, no carriage return but the one ending the line (polars drops it
    before a newline, as the csv module does), exactly `width - 1` commas. Without quotes
    the csv module splits such a line on its commas, as polars does. The reader refuses a
    line with too many fields, so with the right total of commas no line has too few.
    """
    if (
        width < 2
        or b'"' in chunk
        or (b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"))
        # (polars drops a byte-order mark at the start of its input; the csv module keeps it)
        or chunk.startswith(codecs.BOM_UTF8)
    ):
        return None
    octets = np.frombuffer(chunk, dtype=np.uint8)
    lines = int(np.count_nonzero(octets == NEWLINE)) + (not chunk.endswith(b"\n"))
    if np.count_nonzero(octets == COMMA) != (width - 1) * lines:
        return None
    cells = read_plain(chunk, width, lines)
    if cells is None:
        return None
    rows = pl.int_range(first_row, first_row + lines, dtype=pl.Int64, eager=True)
    return Batch(numbered(cells, rows, width), regular=True)


def mixed_chunk(chunk: bytes, width: int, first_row: int) -> Batch:
    """The chunk's batch, its ordinary lines split by polars and the others by the csv module."""
    octets = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(octets == NEWLINE)
    if not chunk.endswith(b"\n"):
        ends = np.append(ends, len(chunk))
    starts = np.concatenate(([0], ends[:-1] + 1))
    # A carriage return just before a newline ends the line, as in the csv module.
    content_ends = ends - ((ends > starts) & (octets[np.maximum(ends - 1, 0)] == CR))
    odd = content_ends == starts
    odd[np.searchsorted(ends, np.flatnonzero(octets == QUOTE))] = True
    returns = np.flatnonzero(octets == CR)
    ending = (returns + 1 < len(chunk)) & (
        octets[np.minimum(returns + 1, len(chunk) - 1)] == NEWLINE
    )
    odd[np.searchsorted(ends, returns[~ending])] = True
    heads = starts[starts + 3 <= len(chunk)]
    bom = codecs.BOM_UTF8
    odd[starts + 3 <= len(chunk)] |= (
        (octets[heads] == bom[0]) & (octets[heads + 1] == bom[1]) & (octets[heads + 2] == bom[2])
    )
    parts = []
    cells = split_ordinary(chunk, octets, starts, ends, odd, width)
    if cells is not None:
        rows = pl.Series(np.flatnonzero(~odd) + first_row, dtype=pl.Int64)
        parts.append(numbered(cells, rows, width))
    extras: dict[int, list[str]] = {}
    lines = np.flatnonzero(odd)
    if len(lines):
        records = [parse_line(chunk[starts[i] : content_ends[i]].decode("utf-8")) for i in lines]
        odd_frame, extras = frame_from_records((lines + first_row).tolist(), records, width)
        parts.append(odd_frame)
    frame = pl.concat(parts).sort("_row") if len(parts) > 1 else parts[0]
    return Batch(frame, extras, regular=not len(lines))


def split_ordinary(
    chunk: bytes,
    octets: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    odd: np.ndarray,
    width: int,
) -> pl.DataFrame | None:
    """Polars' split of the lines not marked `odd`, marking the ragged ones odd on the way.

    Those lines must hold width - 1 commas each: their total tells, unless ragged lines
    make us count line by line (polars refuses a line with too many fields).
    """
    if odd.all():
        return None
    odd_commas = sum(chunk.count(b",", starts[i], ends[i]) for i in np.flatnonzero(odd))
    plain_commas = np.count_nonzero(octets == COMMA) - odd_commas
    if plain_commas == (width - 1) * np.count_nonzero(~odd):
        plain = np.flatnonzero(~odd)
        cells = read_plain(ordinary_text(chunk, plain, starts, ends), width, len(plain))
        if cells is not None:
            return cells
    commas = np.searchsorted(ends, np.flatnonzero(octets == COMMA))
    odd |= np.bincount(commas, minlength=len(ends)) != width - 1
    plain = np.flatnonzero(~odd)
    cells = read_plain(ordinary_text(chunk, plain, starts, ends), width, len(plain))
    if cells is None:
        odd[:] = True
    return cells


def ordinary_text(chunk: bytes, lines: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The given lines of the chunk (with their line ends), in one text."""
    if not len(lines):
        return b""
    # Runs of consecutive lines are copied in one piece.
    breaks = np.flatnonzero(np.diff(lines) != 1)
    firsts = lines[np.concatenate(([0], breaks + 1))]
    lasts = lines[np.concatenate((breaks, [len(lines) - 1]))]
    view = memoryview(chunk)
    return b"".join(view[starts[a] : ends[b] + 1] for a, b in zip(firsts, lasts, strict=True))


def read_plain(text: bytes, width: int, lines: int) -> pl.DataFrame | None:
    """The cells of ordinary lines, split by polars; None if polars disagrees."""
    if not lines:
        return None
    names = [f"c{j}" for j in range(width)]
    try:
        frame = pl.read_csv(
            text,
            has_header=False,
            quote_char=None,
            schema=dict.fromkeys(names, pl.String),
            empty_string_is_null=False,
        )
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.height == lines else None


def numbered(cells: pl.DataFrame, rows: pl.Series, width: int) -> pl.DataFrame:
    """The batch frame of full-width rows: their row numbers, `_n` and their cells."""
    return cells.select(
        pl.lit(rows).alias("_row"), pl.lit(width, dtype=pl.Int64).alias("_n"), pl.all()
    )


def parse_line(line: str) -> list[str]:
    """Parse one physical line as the csv module would inside the file, or refuse to."""
    if "\r" in line or ('"' in line and not WELL_FORMED_LINE.fullmatch(line)):
        raise NeedsLineByLineReading(f"line needs the csv module's context: {line[:40]!r}")
    return next(csv.reader([line]), [])
