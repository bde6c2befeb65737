"""Read delimited text of any common encoding and delimiter into a checked, normalised CSV."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import polars as pl
from charset_normalizer import from_bytes

from portal.errors import DefinitionError, SourceUnreadable
from publishers.connectors.plaincsv import scan_plain
from publishers.connectors.tables import (
    MAX_FIELD_CHARS,
    SOURCE_LINE,
    TableWriter,
    normalised_path,
    scan,
)

DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1024 * 1024
_MAX_LINE_BYTES = 16 * MAX_FIELD_CHARS
_SAMPLE_LINES = 50
_DETECTION_SAMPLE = 256 * 1024
_BOMS = {codecs.BOM_UTF8: "utf-8", codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}
# Single-byte Latin code pages that charset-normalizer cannot tell apart on short samples; US
# records systems and Excel write Windows-1252, so it wins whenever it decodes the bytes.
_LATIN_FAMILY = {
    "ascii", "utf_8", "cp1252", "latin_1", "iso8859_15", "cp1250", "cp1257", "cp1254",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13",
    "iso8859_14", "iso8859_16", "cp775", "cp850", "cp852", "cp858", "cp437", "mac_roman",
    "mac_latin2", "mac_iceland", "mac_turkish", "hp_roman8",
}  # fmt: skip
_NON_ASCII_LINE = re.compile(rb"[^\r\n]*[\x80-\xff][^\r\n]*")
# Files that end up where an export should be; named so the officer knows what was found instead.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF-": "a PDF document",
    b"\x1f\x8b": "a gzip-compressed file",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"SQLite format 3\x00": "an SQLite database",
}
# Control characters no text export contains (tab, line and page breaks excepted).
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_HEAD_BYTES = 4096


class _NotUtf8(Exception):
    """The file is not UTF-8 and no encoding was declared: detect one and start again."""


def read_csv(
    path: Path, source: Mapping[str, Any], workdir: Path, *, with_lines: bool = False
) -> pl.LazyFrame:
    """Check and normalise a delimited file into UTF-8 CSV in workdir; scan it lazily as text."""
    declared = source.get("encoding")
    if declared:
        try:
            encoding = codecs.lookup(declared).name
        except LookupError as exc:
            raise DefinitionError(f"unknown encoding {declared!r}") from exc
    else:
        encoding = "utf-8"
    target = normalised_path(path, source, workdir)
    delimiter = source.get("delimiter")
    try:
        plain = _normalise(path, target, encoding, delimiter, strict_encoding=bool(declared))
    except _NotUtf8:
        plain = _normalise(path, target, detect_encoding(path), delimiter, strict_encoding=True)
    if plain is not None:
        return plain if with_lines else plain.drop(SOURCE_LINE)
    return scan(target, with_lines=with_lines)


def detect_encoding(path: Path) -> str:
    """Guess a non-UTF-8 file's encoding from its first bytes and its lines that are not ASCII."""
    sample = bytearray()
    with path.open("rb") as handle:
        sample += handle.read(64 * 1024)
        while len(sample) < _DETECTION_SAMPLE and (chunk := handle.read(_CHUNK)):
            for line in _NON_ASCII_LINE.findall(chunk):
                sample += line + b"\n"
    best = from_bytes(bytes(sample)).best()
    if best is not None and best.encoding not in _LATIN_FAMILY:
        return best.encoding
    try:
        bytes(sample).decode("cp1252")
    except UnicodeDecodeError as exc:
        if best is not None:
            return best.encoding
        raise SourceUnreadable(
            "could not tell the file's text encoding; declare it with the source's `encoding` "
            "(for example windows-1252 or utf-8)"
        ) from exc
    return "cp1252"


