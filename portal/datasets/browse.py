"""What the public sees: published datasets, their versions and files, never anything unreviewed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.datasets.freshness import dataset_freshness
from portal.datasets.labels import long_date
from portal.errors import PortalError, UnknownDataset
from portal.languages import N_, gettext
from portal.models import AuditEvent, Dataset, Version, VersionFile
from portal.storage import LocalStorage


class NotPublished(PortalError):
    """The dataset, version or file exists but is not public."""


class Retracted(PortalError):
    """The version was retracted; its files answer 410 with the notice."""

    def __init__(self, version: Version) -> None:
        super().__init__(f"version {version.number} was retracted: {version.retraction_reason}")
        self.version = version


@dataclass(frozen=True)
class Withdrawal:
    """Every version of a dataset was retracted: the last retraction, which the public is told."""

    version: Version

    @property
    def at(self) -> datetime:
        return self.version.retracted_at  # type: ignore[return-value]

    @property
    def reason(self) -> str:
        return self.version.retraction_reason or "no reason given"

    @property
    def notice(self) -> str:
        return gettext(
            "Withdrawn on %(day)s: %(reason)s", day=long_date(self.at), reason=self.reason
        )


@dataclass(frozen=True)
class Download:
    """A file to send: where it is on disk and what to say about it."""

    file: VersionFile
    version: Version
    path: Path
    download_name: str


def published_datasets(session: Session) -> list[Dataset]:
    query = (
        select(Dataset)
        .where(Dataset.current_version_id.is_not(None))
        .options(
            selectinload(Dataset.resources),
            selectinload(Dataset.current_version).selectinload(Version.files),
        )
        .order_by(Dataset.title)
    )
    return sorted(session.scalars(query), key=declared_order)


def declared_order(dataset: Dataset) -> tuple[bool, float, str]:
    """The place `order:` in dataset.yaml gives (lowest first); undeclared ones last, by title."""
    order = dataset.meta.get("order")
    declared = isinstance(order, int | float) and not isinstance(order, bool)
    return (not declared, order if declared else 0, dataset.title)


def public_datasets(session: Session) -> list[Dataset]:
    """Datasets the public has seen: published ones and withdrawn ones (every version retracted)."""
    ever = select(Version.dataset_id)
    query = (
        select(Dataset)
        .where(Dataset.current_version_id.is_not(None) | Dataset.id.in_(ever))
        .options(
            selectinload(Dataset.resources),
            selectinload(Dataset.current_version).selectinload(Version.files),
        )
        .order_by(Dataset.title)
    )
    return list(session.scalars(query))


def public_dataset(session: Session, slug: str) -> Dataset:
    """A published dataset, or a withdrawn one (its page stays, as a tombstone)."""
    try:
        return published_dataset(session, slug)
    except UnknownDataset:
        dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
        if dataset is None or withdrawal(session, dataset) is None:
            raise
        return dataset


def withdrawal(session: Session, dataset: Dataset) -> Withdrawal | None:
    """The notice of a dataset whose every version was retracted; None while one is live."""
    return withdrawals(session, [dataset]).get(dataset.id)


def withdrawals(session: Session, datasets: list[Dataset]) -> dict[int, Withdrawal]:
    """Withdrawal notices by dataset id, for those of `datasets` with nothing live."""
    ids = [d.id for d in datasets if d.current_version_id is None]
    if not ids:
        return {}
    found: dict[int, Withdrawal] = {}
    retracted = (
        select(Version)
        .where(Version.dataset_id.in_(ids), Version.retracted_at.is_not(None))
        .order_by(Version.retracted_at)
    )
    for version in session.scalars(retracted):
        found[version.dataset_id] = Withdrawal(version)  # the latest retraction wins
    return found


def published_dataset(session: Session, slug: str) -> Dataset:
    # Loaded in one statement with what every page of a dataset shows.
    dataset = session.scalar(
        select(Dataset)
        .where(Dataset.slug == slug)
        .options(
            joinedload(Dataset.resources),
            joinedload(Dataset.current_version).joinedload(Version.files),
        )
    )
    if dataset is None or dataset.current_version_id is None:
        raise UnknownDataset(f"no published dataset named {slug!r}")
    return dataset


def versions(
    session: Session, dataset: Dataset, limit: int | None = None, with_files: bool = True
) -> list[Version]:
    """A dataset's versions, newest first (the `limit` newest when given)."""
    query = select(Version).where(Version.dataset_id == dataset.id)
    if with_files:
        query = query.options(selectinload(Version.files))
    return list(session.scalars(query.order_by(Version.number.desc()).limit(limit)))


