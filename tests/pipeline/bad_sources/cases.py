"""The bad-input corpus: malformed use-of-force sources, each with what the run must say about it.

Small hand-written files live beside this module; big or binary ones are built here from the
demo export, so the committed corpus stays a few kilobytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from openpyxl import Workbook

from tests.publishers.conftest import answer

CORPUS = Path(__file__).parent
EXPORT = "demo-sources/use-of-force/rms-use-of-force-export.csv"
WORKBOOK = "demo-sources/use-of-force/rms-use-of-force-export.xlsx"
JSON = "demo-sources/use-of-force/rms-use-of-force-export.json"
ROWS = 40  # rows taken from the demo export: enough to be realistic, few enough to be quick

# How the local HTTP server answers: given the request and the event set when the server stops.
Handler = Callable[[BaseHTTPRequestHandler, threading.Event], None]


class Export:
    """The good demo export as rows, and ways to write its first rows back out."""

    def __init__(self, path: Path) -> None:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        self.header, self.rows = rows[0], rows[1 : ROWS + 1]

    def column(self, name: str) -> int:
        return self.header.index(name)

    def text(self, rows: list[list[str]] | None = None, *, delimiter: str = ",") -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerows([self.header, *(self.rows if rows is None else rows)])
        return buffer.getvalue()

    def csv(self, rows: list[list[str]] | None = None, *, encoding: str = "utf-8") -> bytes:
        return self.text(rows).encode(encoding)

    def edited(self, row: int, column: str, value: str) -> list[list[str]]:
        """The rows with one cell changed (row counted from 0, after the header)."""
        rows = [list(r) for r in self.rows]
        rows[row][self.column(column)] = value
        return rows

    def records(self, rows: list[list[str]] | None = None) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in rows or self.rows]

    def workbook(self) -> bytes:
        book = Workbook()
        sheet = book.active
        sheet.title = "Incidents"
        for row in [self.header, *self.rows]:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """One source, what the publisher entry says about it, and what the run must end with.

    `source` replaces the incidents resource's source in the publisher entry ("{url}" in it
    becomes the address `serve` answers at); without it the entry stays as shipped and `content`
    replaces the export it reads. `expect` is a regular expression the run's error must match,
    `groups` the validation report's group types for the incidents table.
    """

    id: str
    expect: str
    content: Callable[[Export], bytes] | None = None
    path: str = EXPORT
    source: dict | None = None
    serve: Handler | None = None
    groups: tuple[str, ...] = ()
    requests: int | None = None  # how many GETs the HTTP server must have seen


@dataclass(frozen=True)
class ValidCase:
    """A tricky source that is still a good export: the run must stage it, with `rows` rows."""

    id: str
    content: Callable[[Export], bytes]
    rows: int
    path: str = EXPORT
    source: dict | None = None
    serve: Handler | None = None


def corpus(name: str) -> Callable[[Export], bytes]:
    return lambda export: (CORPUS / name).read_bytes()


def _png() -> bytes:
    """A real 1x1 PNG image, the kind of file that ends up in a drop folder by mistake."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _ragged(export: Export, extra: int) -> bytes:
    """Line 7 (the 6th data row) with `extra` more (or, negative, fewer) values than the header."""
    rows = [list(r) for r in export.rows]
    rows[5] = rows[5] + ["spill"] * extra if extra > 0 else rows[5][:extra]
    return export.csv(rows)


def _shift_jis(export: Export) -> bytes:
    rows = export.edited(3, "Narrative", "容疑者は逃走した。")  # "the suspect fled."
    return export.csv(rows, encoding="shift_jis")


def _nul_bytes(export: Export) -> bytes:
    lines = export.csv().split(b"\r\n")
    lines[9] = lines[9].replace(b",", b",\x00", 1)
    return b"\r\n".join(lines)


def _huge_field(export: Export) -> bytes:
    return export.csv(export.edited(1, "Narrative", "x" * 1_100_000))


def _mixed_line_endings(export: Export) -> bytes:
    lines = export.csv().split(b"\r\n")
    endings = (b"\r\n", b"\n", b"\r")
    return b"".join(line + endings[n % 3] for n, line in enumerate(lines[:-1]))


def _missing_column(export: Export) -> bytes:
    drop = export.column("District")
    header = export.header[:drop] + export.header[drop + 1 :]
    rows = [row[:drop] + row[drop + 1 :] for row in export.rows]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def _duplicate_key(export: Export) -> bytes:
    rows = [list(r) for r in export.rows]
    return export.csv([*rows[:20], rows[10], *rows[20:]])


def _json(export: Export, rows: list[list[str]] | None = None) -> bytes:
    return json.dumps({"incidents": export.records(rows)}, indent=1).encode("utf-8")