def _normalise(
    path: Path, target: Path, encoding: str, delimiter: str | None, *, strict_encoding: bool
) -> pl.LazyFrame | None:
    """Check the file and write its normalised copy to target; or, for a plain UTF-8 file,
    return the frame that reads it as it is (nothing written)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
        start = head[:4]
        if start.startswith(b"PK\x03\x04") or start.startswith(b"\xd0\xcf\x11\xe0"):
            raise SourceUnreadable(
                "this is a spreadsheet or zip file, not CSV text: set the source's `format` "
                "to xlsx, or export the sheet as CSV"
            )
        bom = next((b for b in _BOMS if start.startswith(b)), None)
        if bom is not None:
            encoding = _BOMS[bom]
        elif not encoding.startswith(("utf-16", "utf-32")):
            _refuse_binary(head)
        if encoding.startswith(("utf-16", "utf-32")):
            handle.seek(0)
            lines = _wide_lines(handle, encoding)
        else:
            handle.seek(len(bom) if bom else 0)
            lines = _decoded_lines(handle, encoding, strict_encoding or bom is not None)
        sample = list(itertools.islice(lines, _SAMPLE_LINES))
        delimiter = delimiter or sniff_delimiter(sample)
        skip = len(bom) if bom else 0
        if encoding == "utf-8":
            plain = scan_plain(path, skip=skip, sample=sample, delimiter=delimiter)
            if plain is not None:
                return plain
        # The limit is process-wide and frictionless raises it to 2 GB when imported; ours keeps
        # an unclosed quote from reading the rest of a big file into one value in memory.
        csv.field_size_limit(MAX_FIELD_CHARS + 1)
        reader = csv.reader(itertools.chain(sample, lines), delimiter=delimiter, strict=True)
        _copy_rows(reader, target, delimiter)
        return None


def _refuse_binary(head: bytes) -> None:
    """Say what the file is when its first bytes are plainly not text in a byte encoding."""
    kind = next((name for magic, name in _SIGNATURES.items() if head.startswith(magic)), None)
    if kind is not None:
        raise SourceUnreadable(
            f"this is {kind}, not CSV text: check that the source points at the export itself"
        )
    # UTF-16 text of Latin script has a zero in every other byte; without a byte-order mark
    # nothing else says so, and every line would "contain NUL bytes".
    even, odd = head[0::2], head[1::2]
    if len(head) >= 16:
        for zeros, others, order in ((odd, even, "le"), (even, odd, "be")):
            if zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others):
                raise SourceUnreadable(
                    "the file looks like UTF-16 text without a byte-order mark (every other "
                    "byte is zero): save the export as UTF-8, or set the source's `encoding` "
                    f"to utf-16-{order}"
                )
    # A stray control byte is reported with its line below; a file full of them is not text.
    if len(head) >= 256 and len(_CONTROL.findall(head)) > 0.02 * len(head):
        raise SourceUnreadable(
            "this is binary data, not CSV text (its first bytes are full of control "
            "characters): check that the source points at the export itself"
        )


def _copy_rows(reader: Any, target: Path, delimiter: str) -> None:
    """Write the rows to target, failing on the first bad line and on any row of the wrong width."""
    header = None
    writer = None
    ragged: list[tuple[int, int]] = []
    ragged_count = 0
    try:
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise SourceUnreadable(f"line {line}: {_csv_problem(exc)}") from exc
            if _is_blank(row, writer):
                continue
            if writer is None:
                header = row
                writer = TableWriter(target, header, f"the header row (line {line})")
            elif len(row) != writer.width:
                ragged_count += 1
                if len(ragged) < 5:
                    ragged.append((line, len(row)))
            elif not ragged_count:
                writer.write(row, f"line {line}", line)
    except BaseException:
        if writer is not None:
            writer.close()
            target.unlink(missing_ok=True)
        raise
    if writer is not None:
        writer.close()
    if writer is None:
        raise SourceUnreadable("the file is empty: it has no header row")
    if ragged_count:
        target.unlink(missing_ok=True)
        line, width = ragged[0]
        message = (
            f"line {line} has {width} value{'s' if width != 1 else ''} but the header has "
            f"{len(header or [])} columns"
        )
        if ragged_count > 1:
            others = ", ".join(str(n) for n, _ in ragged[1:])
            more = "…" if ragged_count > len(ragged) else ""
            message += f"; {ragged_count - 1} more rows do too (lines {others}{more})"
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        raise SourceUnreadable(f"{message} (values separated by {shown})")


def _is_blank(row: list[str], writer: TableWriter | None) -> bool:
    """An empty line, or one of spaces where it cannot be a value of a one-column table."""
    if not row:
        return True
    return len(row) == 1 and not row[0].strip() and (writer is None or writer.width > 1)


def sniff_delimiter(lines: list[str]) -> str:
    """The candidate delimiter that splits the header into most columns the rows agree with."""
    text = [line for line in lines if line.strip()]
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(text, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the sample may cut the last row short
        agreeing = sum(len(row) == width for row in body) / len(body) if body else 1.0
        if (agreeing, width) > best_score:
            best, best_score = delimiter, (agreeing, width)
    return best


def _decoded_lines(handle: IO[bytes], encoding: str, strict_encoding: bool) -> Iterator[str]:
    """Physical lines (any of \\n, \\r\\n, \\r) decoded one at a time, so errors name their line."""
    decode = codecs.getdecoder(encoding)
    for number, raw in enumerate(_byte_lines(handle), start=1):
        if b"\x00" in raw:
            raise SourceUnreadable(
                f"line {number} contains NUL bytes: this is binary data, not a CSV text file"
            )
        try:
            yield decode(raw)[0]
        except UnicodeDecodeError as exc:
            if not strict_encoding:
                raise _NotUtf8 from exc
            raise SourceUnreadable(
                f"line {number} cannot be read as {encoding} (byte 0x{raw[exc.start]:02X} at "
                f"position {exc.start + 1}); set the source's `encoding` to the one the export "
                "is saved in (windows-1252, for example)"
            ) from exc


def _byte_lines(handle: IO[bytes]) -> Iterator[bytes]:
    pending = b""
    while chunk := handle.read(_CHUNK):
        lines = (pending + chunk).splitlines(keepends=True)
        pending = lines.pop()
        # A trailing \r may be the first half of \r\n split across chunks.
        if pending.endswith(b"\n"):
            lines.append(pending)
            pending = b""
        elif len(pending) > _MAX_LINE_BYTES:
            raise SourceUnreadable(
                f"a line is longer than {_MAX_LINE_BYTES // 1_000_000} MB: this is not a CSV file"
            )
        yield from lines
    if pending:
        yield pending


def _wide_lines(handle: IO[bytes], encoding: str) -> Iterator[str]:
    """UTF-16/32 text cannot be split as bytes; let the text layer find the lines."""
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    number = 0
    try:
        for number, line in enumerate(text, start=1):  # noqa: B007 - read after the loop
            yield line
    except UnicodeDecodeError as exc:
        raise SourceUnreadable(
            f"the file cannot be read as {encoding} after line {number}: {exc.reason}"
        ) from exc


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if text.startswith("field larger than field limit"):
        return (
            f"a value is over {MAX_FIELD_CHARS:,} characters long; the file is probably "
            "malformed (an unclosed quote?)"
        )
    if text == "unexpected end of data":
        return 'a quoted value is never closed (a missing ")'
    if "expected after '\"'" in text:
        return "there is text right after a closing quote"
    return text
