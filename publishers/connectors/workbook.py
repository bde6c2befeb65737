"""Read one sheet of a spreadsheet (xlsx, xls, ods) with python-calamine into a normalised CSV."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from python_calamine import CalamineError, CalamineWorkbook

from portal.errors import SourceUnreadable
from publishers.connectors.tables import TableWriter, cell_text, normalised_path, scan


def read_workbook(
    path: Path, source: Mapping[str, Any], workdir: Path, *, with_lines: bool = False
) -> pl.LazyFrame:
    """The named sheet (or the first); its first non-empty row is the header."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError) as exc:
        raise SourceUnreadable(
            f"the workbook could not be opened: {_open_problem(path, exc)}"
        ) from exc
    names = list(book.sheet_names)
    wanted = source.get("sheet")
    if wanted is None:
        if not names:
            raise SourceUnreadable("the workbook has no sheets")
        wanted = names[0]
    if str(wanted) not in names:
        listed = ", ".join(repr(n) for n in names)
        raise SourceUnreadable(f"the workbook has no sheet named {wanted!r}; its sheets: {listed}")
    try:
        sheet = book.get_sheet_by_name(str(wanted))
        rows = sheet.iter_rows()
    except CalamineError as exc:
        raise SourceUnreadable(f"the sheet {wanted!r} could not be read: {exc}") from exc
    first_column = sheet.start[1] if sheet.start else 0
    target = normalised_path(path, source, workdir)
    writer = None
    try:
        for number, row in enumerate(rows, start=1):  # iter_rows starts at the sheet's row 1
            values = [_text(v) for v in row]
            if not any(values):
                continue
            where = f"row {number} of sheet {wanted!r}"
            if writer is None:
                header = [v or "" for v in values]
                while header and not header[-1].strip():
                    header.pop()  # formatting often stretches the used range past the last column
                writer = TableWriter(target, header, f"the header ({where})")
                continue
            extra = next((i for i in range(writer.width, len(values)) if values[i]), None)
            if extra is not None:
                column = _column_letter(first_column + extra)
                raise SourceUnreadable(
                    f"{where} has a value in column {column}, which has no header"
                )
            writer.write(
                values[: writer.width] + [None] * (writer.width - len(values)), where, number
            )
    except CalamineError as exc:
        raise SourceUnreadable(f"the sheet {wanted!r} could not be read: {exc}") from exc
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise SourceUnreadable(f"the sheet {wanted!r} is empty: it has no header row")
    return scan(target, with_lines=with_lines)


def _open_problem(path: Path, exc: Exception) -> str:
    """Why a workbook would not open, in words a records officer can act on."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4096)
    except OSError:
        return str(exc)
    if not start:
        return "the file is empty"
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        # The container of an Excel or OpenDocument file is there, its contents are not whole.
        return f"the file is damaged or incomplete (was the copy or download cut short?): {exc}"
    if re.search(rb"[\x00-\x08\x0e-\x1f\x7f]", start):  # control bytes: not text either
        return f"it is not an Excel or OpenDocument spreadsheet ({exc})"
    return (
        "the file is text (CSV?), not a spreadsheet: set the source's `format` to csv, "
        "or save the sheet as .xlsx"
    )


def _text(value: Any) -> str | None:
    text = cell_text(value)
    return text if text else None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
