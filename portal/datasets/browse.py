"""What the public sees: published datasets, their versions and files, never anything unreviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.datasets.labels import long_date
from portal.errors import PortalError, UnknownDataset
from portal.languages import gettext
from portal.models import Dataset, Version, VersionFile
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
