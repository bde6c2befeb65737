"""Releases: the atomic publish of an approved candidate as a dataset's next version."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import languages, watches
from portal.config import Config
from portal.db import Database, FenceCheck, no_fence
from portal.errors import PortalError
from portal.figures.service import dataset_figures
from portal.models import Candidate, Dataset, User, Version, VersionFile, utcnow
from portal.query import index
from portal.releases import corrections, ledger
from portal.releases.diff import changelog_text, diff_tables
from portal.releases.guards import lock_dataset
from portal.releases.packages import media_type, write_package
from portal.storage import LocalStorage, StoredFolder, sha256_of
from portal.timing import Laps

log = logging.getLogger(__name__)


class StagedFilesChanged(PortalError):
    """A staged file no longer matches the size or hash recorded when it was staged."""


def publish(
    session: Session,
    config: Config,
    candidate: Candidate,
    *,
    approved_by: User | None,
    note: str | None,
    fence: FenceCheck = no_fence,
) -> Version:
    """Move the staged files into place as version N and flip the current pointer.

    The caller holds the dataset's lock (`lock_dataset`). The version row is inserted first:
    it claims number N (unique per dataset) before any file is written, so `v<N>` is written
    by the one transaction that holds N, and any `v<N>` or `.incoming-*` folder without a
    committed version is an orphan of an interrupted publish, removed now. The files are in
    place (fsynced, one rename) before the transaction that makes them current commits; if
    anything fails before, the folder this call wrote is removed again. `fence` (a
    scheduler's) is checked last, in the same transaction.
    """
    storage = LocalStorage(config.data_dir)
    dataset: Dataset = candidate.dataset
    slug = dataset.slug
    laps = Laps("publish", dataset=slug, candidate=candidate.id)
    staged = storage.staged(candidate.staged_dir)
    for recorded in candidate.files:
        path = staged / recorded["filename"]
        if not path.is_file() or sha256_of(path) != recorded["sha256"]:
            raise StagedFilesChanged(f"staged file {recorded['filename']} changed since review")
    number = (
        session.scalar(select(func.max(Version.number)).where(Version.dataset_id == dataset.id))
        or 0
    ) + 1
    version = Version(
        dataset_id=dataset.id,
        number=number,
        candidate=candidate,
        approved_by=approved_by,
        note=note,
        published_at=utcnow(),
        figures={},
        changelog={},
    )
    session.add(version)
    session.flush()  # the claim on number N, before any file is written
    committed = set(
        session.scalars(
            select(Version.number).where(Version.dataset_id == dataset.id, Version.id != version.id)
        )
    )
    for name in storage.remove_orphans(slug, committed):
        log.warning("removed %s/%s, left by an interrupted publish", slug, name)
    written: StoredFolder | None = None
    try:
        write_package(staged, dataset, number, version, candidate.files, config)
        checked = {recorded["filename"]: recorded["sha256"] for recorded in candidate.files}
        written = storage.publish(staged, slug, number, checked)
        laps.lap("publish")
        _record_files(session, config, storage, staged, version, candidate, written, laps)
        dataset.current_version_id = version.id
        session.flush()
        entry = ledger.record_publish(session, config, version)
        corrections.publish_with(session, config, version)
        watches.released(session, config, version, entry)
        fence(session)
        session.flush()
        laps.lap("ledger and notices")
    except BaseException:
        # Whatever failed (no signing key, a lost lease, a dead connection), remove the folder
        # this call wrote, from what it knows itself, never from the (maybe broken) session.
        if written is not None:
            storage.discard_version(written)
        raise
    return version


def _record_files(
    session: Session,
    config: Config,
    storage: LocalStorage,
    staged: Path,
    version: Version,
    candidate: Candidate,
    written: StoredFolder,
    laps: Laps,
) -> None:
    dataset = candidate.dataset
    index.prepare_version(
        config.data_dir, dataset, version.number, written.files, candidate.files, staged
    )
    laps.lap("query index")
    rows = {f["filename"]: f for f in candidate.files}
    for item in written.files:
        recorded = rows.get(item.filename, {})
        version.files.append(
            VersionFile(
                resource_name=recorded.get("resource"),
                filename=item.filename,
                media_type=recorded.get("media_type") or media_type(item.filename),
                path=item.path,
                size=item.size,
                sha256=item.sha256,
                row_count=recorded.get("rows"),
            )
        )
    tables = {
        f.resource_name: storage.path(f.path)
        for f in version.files
        if f.resource_name and f.media_type == "text/csv"
    }
    # A figure declaration that does not fit raises DefinitionError: publish() removes the
    # folder, nothing is published.
    with languages.use(languages.DEFAULT):  # stored in English; pages translate on reading
        version.figures = dataset_figures(dataset, tables)
    laps.lap("figures")
    version.changelog = changelog(session, storage, dataset, tables, candidate.report or {})
    laps.lap("changelog")


def remove_orphans(db: Database, config: Config) -> list[str]:
    """Remove what interrupted publishes left in every dataset's folder (`portal db upgrade`);
    each dataset under its lock, so a publish in flight is waited for, never cut short."""
    storage = LocalStorage(config.data_dir)
    removed = []
    with db.session() as session:
        slugs = list(session.scalars(select(Dataset.slug).order_by(Dataset.slug)))
    for slug in slugs:
        with db.session() as session:
            dataset = lock_dataset(session, slug)
            committed = set(
                session.scalars(select(Version.number).where(Version.dataset_id == dataset.id))
            )
            removed += [f"{slug}/{name}" for name in storage.remove_orphans(slug, committed)]
    return removed


def changelog(
    session: Session,
    storage: LocalStorage,
    dataset: Dataset,
    tables: dict[str, Path],
    report: dict | None = None,
) -> dict:
    """The diff summary of a new version against the one the public saw until now.

    A candidate's run `report` holds the same diff of the same staged files when the version
    it was compared with is still the current one: then it is reused, not computed again.
    """
    previous = (
        session.get(Version, dataset.current_version_id) if dataset.current_version_id else None
    )
    report = report or {}
    reusable = (
        "diffAgainst" in report
        and report["diffAgainst"] == (previous.number if previous else None)
        and set(tables) <= set(report.get("diff") or {})
    )
    schemas = {resource.name: resource.table_schema for resource in dataset.resources}
    resources = {}
    for name, path in tables.items():
        if reusable:
            full = report["diff"][name]
        else:
            old = previous.file(f"{name}.csv") if previous else None
            full = diff_tables(storage.path(old.path) if old else None, path, schemas.get(name, {}))
        resources[name] = {
            key: full[key]
            for key in ("first", "added", "removed", "changed", "columnsAdded", "columnsRemoved")
            if key in full
        }
    return {
        "previous": previous.number if previous else None,
        "text": changelog_text(resources),
        "resources": resources,
    }
