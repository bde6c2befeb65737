"""Source connectors: fetch a publisher's raw file (file, HTTP, SQL, upload) and read it as a table.

The pipeline calls two functions:

- `fetch(source, workdir, ...)` saves the source's raw bytes under `workdir` and returns a
  `Fetched` (path, SHA-256, size, state for the next conditional request), or `unchanged=True`
  when an HTTP server answers 304 Not Modified.
- `read_table(path, source, workdir)` checks the raw file (encoding, delimiter, header, row
  widths, field sizes) while streaming it into a normalised UTF-8 CSV in `workdir`, and returns a
  polars LazyFrame over it in which every column is text named as in the source header and
  every empty cell (an empty CSV field, a blank spreadsheet cell, a JSON null or "") is null.
  The frame reads from `workdir`: collect or sink it before removing that folder.

Errors are `DefinitionError` (the source spec is wrong), `SourceUnavailable` (nothing could be
fetched) or `SourceUnreadable` (the content is not a readable table), each with a message for a
records officer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from portal.errors import DefinitionError
from publishers.connectors.files import fetch_file, fetch_upload
from publishers.connectors.sources import Fetched, check_source, table_format
from publishers.connectors.tables import SOURCE_LINE

__all__ = ["SOURCE_LINE", "Fetched", "check_source", "fetch", "read_table"]


def fetch(
    source: dict,
    workdir: Path,
    *,
    base_dir: Path,
    previous_state: dict | None = None,
    upload: Path | None = None,
    variables: Mapping[str, str] | None = None,
) -> Fetched:
    """Save the source's raw file under workdir.

    An `upload`, when given, is used whatever the source's type: that is how a records officer
    (or `portal run --file`) replaces one run's input. Relative paths resolve against base_dir.
    """
    check_source(source)
    workdir.mkdir(parents=True, exist_ok=True)
    if upload is not None or source["type"] == "upload":
        return fetch_upload(source, workdir, upload)
    if source["type"] == "file":
        return fetch_file(source, workdir, base_dir, variables)
    # Connectors and readers are imported when a source needs them: every command imports
    # this package (httpx alone costs a tenth of a second, the CSV reader's numpy as much).
    if source["type"] == "http":
        from publishers.connectors.http import fetch_http

        return fetch_http(source, workdir, previous_state, variables)
    from publishers.connectors.sql import fetch_sql

    return fetch_sql(source, workdir, base_dir, variables)


def read_table(
    path: Path, source: dict, workdir: Path, *, with_lines: bool = False
) -> pl.LazyFrame:
    """Read a fetched raw file as a LazyFrame of text columns (empty cells null).

    With `with_lines`, a last column `SOURCE_LINE` says where each row starts in the file: its
    line (CSV), its row (spreadsheet) or its record number (JSON).
    """
    check_source(source)
    workdir.mkdir(parents=True, exist_ok=True)
    fmt = table_format(source, path)
    if fmt == "csv":
        from publishers.connectors.csvfile import read_csv

        return read_csv(path, source, workdir, with_lines=with_lines)
    if fmt == "xlsx":
        from publishers.connectors.workbook import read_workbook

        return read_workbook(path, source, workdir, with_lines=with_lines)
    if fmt == "json":
        from publishers.connectors.jsonfile import read_json

        return read_json(path, source, workdir, with_lines=with_lines)
    raise DefinitionError(f"unknown format {fmt!r}")
