"""Releases: the review queue, approval and rejection, and the atomic publish of a version.

Decisions and publishes of one dataset happen one at a time: each locks the dataset's row
first (`lock_dataset`: SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) and
re-reads what it decides on, so the second of two simultaneous approvals learns who decided
first instead of publishing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, languages, watches
from portal.config import Config
from portal.datasets.definitions import get_dataset
from portal.db import Database, FenceCheck, begin_write, no_fence
from portal.errors import (
    AlreadyDecided,
    NothingToApprove,
    PermissionDenied,
    PortalError,
    UnknownDataset,
)
from portal.figures.service import dataset_figures
from portal.models import Candidate, CandidateStatus, Dataset, User, Version, VersionFile, utcnow
from portal.query import index
from portal.releases import corrections, ledger
from portal.releases.diff import changelog_text, diff_tables
from portal.releases.models import Embargo, EmbargoStatus
from portal.releases.packages import media_type, write_package
from portal.storage import LocalStorage, StoredFolder, sha256_of
from portal.timing import Laps

log = logging.getLogger(__name__)


class StagedFilesChanged(PortalError):
    """A staged file no longer matches the size or hash recorded when it was staged."""


def pending_candidates(session: Session) -> list[Candidate]:
    return list(
        session.scalars(
            select(Candidate)
            .where(Candidate.status == CandidateStatus.PENDING)
            .order_by(Candidate.created_at)
        )
    )


def pending_candidate(session: Session, slug: str) -> Candidate:
    dataset = get_dataset(session, slug)
    candidate = session.scalar(
        select(Candidate)
        .where(Candidate.dataset_id == dataset.id, Candidate.status == CandidateStatus.PENDING)
        .order_by(Candidate.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    if candidate is None:
        last = session.scalar(
            select(Candidate)
            .where(Candidate.dataset_id == dataset.id)
            .order_by(Candidate.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        if last is not None and last.decided_at is not None:
            raise AlreadyDecided(f"{slug} has no candidate awaiting review: {_decided(last)}")
        raise NothingToApprove(f"{slug} has no candidate awaiting review")
    return candidate


def lock_dataset(session: Session, slug: str) -> Dataset:
    """The dataset's row, locked until commit: its decisions and publishes queue up here."""
    begin_write(session)
    dataset = session.scalar(
        select(Dataset)
        .where(Dataset.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if dataset is None:
        raise UnknownDataset(f"no dataset named {slug!r}")
    return dataset


def _decided(candidate: Candidate) -> str:
    who = candidate.decided_by.email if candidate.decided_by else "the scheduler"
    return (
        f"candidate {candidate.id} was already decided ({candidate.status.value}) by {who} "
        f"at {candidate.decided_at:%Y-%m-%d %H:%M:%S} UTC"
    )


def require_active(user: User) -> None:
    """Only an active account may approve, reject, retract or cancel a release."""
    if not user.active:
        raise PermissionDenied(f"{user.email} is not an active user")


def reject(
    session: Session, slug: str, user: User, note: str, candidate_id: int | None = None
) -> Candidate:
    require_active(user)
    if not note.strip():
        raise PortalError("a rejection needs a note saying why")
    lock_dataset(session, slug)
    candidate = _the_candidate(session, slug, candidate_id)
    candidate.status = CandidateStatus.REJECTED
    candidate.decided_at = utcnow()
    candidate.decided_by = user
    candidate.note = note.strip()
    audit.record(
        session,
        user.email,
        "candidate.reject",
        "candidate",
        candidate.id,
        dataset=slug,
        note=candidate.note,
    )
    return candidate


def _the_candidate(session: Session, slug: str, candidate_id: int | None) -> Candidate:
    if candidate_id is not None:
        chosen = session.get(Candidate, candidate_id, populate_existing=True)
        if chosen is not None and chosen.decided_at is not None:
            raise AlreadyDecided(_decided(chosen))
    candidate = pending_candidate(session, slug)
    if candidate_id is not None and candidate.id != candidate_id:
        # The page the officer reviewed shows an older candidate: never approve unseen data.
        raise NothingToApprove(f"candidate {candidate_id} is no longer the one awaiting review")
    return candidate


def approve(
    session: Session,
    config: Config,
    slug: str,
    user: User,
    note: str = "",
    candidate_id: int | None = None,
    publish_at: datetime | None = None,
) -> Version | Embargo:
    """Approve the pending candidate and publish it as the dataset's next version.

    With `publish_at` (timezone-aware, in the future) the approval is staged as an Embargo:
    no Version exists, and nothing is public, until the scheduler's tick reaches that time.
    """
    require_active(user)
    lock_dataset(session, slug)
    candidate = _the_candidate(session, slug, candidate_id)
    _no_embargo_waiting(session, candidate)
    candidate.status = CandidateStatus.APPROVED
    candidate.decided_at = utcnow()
    candidate.decided_by = user
    candidate.note = note.strip() or None
    if publish_at is not None:
        return _embargo(session, candidate, user, publish_at)
    version = publish(session, config, candidate, approved_by=user, note=candidate.note)
    audit.record(
        session,
        user.email,
        "candidate.approve",
        "candidate",
        candidate.id,
        dataset=slug,
        version=version.number,
        files={f.filename: f.sha256 for f in version.files},
    )
    return version


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


@dataclass(frozen=True)
class RetractionConsequences:
    """What withdrawing a version does, said to whoever confirms it before it happens."""

    version: Version
    is_current: bool
    latest_after: Version | None  # what `latest/…` serves afterwards; None: nothing

    @property
    def sentences(self) -> list[str]:
        slug, number = self.version.dataset.slug, self.version.number
        said = [
            f"The {len(self.version.files)} files of version {number} will answer "
            f"410 Gone with your notice (/datasets/{slug}/v{number}/…); they stay on disk and "
            "in the signed ledger, but are no longer served.",
            "Citations and links to those files will no longer lead to the data.",
        ]
        if not self.is_current:
            said.append(
                f"latest/… is not affected: it serves version {self.latest_after.number}."
                if self.latest_after
                else "latest/… serves nothing today and will stay so."
            )
        elif self.latest_after is not None:
            said.append(
                f"latest/… will serve version {self.latest_after.number} instead "
                f"(published {self.latest_after.published_at:%Y-%m-%d})."
            )
        else:
            said.append(
                "It is the only live version: the whole dataset will be withdrawn. Its page, "
                "latest/… and its API will answer 410 with your notice."
            )
        said.append("Your notice is public, recorded in the release ledger and the audit log.")
        return said


def retraction_consequences(session: Session, slug: str, number: int) -> RetractionConsequences:
    """What retracting version `number` of `slug` would do; refuses what cannot be retracted."""
    dataset = get_dataset(session, slug)
    version = session.scalar(
        select(Version).where(Version.dataset_id == dataset.id, Version.number == number)
    )
    if version is None:
        raise PortalError(f"{slug} has no version {number}")
    if version.retracted_at is not None:
        raise PortalError(f"version {number} of {slug} is already retracted")
    is_current = dataset.current_version_id == version.id
    if is_current:
        after = session.scalar(
            select(Version)
            .where(
                Version.dataset_id == dataset.id,
                Version.retracted_at.is_(None),
                Version.id != version.id,
            )
            .order_by(Version.number.desc())
            .limit(1)
        )
    else:
        after = dataset.current_version
    return RetractionConsequences(version, is_current, after)


def retract(
    session: Session, slug: str, number: int, user: User, reason: str, config: Config | None = None
) -> Version:
    """Withdraw a published version with a public notice; "latest" falls back to the one before.

    The files stay on disk (the ledger and audit trail refer to them) but are no
    longer served: their URLs answer 410 Gone with the notice.
    """
    require_active(user)
    if not reason.strip():
        raise PortalError("a retraction needs a public reason")
    consequences = retraction_consequences(session, slug, number)
    version, fallback = consequences.version, consequences.latest_after
    version.retracted_at = utcnow()
    version.retraction_reason = reason.strip()
    if consequences.is_current:
        version.dataset.current_version_id = fallback.id if fallback else None
    config = config or ledger.config_for(session)
    entry = ledger.record_retraction(session, config, version, user.public_label, reason.strip())
    watches.retracted(session, config, version, entry)
    audit.record(
        session,
        user.email,
        "version.retract",
        "version",
        version.id,
        dataset=slug,
        version=number,
        reason=version.retraction_reason,
        files={f.filename: f.sha256 for f in version.files},
        latest_after=fallback.number if fallback else None,
    )
    return version


def _no_embargo_waiting(session: Session, candidate: Candidate) -> None:
    waiting = session.scalar(
        select(Embargo).where(
            Embargo.dataset_id == candidate.dataset_id, Embargo.status == EmbargoStatus.SCHEDULED
        )
    )
    if waiting is not None:
        raise PortalError(
            f"{candidate.dataset.slug} already has a release embargoed until "
            f"{waiting.publish_at:%Y-%m-%d %H:%M} UTC; cancel it before approving another"
        )


def _embargo(session: Session, candidate: Candidate, user: User, publish_at: datetime) -> Embargo:
    if publish_at.tzinfo is None:
        raise PortalError("give the publication time with its time zone")
    if publish_at <= utcnow():
        raise PortalError(f"{publish_at:%Y-%m-%d %H:%M %Z} has passed; approve without a time")
    embargo = Embargo(
        candidate=candidate,
        dataset_id=candidate.dataset_id,
        publish_at=publish_at,
        timezone=str(getattr(publish_at.tzinfo, "key", None) or publish_at.tzname() or "UTC"),
        approved_by=user,
        note=candidate.note,
    )
    session.add(embargo)
    session.flush()
    audit.record(
        session,
        user.email,
        "candidate.approve",
        "candidate",
        candidate.id,
        dataset=candidate.dataset.slug,
        publish_at=publish_at.isoformat(),
        files={f["filename"]: f["sha256"] for f in candidate.files},
    )
    return embargo


def current_version(session: Session, slug: str) -> Version | None:
    dataset = get_dataset(session, slug)
    return session.get(Version, dataset.current_version_id) if dataset.current_version_id else None