def find_version(session: Session, slug: str, number: int | None) -> Version:
    """Version `number` of a dataset, or its current one when number is None.

    A numbered version is found even when it was retracted (and, if every version
    was, even though the dataset has no current one), so its URL can answer 410.
    """
    if number is None:
        dataset = public_dataset(session, slug)
        if dataset.current_version_id is None:
            # Withdrawn: `latest` is the last version retracted, so its address answers 410.
            return withdrawal(session, dataset).version  # type: ignore[union-attr]
        return session.get(Version, dataset.current_version_id)
    version = session.scalar(
        select(Version)
        .join(Dataset, Version.dataset_id == Dataset.id)
        .where(Dataset.slug == slug, Version.number == number)
    )
    if version is None:
        raise NotPublished(
            gettext("%(dataset)s has no version %(number)s", dataset=slug, number=number)
        )
    return version


def download(
    session: Session, storage: LocalStorage, slug: str, number: int | None, filename: str
) -> Download:
    """The file a download URL names, looked up in the database, never in the request path."""
    version = find_version(session, slug, number)
    if version.retracted_at is not None:
        raise Retracted(version)
    file = version.file(filename)
    if file is None:
        raise NotPublished(
            gettext(
                "version %(number)s of %(dataset)s has no file %(file)s",
                number=version.number,
                dataset=slug,
                file=repr(filename),
            )
        )
    stem, _, suffix = filename.rpartition(".")
    name = (
        f"{slug}-v{version.number}-{stem}.{suffix}"
        if stem != slug
        else f"{slug}-v{version.number}.{suffix}"
    )
    return Download(file, version, storage.path(file.path), name)


def preview(storage: LocalStorage, file: VersionFile, rows: int = 10) -> pl.DataFrame:
    """The first rows of a published CSV, as text."""
    return pl.read_csv(storage.path(file.path), n_rows=rows, infer_schema=False)


def search(datasets: list[Dataset], query: str) -> list[Dataset]:
    """Datasets whose title, description, keywords or resources mention every word of the query."""
    words = query.lower().split()
    if not words:
        return datasets

    def haystack(dataset: Dataset) -> str:
        meta = dataset.meta
        parts = [
            dataset.title,
            dataset.slug,
            meta.get("description", ""),
            " ".join(meta.get("keywords", [])),
        ]
        parts += [f"{r.name} {r.title}" for r in dataset.resources]
        return " ".join(parts).lower()

    return [d for d in datasets if all(word in haystack(d) for word in words)]


CATALOGUE_FACETS = {"family": N_("Topic"), "keyword": N_("Keyword"), "frequency": N_("Updated")}
CATALOGUE_SORTS = {"title": N_("Title (A to Z)"), "recent": N_("Most recently published")}


class QueryArgs(Protocol):
    """A parsed query string (werkzeug's MultiDict, without importing the web layer)."""

    def get(self, key: str, default: str = "") -> str: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]


@dataclass(frozen=True)
class Catalogue:
    """The catalogue page's answer: matching datasets, facet counts, what was asked."""

    datasets: list[Dataset]
    facets: list[Facet]
    q: str
    sort: str
    selected: dict[str, list[str]]


def facet_values(dataset: Dataset) -> dict[str, list[str]]:
    """The values a dataset has for each catalogue facet."""
    meta = dataset.meta or {}
    return {
        "family": [dataset.family],
        "keyword": [str(k) for k in meta.get("keywords") or []],
        "frequency": [str(meta.get("update_frequency") or "irregular")],
    }


