"""Releases: the review queue, and the approval and rejection of a candidate.

Decisions and publishes of one dataset happen one at a time: each locks the dataset's row
first (`guards.lock_dataset`: SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite)
and re-reads what it decides on, so the second of two simultaneous approvals learns who
decided first instead of publishing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.datasets.definitions import get_dataset
from portal.errors import AlreadyDecided, NothingToApprove, PortalError
from portal.models import Candidate, CandidateStatus, User, Version, utcnow
from portal.releases.guards import lock_dataset, require_active
from portal.releases.models import Embargo, EmbargoStatus
from portal.releases.publishing import publish


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


def _decided(candidate: Candidate) -> str:
    who = candidate.decided_by.email if candidate.decided_by else "the scheduler"
    return (
        f"candidate {candidate.id} was already decided ({candidate.status.value}) by {who} "
        f"at {candidate.decided_at:%Y-%m-%d %H:%M:%S} UTC"
    )


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
