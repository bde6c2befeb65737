"""Read a list of records out of a JSON document into a normalised CSV."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from portal.errors import SourceUnreadable
from publishers.connectors.tables import TableWriter, cell_text, normalised_path, scan

# JSON is parsed whole (the standard library names the line and column of a syntax error); the
# bound keeps memory predictable. Sources larger than this should be exported as CSV.
MAX_JSON_BYTES = 256 * 1024 * 1024


def read_json(
    path: Path, source: Mapping[str, Any], workdir: Path, *, with_lines: bool = False
) -> pl.LazyFrame:
    """The list of objects at the source's `records` path (or the top level), one row each."""
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise SourceUnreadable(
            f"the JSON file is {size / 1e6:.0f} MB; JSON sources are limited to "
            f"{MAX_JSON_BYTES / 1e6:.0f} MB because they are read whole (export CSV instead)"
        )
    raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    try:
        document = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Invalid control character at" names no place
        if exc.pos >= len(exc.doc.rstrip()):
            reason = "the file ends before the JSON does (was the copy or download cut short?)"
        raise SourceUnreadable(
            f"the file is not valid JSON: {reason} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceUnreadable(f"the JSON file is not UTF-8 text: {exc.reason}") from exc
    records, where = _records(document, source.get("records") or "")
    columns: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SourceUnreadable(
                f"item {number} of {where} is {_kind(record)}, not an object (a record)"
            )
        columns.update(dict.fromkeys(record))
    target = normalised_path(path, source, workdir)
    with TableWriter(target, list(columns), f"the keys of {where}") as writer:
        for number, record in enumerate(records, start=1):
            writer.write([cell_text(record.get(c)) for c in columns], f"record {number}", number)
    return scan(target, with_lines=with_lines)


def _records(document: Any, dotted: str) -> tuple[list, str]:
    node = document
    walked: list[str] = []
    for part in dotted.split(".") if dotted else []:
        here = ".".join(walked) or "the top level"
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            keys = ", ".join(list(node)[:20]) or "none"
            raise SourceUnreadable(
                f"the JSON has no {'.'.join([*walked, part])!r} (`records`); "
                f"the keys at {here} are: {keys}"
            )
        else:
            raise SourceUnreadable(
                f"the JSON has no {'.'.join([*walked, part])!r} (`records`): {here} is "
                f"{_kind(node)}"
            )
        walked.append(part)
    where = repr(dotted) if dotted else "the JSON document"
    if not isinstance(node, list):
        raise SourceUnreadable(
            f"{where} is {_kind(node)}, not a list of records; set the source's `records` "
            "to the dotted path of the list"
        )
    return node, where


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"
