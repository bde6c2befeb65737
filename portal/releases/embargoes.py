"""Embargoed releases: approved now, published by the scheduler at a set time.

An approval with a publication time (`review.approve(..., publish_at=...)`) records an
Embargo; until its time nothing about the new version is public. The scheduler's tick calls
`publish_due`, which publishes each due release in its own transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.datasets.definitions import get_dataset
from portal.db import Database
from portal.errors import NothingToApprove, PortalError
from portal.models import Candidate, CandidateStatus, User
from portal.releases import review
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
    review.require_active(user)
    dataset = get_dataset(session, slug)
    embargo = session.scalar(
        select(Embargo).where(
            Embargo.dataset_id == dataset.id, Embargo.status == EmbargoStatus.SCHEDULED
        )
    )
    if embargo is None:
        raise NothingToApprove(f"{slug} has no embargoed release scheduled")
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


def publish_due(db: Database, config: Config, now: datetime) -> list[int]:
    """Publish every embargoed approval whose time has come (the scheduler's tick calls this).

    Each is its own transaction; one that fails is marked failed for the office to see.
    Returns the ids of the versions published.
    """
    with db.session() as session:
        due = session.scalars(
            select(Embargo.id)
            .where(Embargo.status == EmbargoStatus.SCHEDULED, Embargo.publish_at <= now)
            .order_by(Embargo.publish_at, Embargo.id)
        ).all()
    published = []
    for embargo_id in due:
        try:
            with db.session() as session:
                embargo = session.get(Embargo, embargo_id)
                version = review.publish(
                    session,
                    config,
                    embargo.candidate,
                    approved_by=embargo.approved_by,
                    note=embargo.note,
                )
                embargo.status, embargo.version_id = EmbargoStatus.PUBLISHED, version.id
                audit.record(
                    session,
                    "scheduler",
                    "embargo.publish",
                    "version",
                    version.id,
                    dataset=embargo.dataset.slug,
                    version=version.number,
                    publish_at=embargo.publish_at.isoformat(),
                )
                published.append(version.id)
        except PortalError as error:
            log.error("embargoed release %s not published: %s", embargo_id, error)
            with db.session() as session:
                embargo = session.get(Embargo, embargo_id)
                embargo.status, embargo.error = EmbargoStatus.FAILED, str(error)
    return published


def scheduled(session: Session) -> list[Embargo]:
    return list(
        session.scalars(
            select(Embargo)
            .where(Embargo.status == EmbargoStatus.SCHEDULED)
            .order_by(Embargo.publish_at)
        )
    )
