"""The public diff between two versions of a table: which rows were added, removed or changed
(matched on the primary key, as the changelog counts them), a page at a time, and every
change as one CSV. Built on the same comparison as `portal.releases.diff`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from portal.datasets import browse
from portal.errors import PortalError
from portal.languages import gettext
from portal.models import Dataset, Version
from portal.releases.diff import row_changes
from portal.storage import LocalStorage

KINDS = ("added", "removed", "changed")
PER_PAGE = 50


class CannotCompare(PortalError):
    """The two versions cannot be compared as asked (same version, no such table…)."""


@dataclass(frozen=True)
class Cell:
    name: str
    value: str | None  # the new value (the old one for a removed row)
    before: str | None = None  # the old value, for a changed cell
    changed: bool = False


@dataclass(frozen=True)
class Changes:
    """Every row-level difference between two files of one table."""

    key: list[str]
    columns: list[str]
    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame  # shared columns, old values as "<name>__old"

    def count(self, kind: str) -> int:
        return getattr(self, kind).height

    def rows(self, kind: str, page: int, per_page: int = PER_PAGE) -> list[list[Cell]]:
        frame = getattr(self, kind).slice((page - 1) * per_page, per_page)
        if kind != "changed":
            return [
                [Cell(c, row.get(c)) for c in self.columns if c in row] for row in frame.to_dicts()
            ]
        found = []
        for row in frame.to_dicts():
            cells = []
            for c in self.columns:
                if c not in row:
                    continue
                old = row.get(f"{c}__old", row[c]) if c not in self.key else row[c]
                cells.append(Cell(c, row[c], old, old != row[c]))
            found.append(cells)
        return found

    def csv_lines(self) -> Iterator[str]:
        """Every change: `change`, the fields, and for changed rows the old values of the cells
        that changed (`<field> before`) and which those were."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        values = [c for c in self.columns if c not in self.key]
        writer.writerow(
            ["change", *self.columns, "changed_fields", *(f"{c} before" for c in values)]
        )
        for kind in KINDS:
            for cells in self.rows(kind, 1, max(1, self.count(kind))):
                by_name = {cell.name: cell for cell in cells}
                changed = [c for c in values if c in by_name and by_name[c].changed]
                writer.writerow(
                    [
                        kind,
                        *(_neutral(by_name[c].value) if c in by_name else "" for c in self.columns),
                        ";".join(changed),
                        *(_neutral(by_name[c].before) if c in changed else "" for c in values),
                    ]
                )
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()


def _neutral(value: str | None) -> str:
    """As in every CSV the portal serves: a cell a spreadsheet would run as a formula gets '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def compare(old: Path, old_sha: str, new: Path, new_sha: str, schema: dict) -> Changes:
    """The changes from `old` to `new` (published files: immutable, so cached by checksum)."""
    key = schema.get("primaryKey") or []
    return _compare(
        str(old), old_sha, str(new), new_sha, tuple([key] if isinstance(key, str) else key)
    )


@lru_cache(maxsize=16)
def _compare(old: str, _old_sha: str, new: str, _new_sha: str, key: tuple[str, ...]) -> Changes:
    before = pl.read_csv(old, infer_schema=False)
    after = pl.read_csv(new, infer_schema=False)
    rows = row_changes(before, after, {"primaryKey": list(key)})
    columns = list(dict.fromkeys([*after.columns, *before.columns]))
    return Changes(rows.key, columns, rows.added, rows.removed, rows.changed)


@dataclass(frozen=True)
class Comparison:
    """Two versions of one table of a dataset and what changed between them."""

    dataset: Dataset
    resource: str
    title: str
    old: Version
    new: Version
    changes: Changes


def compare_versions(
    session: Session,
    storage: LocalStorage,
    slug: str,
    resource: str,
    old_number: int | None,
    new_number: int | None,
) -> Comparison:
    """Version `old_number` against `new_number` (default: the current one against the one
    before it). A retracted version is refused with its notice (browse.Retracted): its rows
    are withdrawn, and a diff would publish them again."""
    new = browse.find_version(session, slug, new_number)
    if old_number is None:
        old_number = new.number - 1
    if old_number < 1 or old_number == new.number:
        raise CannotCompare(
            gettext("choose two different versions of %(dataset)s to compare", dataset=slug)
        )
    old = browse.find_version(session, slug, old_number)
    for version in (old, new):
        if version.retracted_at is not None:
            raise browse.Retracted(version)
    files = []
    for version in (old, new):
        file = next(
            (
                f
                for f in version.files
                if f.resource_name == resource and f.media_type == "text/csv"
            ),
            None,
        )
        if file is None:
            raise CannotCompare(
                gettext(
                    "version %(number)s of %(dataset)s has no table %(table)s",
                    number=version.number,
                    dataset=slug,
                    table=repr(resource),
                )
            )
        files.append(file)
    dataset = new.dataset
    described = next((r for r in dataset.resources if r.name == resource), None)
    schema = described.table_schema if described else {}
    changes = compare(
        storage.path(files[0].path),
        files[0].sha256,
        storage.path(files[1].path),
        files[1].sha256,
        schema,
    )
    return Comparison(
        dataset, resource, described.title if described else resource, old, new, changes
    )
