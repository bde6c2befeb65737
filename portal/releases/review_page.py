"""What the records office shows about one candidate: the verdict, the rows that matter first,
the headline figures before and after, and the staged files.

Everything is read from the candidate's staged files and the version the public sees now, so
each count on the page is the count of the rows the page lists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import available_timezones

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.datasets.labels import typed_number
from portal.figures.numbers import number_text
from portal.figures.service import dataset_figures, version_figures
from portal.models import Candidate, Dataset, Version
from portal.privacy import report as privacy_report
from portal.releases.diff import column_summary, row_changes
from portal.releases.review_verdict import Revision, privacy_totals, revisions
from portal.storage import LocalStorage

PAGE_ROWS = 20
# Old aliases of zones that have a place name ("US/Eastern" is America/New_York).
LEGACY_ZONES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


def candidate_figures(dataset: Dataset, tables: dict[str, Path]) -> list[dict]:
    """The headline figures the candidate's files would publish (one place to switch engines)."""
    return dataset_figures(dataset, tables).get("figures") or []


@dataclass(frozen=True)
class Cell:
    text: str
    old: str | None = None  # the public value, for a changed cell

    @property
    def changed(self) -> bool:
        return self.old is not None


@dataclass(frozen=True)
class RowsPage:
    """One page of the added, changed or removed rows of a table."""

    kind: str
    total: int
    page: int
    pages: int
    columns: list[str]
    rows: list[list[Cell]]
    param: str  # the query argument that pages it

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_ROWS + 1


@dataclass(frozen=True)
class FigureChange:
    key: str
    label: str
    unit: str | None
    before: object
    after: object
    figure: dict
    previous: dict  # the figure as the public version states it ({} if it has none)

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class TableReview:
    name: str
    title: str
    rows: int
    valid: bool
    problems: int
    first: bool
    added: int = 0
    removed: int = 0
    changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    revised: list[Revision] = field(default_factory=list)
    changed_cells: list[str] = field(default_factory=list)  # "2023-04 D3: incidents 12 → 13"
    pages: dict[str, RowsPage] = field(default_factory=dict)
    summary: list[dict] = field(default_factory=list)


@dataclass
class ReviewPage:
    candidate: Candidate
    baseline: int | None  # the version number the changes are counted against
    tables: list[TableReview]
    figures: list[FigureChange]
    timezone: str

    @property
    def problems(self) -> int:
        return sum(t.problems for t in self.tables)

    @property
    def revised(self) -> bool:
        return any(t.revised for t in self.tables)

    @property
    def _privacy(self) -> dict:
        return (self.candidate.report or {}).get("privacy") or {}

    @property
    def privacy(self) -> dict[str, int]:
        return privacy_totals(list(self._privacy.values()))

    @property
    def privacy_sentences(self) -> dict[str, list[str]]:
        """The privacy report's own sentences, per table (#15: one wording, office and CLI)."""
        return privacy_report.sentences(self._privacy)

    @property
    def privacy_samples(self) -> dict[str, dict[str, list[str]]]:
        return privacy_report.samples(self._privacy)

    @property
    def zones(self) -> list[str]:
        return time_zones(self.timezone)


def review_page(
    session: Session, storage: LocalStorage, candidate: Candidate, args: Mapping[str, str]
) -> ReviewPage:
    """Everything the candidate page shows, from the staged files and the current version."""
    dataset = candidate.dataset
    current = _baseline(session, candidate)
    staged = storage.staged(candidate.staged_dir)
    tables = staged_tables(staged, candidate.files)
    report = candidate.report or {}
    schemas = {r.name: r for r in dataset.resources}
    reviews = []
    for name, path in tables.items():
        resource = schemas.get(name)
        schema = resource.table_schema if resource else {}
        old = current.file(f"{name}.csv") if current else None
        reviews.append(
            _table_review(
                name,
                resource.title if resource else name,
                schema,
                storage.path(old.path) if old else None,
                path,
                report,
                args,
            )
        )
    return ReviewPage(
        candidate=candidate,
        baseline=current.number if current else None,
        tables=reviews,
        figures=(
            _figures(dataset, current, tables, storage)
            if candidate.status.value == "pending"
            else []
        ),
        timezone=((dataset.meta or {}).get("schedule") or {}).get("timezone") or "UTC",
    )


def _baseline(session: Session, candidate: Candidate) -> Version | None:
    """What the candidate is compared with: the public version now or, once the candidate
    was published, the version before its own."""
    dataset = candidate.dataset
    own = session.scalar(select(Version).where(Version.candidate_id == candidate.id))
    if own is not None:
        return session.scalar(
            select(Version).where(
                Version.dataset_id == dataset.id, Version.number == own.number - 1
            )
        )
    return session.get(Version, dataset.current_version_id) if dataset.current_version_id else None


def time_zones(default: str) -> list[str]:
    """The dataset's own zone first, then UTC, then every place-named IANA zone."""
    named = sorted(z for z in available_timezones() if "/" in z and not z.startswith(LEGACY_ZONES))
    return list(dict.fromkeys([default, "UTC", *named]))


def staged_tables(staged: Path, files: list[dict]) -> dict[str, Path]:
    return {
        f["resource"]: staged / f["filename"]
        for f in files
        if f.get("media_type") == "text/csv" and (staged / f["filename"]).is_file()
    }