def catalogue(
    datasets: list[Dataset],
    q: str = "",
    selected: dict[str, list[str]] | None = None,
    sort: str = "title",
) -> Catalogue:
    """Search, then facets: values of one facet widen (any of), facets narrow (all of).

    Each facet's counts are over the datasets that match the search and every *other*
    facet, so a reader sees how many each extra tick would add.
    """
    chosen = {k: list(dict.fromkeys(v)) for k, v in (selected or {}).items() if v}
    chosen = {k: v for k, v in chosen.items() if k in CATALOGUE_FACETS}
    found = search(datasets, q)
    values = {d.id: facet_values(d) for d in found}

    def matches(dataset: Dataset, skip: str | None = None) -> bool:
        return all(
            set(wanted) & set(values[dataset.id][name])
            for name, wanted in chosen.items()
            if name != skip
        )

    facets = []
    for name, title in CATALOGUE_FACETS.items():
        counts: dict[str, int] = {}
        for dataset in found:
            if matches(dataset, skip=name):
                for value in dict.fromkeys(values[dataset.id][name]):
                    counts[value] = counts.get(value, 0) + 1
        for value in chosen.get(name, []):
            counts.setdefault(value, 0)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        facets.append(
            Facet(
                name,
                gettext(title),
                [FacetValue(v, n, v in chosen.get(name, [])) for v, n in ordered],
            )
        )
    results = [d for d in found if matches(d)]
    sort = sort if sort in CATALOGUE_SORTS else "title"
    if sort == "recent":
        results.sort(key=lambda d: d.title.lower())
        # Withdrawn datasets (no current version) come after every live one.
        results.sort(key=lambda d: (d.current_version is not None, _published_at(d)), reverse=True)
    else:
        results.sort(key=lambda d: d.title.lower())
    return Catalogue(results, facets, q, sort, chosen)


def _published_at(dataset: Dataset) -> datetime:
    return dataset.current_version.published_at if dataset.current_version else datetime.min


def search_catalogue(session: Session, args: QueryArgs) -> Catalogue:
    """The catalogue as `/datasets/` and `/api/v1/datasets` both read it from a query string
    (`q`, a facet repeated for "any of", `sort`), over published and withdrawn datasets."""
    return catalogue(
        public_datasets(session),
        q=str(args.get("q", "")).strip(),
        selected={name: args.getlist(name) for name in CATALOGUE_FACETS},
        sort=str(args.get("sort", "title")),
    )


def publication_state(session: Session) -> tuple:
    """A cheap fingerprint of what the public summary is computed from.

    It changes whenever a publish, a retraction, a definition sync or an edited release date
    changes what a page built from the published datasets would show.
    """
    rows = session.execute(
        select(
            Dataset.id,
            Dataset.current_version_id,
            Dataset.title,
            Dataset.meta,
            Version.published_at,
            Version.retracted_at,
        )
        .outerjoin(Version, Version.id == Dataset.current_version_id)
        .order_by(Dataset.id)
    ).all()
    return tuple(
        (row[0], row[1], row[2], json.dumps(row[3], sort_keys=True, default=str), *row[4:])
        for row in rows
    )


def generation(session: Session) -> int:
    """A number that grows whenever anything a dataset page shows may have changed.

    Every publish, retraction, embargoed release, correction, moderation decision and
    definition change is audited in the same transaction as the change itself, so the newest
    audit event's id moves exactly when they do (and the audit trail is append-only).
    """
    # On the session's connection (same transaction) but without the ORM: every page asks.
    return session.connection().scalar(select(func.max(AuditEvent.id))) or 0


GENERATION_SQL = f"SELECT max(id) FROM {AuditEvent.__tablename__}"


def current_generation(engine: Engine) -> int:
    """`generation`, read on a pooled connection without a session or SQL compilation: every
    kept page asks for it, and a session costs ten times the query."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(GENERATION_SQL)
        found = cursor.fetchone()[0]
        cursor.close()
    finally:
        connection.close()  # back to the pool, its transaction rolled back
    return found or 0


def unchanged_for(datasets: list[Dataset], now: datetime, longest: float) -> float:
    """Seconds until the first dataset's freshness changes by itself (it becomes overdue)."""
    flips = [
        (fresh.overdue_after - now).total_seconds()
        for fresh in (dataset_freshness(d, now) for d in datasets)
        if fresh.overdue_after is not None and not fresh.overdue
    ]
    return max(0.0, min([longest, *flips]))