def _slow(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    """Accept the request and never answer (until the test server shuts down)."""
    stopping.wait(30)


def _status(code: int) -> Handler:
    page = b"<html><body><h1>error</h1></body></html>"
    return lambda handler, stopping: answer(handler, code, page, {"Content-Type": "text/html"})


def _html(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    body = (CORPUS / "sign-in-page.html").read_bytes()
    answer(handler, 200, body, {"Content-Type": "text/html; charset=utf-8"})


def _html_as_csv(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    body = (CORPUS / "sign-in-page.html").read_bytes()
    answer(handler, 200, body, {"Content-Type": "text/csv"})


def _empty_body(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    answer(handler, 200, b"", {"Content-Type": "text/csv"})


def _broken_gzip(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
    answer(
        handler,
        200,
        b"\x1f\x8b\x08\x00 not really gzip",
        {"Content-Type": "text/csv", "Content-Encoding": "gzip"},
    )


def _http(**options: object) -> dict:
    return {
        "type": "http",
        "url": "{url}",
        "format": "csv",
        "timeout": 5,
        "retries": 0,
        "backoff": 0,
        **options,
    }


WORKBOOK_SOURCE = {"type": "file", "path": WORKBOOK, "format": "xlsx"}
JSON_SOURCE = {"type": "file", "path": JSON, "format": "json", "records": "incidents"}
SCHEMA = "does not match its schema"

CASES = [
    # Text encodings
    Case(
        "utf-16-without-bom",
        r"UTF-16 text without a byte-order mark.*`encoding` to utf-16-le",
        lambda e: e.csv(encoding="utf-16-le"),
    ),
    Case(
        "shift-jis-declared-utf-8",
        r"line 5 cannot be read as utf-8 .* set the source's `encoding`",
        _shift_jis,
    ),
    Case(
        "windows-1252-declared-utf-8",
        r"line 3 cannot be read as utf-8",
        lambda e: e.csv(e.edited(1, "Narrative", "Caf\xe9 owner called"), encoding="cp1252"),
    ),
    # Shape of the rows
    Case(
        "a-row-with-more-values",
        r"line 7 has 22 values but the header has 20 columns",
        lambda e: _ragged(e, 2),
    ),
    Case(
        "a-row-with-fewer-values",
        r"line 7 has 17 values but the header has 20 columns",
        lambda e: _ragged(e, -3),
    ),
    Case("unclosed-quote", r"quoted value is never closed", corpus("unclosed-quote.csv")),
    Case(
        "huge-field",
        r"line 3: a value is over 1,048,576 characters long",
        _huge_field,
    ),
    # Headers
    Case(
        "duplicate-header",
        r"'District' appears twice \(columns 4 and 10\)",
        corpus("duplicate-header.csv"),
    ),
    Case(
        "no-header-row", r"the first row looks like data, not column names", corpus("no-header.csv")
    ),
    # The unnamed column is ignored like any unmapped one, so the column the entry reads is missing.
    Case(
        "blank-header-cell",
        r"no column 'ContactReason'.*\(column 7, no name\)",
        corpus("blank-header-cell.csv"),
    ),
    Case("empty-file", r"the file is empty", lambda e: b""),
    Case("only-blank-lines", r"the file is empty", lambda e: b"\r\n\r\n  \r\n"),
    # Not text at all
    Case(
        "random-bytes",
        r"this is binary data, not CSV text",
        lambda e: random.Random(7).randbytes(4096),
    ),
    Case("png-image", r"this is a PNG image, not CSV text", lambda e: _png()),
    Case(
        "gzipped-export",
        r"this is a gzip-compressed file, not CSV text",
        lambda e: gzip.compress(e.csv(), mtime=0),
    ),
    Case("nul-bytes", r"line 10 contains NUL bytes", _nul_bytes),
    Case("workbook-given-as-csv", r"spreadsheet or zip file, not CSV text", lambda e: e.workbook()),
    # Spreadsheets
    Case(
        "truncated-workbook",
        r"workbook could not be opened: the file is damaged or incomplete",
        lambda e: e.workbook()[: len(e.workbook()) // 2],
        WORKBOOK,
        WORKBOOK_SOURCE,
    ),
    Case(
        "csv-named-xlsx",
        r"the file is text \(CSV\?\), not a spreadsheet",
        corpus("really-csv.xlsx"),
        WORKBOOK,
        WORKBOOK_SOURCE,
    ),
    Case(
        "sheet-missing",
        r"no sheet named 'Use of force'",
        lambda e: e.workbook(),
        WORKBOOK,
        {**WORKBOOK_SOURCE, "sheet": "Use of force"},
    ),
    # JSON
    Case(
        "json-huge-value",
        r"record 2: the value in column 20 is 1,100,000 .* \(column 20 is 'Narrative'\)",
        lambda e: _json(e, e.edited(1, "Narrative", "x" * 1_100_000)),
        JSON,
        JSON_SOURCE,
    ),
    Case(
        "json-syntax-error",
        r"not valid JSON: Expecting property name enclosed in double quotes at line 2, column 36",
        lambda e: b'{"incidents": [\n  {"IncidentNo": "UOF-2019-010001",}\n]}\n',
        JSON,
        JSON_SOURCE,
    ),
    Case(
        "json-cut-short",
        r"not valid JSON: the file ends before the JSON does .* at line \d+, column \d+",
        corpus("cut-short.json"),
        JSON,
        JSON_SOURCE,
    ),
    Case(
        "json-records-path-missing",
        r"the JSON has no 'incidents' \(`records`\)",
        corpus("records-missing.json"),
        JSON,
        JSON_SOURCE,
    ),
    Case(
        "json-object-not-list",
        r"'incidents' is an object, not a list of records",
        corpus("object-not-list.json"),
        JSON,
        JSON_SOURCE,
    ),
    # HTTP
    Case(
        "http-hangs", r"stopped responding for more than 1 s", source=_http(timeout=1), serve=_slow
    ),
    Case("http-html-page", r"sent an HTML page", source=_http(), serve=_html),
    Case("http-html-labelled-csv", r"sent an HTML page", source=_http(), serve=_html_as_csv),
    Case(
        "http-404",
        r"answered 404 Not Found.*check that the URL",
        source=_http(),
        serve=_status(404),
        requests=1,
    ),
    Case(
        "http-500-after-retries",
        r"answered 500 .*gave up after 3 attempts",
        source=_http(retries=2),
        serve=_status(500),
        requests=3,
    ),
    Case(
        "http-connection-refused",
        r"refused the connection",
        source=_http(url="http://127.0.0.1:{closed_port}/incidents.csv", retries=1),
    ),
    Case(
        "http-dns-failure",
        r"host name rms\.records\.invalid could not be found",
        source=_http(url="http://rms.records.invalid/incidents.csv"),
    ),
    Case("http-empty-body", r"the file is empty", source=_http(), serve=_empty_body),
    Case(
        "http-broken-gzip",
        r"compressed answer .* could not be decoded: it is marked as compressed",
        source=_http(),
        serve=_broken_gzip,
    ),
    # Files that are not there
    Case(
        "file-does-not-exist",
        r"file not found: demo-sources/use-of-force/missing\.csv",
        source={"type": "file", "path": "demo-sources/use-of-force/missing.csv"},
    ),
    Case(
        "glob-matches-nothing",
        r"no file matches demo-sources/use-of-force/exports/\*\.csv",
        source={"type": "file", "path": "demo-sources/use-of-force/exports/*.csv"},
    ),
    # Readable, but not what the mapping and the schema need
    Case(
        "a-different-export",
        r"none of the columns the publisher entry reads \(IncidentNo, ",
        corpus("body-worn-camera-export.csv"),
    ),
    Case("mapped-column-missing", r"no column 'District' \(needed for district\)", _missing_column),
    Case(
        "bad-enum-value",
        SCHEMA,
        lambda e: e.csv(e.edited(4, "District", "9")),
        groups=("constraint-error",),
    ),
    # The date function cannot read it: the run names the source value and its line (the 5th
    # data row is line 6); the emptied cell is also missing for validation.
    Case(
        "bad-date",
        r"incidents\.incident_date: 1 cell cannot be read \('2024-13-45 10:00' on line 6\)",
        lambda e: e.csv(e.edited(4, "OccurredAt", "2024-13-45 10:00")),
        groups=("mapping-error", "constraint-error"),
    ),
    Case("duplicate-primary-key", SCHEMA, _duplicate_key, groups=("primary-key",)),
]

VALID_CASES = [
    ValidCase("utf-8-bom", lambda e: b"\xef\xbb\xbf" + e.csv(), ROWS),
    ValidCase("mixed-line-endings", _mixed_line_endings, ROWS),
    ValidCase(
        "semicolon-delimiter-declared",
        lambda e: e.text(delimiter=";").encode(),
        ROWS,
        source={"type": "file", "path": EXPORT, "delimiter": ";", "encoding": "utf-8"},
    ),
    ValidCase(
        "windows-1252-undeclared",
        lambda e: e.csv(e.edited(1, "Narrative", "Caf\xe9 owner called"), encoding="cp1252"),
        ROWS,
        source={"type": "file", "path": EXPORT, "format": "csv"},
    ),
    # A zero report: no incidents is a fact a department publishes (FBI NUFDC "zero reports").
    ValidCase("header-only-zero-report", corpus("header-only.csv"), 0),
    ValidCase("workbook", lambda e: e.workbook(), ROWS, WORKBOOK, WORKBOOK_SOURCE),
    ValidCase("json", _json, ROWS, JSON, JSON_SOURCE),
    ValidCase("http-csv", lambda e: e.csv(), ROWS, source=_http()),
]
