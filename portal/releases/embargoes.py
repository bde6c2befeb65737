"""Embargoed releases: approved now, published by the scheduler at a set time.

An approval with a publication time (`review.approve(..., publish_at=...)`) records an
Embargo; until its time nothing about the new version is public. The scheduler's tick calls
`publish_due`, which publishes each due release in its own transaction.

An embargo is scheduled, then exactly one of published, cancelled or failed. Publishing and
cancelling both lock the dataset's row and then the embargo's, and re-read its status:
whichever comes second sees what the first did (a cancelled release is never published; a
published one cannot be cancelled).
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.db import Database, FenceCheck, no_fence
from portal.errors import LeaseLost, NothingToApprove, PortalError
from portal.models import Candidate, CandidateStatus, Dataset, User, Version
from portal.releases import guards, publishing
from portal.releases.models import Embargo, EmbargoStatus

log = logging.getLogger(__name__)


def parse_publish_at(value: str, zone: str) -> datetime:
    """A local date and time ("2026-12-01 09:00" or "2026-12-01T09:00") in a named zone."""
    try:
        tz = ZoneInfo(zone.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise PortalError(f"unknown time zone {zone!r}") from None
    try:
        local = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise PortalError(f"{value!r} is not a date and time such as 2026-12-01 09:00") from None
    return local.replace(tzinfo=tz) if local.tzinfo is None else local


def cancel(session: Session, slug: str, user: User) -> Embargo:
    """Withdraw a scheduled embargoed release; its candidate goes back to review."""
    guards.require_active(user)
    dataset = guards.lock_dataset(session, slug)
    embargo = _locked(
        session,
        select(Embargo)
        .where(Embargo.dataset_id == dataset.id)
        .order_by(Embargo.id.desc())
        .limit(1),
    )
    if embargo is None or embargo.status != EmbargoStatus.SCHEDULED:
        why = _since(session, embargo)
        raise NothingToApprove(f"{slug} has no embargoed release scheduled{why}")
    embargo.status = EmbargoStatus.CANCELLED
    newer = session.scalar(
        select(Candidate.id).where(
            Candidate.dataset_id == dataset.id, Candidate.status == CandidateStatus.PENDING
        )
    )
    embargo.candidate.status = CandidateStatus.SUPERSEDED if newer else CandidateStatus.PENDING
    audit.record(
        session,
        user.email,
        "embargo.cancel",
        "candidate",
        embargo.candidate_id,
        dataset=slug,
        publish_at=embargo.publish_at.isoformat(),
    )
    return embargo


def publish_due(
    db: Database, config: Config, now: datetime, fence: FenceCheck = no_fence
) -> list[int]:
    """Publish every embargoed approval whose time has come (the scheduler's tick calls this).

    Each is its own transaction; one that fails is marked failed for the office to see.
    Returns the ids of the versions published. A scheduler that lost its lease (`fence`)
    stops at once and leaves the rest to the new one.
    """
    with db.session() as session:
        due = session.scalars(
            select(Embargo.id)
            .where(Embargo.status == EmbargoStatus.SCHEDULED, Embargo.publish_at <= now)
            .order_by(Embargo.publish_at, Embargo.id)
        ).all()
    published = []
    for embargo_id in due:
        version_id = publish_one(db, config, embargo_id, fence)
        if version_id is not None:
            published.append(version_id)
    return published


def publish_one(
    db: Database, config: Config, embargo_id: int, fence: FenceCheck = no_fence
) -> int | None:
    """Publish one embargoed release if it is still scheduled; the version's id, else None."""
    try:
        with db.session() as session:
            slug = session.scalar(
                select(Dataset.slug)
                .join(Embargo, Embargo.dataset_id == Dataset.id)
                .where(Embargo.id == embargo_id)
            )
            guards.lock_dataset(session, slug)
            embargo = _locked(session, select(Embargo).where(Embargo.id == embargo_id))
            if embargo is None or embargo.status != EmbargoStatus.SCHEDULED:
                return None  # cancelled (or published) since the list was read
            version = publishing.publish(
                session,
                config,
                embargo.candidate,
                approved_by=embargo.approved_by,
                note=embargo.note,
                fence=fence,
            )
            embargo.status, embargo.version_id = EmbargoStatus.PUBLISHED, version.id
            audit.record(
                session,
                "scheduler",
                "embargo.publish",
                "version",
                version.id,
                dataset=slug,
                version=version.number,
                publish_at=embargo.publish_at.isoformat(),
            )
            return version.id
    except LeaseLost:
        raise
    except PortalError as error:
        log.error("embargoed release %s not published: %s", embargo_id, error)
        with db.session() as session:
            fence(session)
            embargo = _locked(session, select(Embargo).where(Embargo.id == embargo_id))
            if embargo is not None and embargo.status == EmbargoStatus.SCHEDULED:
                embargo.status, embargo.error = EmbargoStatus.FAILED, str(error)
        return None


def _locked(session: Session, query: Select) -> Embargo | None:
    """The embargo row, re-read and locked (the caller holds the dataset's lock already)."""
    return session.scalar(query.with_for_update().execution_options(populate_existing=True))


def _since(session: Session, embargo: Embargo | None) -> str:
    if embargo is None or embargo.status == EmbargoStatus.SCHEDULED:
        return ""
    version = session.get(Version, embargo.version_id) if embargo.version_id else None
    if version is not None:
        return (
            f": the last one was already published as version {version.number} "
            f"at {version.published_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    return f": the last one is {embargo.status.value}"


def scheduled(session: Session) -> list[Embargo]:
    return list(
        session.scalars(
            select(Embargo)
            .where(Embargo.status == EmbargoStatus.SCHEDULED)
            .order_by(Embargo.publish_at)
        )
    )