def staged_preview(
    storage: LocalStorage, candidate: Candidate, resource: str, page: int
) -> RowsPage | None:
    """One page of a staged table as approval would publish it, for the full preview."""
    path = staged_tables(storage.staged(candidate.staged_dir), candidate.files).get(resource)
    if path is None:
        return None
    schema = next((r.table_schema for r in candidate.dataset.resources if r.name == resource), {})
    return _page("preview", pl.read_csv(path, infer_schema=False), schema, "page", page)


def _table_review(
    name: str,
    title: str,
    schema: dict,
    old_path: Path | None,
    new_path: Path,
    report: dict,
    args: Mapping[str, str],
) -> TableReview:
    checked = (report.get("resources") or {}).get(name) or {}
    new = pl.read_csv(new_path, infer_schema=False)
    review = TableReview(
        name=name,
        title=title,
        rows=new.height,
        valid=bool(checked.get("valid", True)),
        problems=int(checked.get("errorCount") or 0),
        first=old_path is None,
    )
    kinds = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
    if old_path is None:
        review.added = new.height
        added = _page("added", new, schema, f"{name}.added", _arg(args, name, "added"))
        review.pages["added"] = added
        review.summary = _summary_rows(None, column_summary(new, schema), kinds)
        return review
    old = pl.read_csv(old_path, infer_schema=False)
    rows = row_changes(old, new, schema)
    review.added, review.removed, review.changed = (
        rows.added.height,
        rows.removed.height,
        rows.changed.height,
    )
    review.columns_added = [c for c in new.columns if c not in old.columns]
    review.columns_removed = [c for c in old.columns if c not in new.columns]
    review.revised, review.changed_cells = revisions(rows, schema)
    review.pages = {
        "added": _page("added", rows.added, schema, f"{name}.added", _arg(args, name, "added")),
        "changed": _changed_page(rows, schema, f"{name}.changed", _arg(args, name, "changed")),
        "removed": _page(
            "removed", rows.removed, schema, f"{name}.removed", _arg(args, name, "removed")
        ),
    }
    review.summary = _summary_rows(column_summary(old, schema), column_summary(new, schema), kinds)
    return review


def _arg(args: Mapping[str, str], name: str, kind: str) -> int:
    text = str(args.get(f"{name}.{kind}", "1"))
    return int(text) if text.isdigit() and 0 < int(text) < 10**9 else 1


def _bounds(total: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(total / PAGE_ROWS))
    return min(page, pages), pages


def _text(value: str | None, kind: str | None) -> str:
    return number_text(typed_number(value, kind), kind)


def _page(kind: str, frame: pl.DataFrame, schema: dict, param: str, page: int) -> RowsPage:
    page, pages = _bounds(frame.height, page)
    kinds = {f["name"]: f.get("type") for f in schema.get("fields", [])}
    chunk = frame.slice((page - 1) * PAGE_ROWS, PAGE_ROWS)
    rows = [
        [Cell(_text(v, kinds.get(c))) for c, v in zip(chunk.columns, row, strict=True)]
        for row in chunk.rows()
    ]
    return RowsPage(kind, frame.height, page, pages, list(frame.columns), rows, param)


def _changed_page(rows, schema: dict, param: str, page: int) -> RowsPage:  # noqa: ANN001
    """Changed rows: the key, then only the columns that changed on this page, old → new."""
    frame = rows.changed
    page, pages = _bounds(frame.height, page)
    kinds = {f["name"]: f.get("type") for f in schema.get("fields", [])}
    chunk = frame.slice((page - 1) * PAGE_ROWS, PAGE_ROWS).to_dicts()
    changed = [c for c in rows.values if any(r[c] != r[f"{c}__old"] for r in chunk)]
    table = []
    for row in chunk:
        cells = [Cell(_text(row[k], kinds.get(k))) for k in rows.key]
        for column in changed:
            new, old = row[column], row[f"{column}__old"]
            text = _text(new, kinds.get(column))
            cells.append(Cell(text, _text(old, kinds.get(column))) if new != old else Cell(text))
        table.append(cells)
    return RowsPage("changed", frame.height, page, pages, rows.key + changed, table, param)


def _summary_rows(old: dict | None, new: dict, kinds: dict[str, str]) -> list[dict]:
    """Column summaries with numbers written as the public pages write them."""

    def span(entry: dict, column: str) -> str:
        if "min" not in entry:
            return ""
        kind = kinds.get(column)
        return f"{_text(entry['min'], kind)} – {_text(entry['max'], kind)}"

    out = []
    for column, entry in new.items():
        before = (old or {}).get(column, {})
        out.append(
            {
                "column": column,
                "filled": (before.get("filled"), entry["filled"]),
                "distinct": (before.get("distinct"), entry["distinct"]),
                "range": (span(before, column) if before else None, span(entry, column)),
            }
        )
    return out


def _figures(
    dataset: Dataset, current: Version | None, tables: dict[str, Path], storage: LocalStorage
) -> list:
    published = version_figures(current, storage).get("figures") if current else None
    before = {f["key"]: f for f in published or []}
    changes = []
    for figure in candidate_figures(dataset, tables):
        old = before.get(figure["key"], {})
        changes.append(
            FigureChange(
                figure["key"],
                figure.get("label", figure["key"]),
                figure.get("unit"),
                old.get("value"),
                figure.get("value"),
                figure,
                old,
            )
        )
    return changes
