"""Corrections log: what was wrong in a published version, what changed and which rows.

A records officer records a correction against a version; it is published at once (its
own ledger entry and notifications) or with the dataset's next version. Published
corrections show on the dataset page, the version history, the API and the feeds.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, watches
from portal.config import Config
from portal.datasets.definitions import get_dataset
from portal.errors import PortalError
from portal.models import Dataset, Version, utcnow
from portal.releases import ledger
from portal.releases.models import Correction
from portal.users import find_user

MAX_ROWS = 1000


class CorrectionRefused(PortalError):
    """The correction cannot be recorded as given (missing text, unknown version or comment)."""


def record(
    session: Session,
    config: Config,
    slug: str,
    version_number: int,
    recorded_by: str,
    what_was_wrong: str,
    what_changed: str,
    rows: Sequence[str] = (),
    *,
    with_next_version: bool = False,
    comment_id: int | None = None,
) -> Correction:
    """Record a correction against version `version_number` of a dataset."""
    dataset = get_dataset(session, slug)
    version = session.scalar(
        select(Version).where(Version.dataset_id == dataset.id, Version.number == version_number)
    )
    if version is None:
        raise CorrectionRefused(f"{slug} has no version {version_number}")
    if not what_was_wrong.strip() or not what_changed.strip():
        raise CorrectionRefused("say what was wrong and what changed")
    keys = [str(row).strip() for row in rows if str(row).strip()]
    if len(keys) > MAX_ROWS:
        raise CorrectionRefused(f"list at most {MAX_ROWS} row keys; describe the rest in words")
    if comment_id is not None:
        _problem_report(session, dataset, comment_id)
    correction = Correction(
        dataset_id=dataset.id,
        version=version,
        what_was_wrong=what_was_wrong.strip(),
        what_changed=what_changed.strip(),
        rows=keys,
        recorded_by=recorded_by,
        recorded_at=utcnow(),
        with_next_version=with_next_version,
        comment_id=comment_id,
    )
    session.add(correction)
    session.flush()
    audit.record(
        session,
        recorded_by,
        "correction.record",
        "correction",
        correction.id,
        dataset=slug,
        version=version_number,
        with_next_version=with_next_version,
    )
    if not with_next_version:
        _publish(session, config, correction, None)
    return correction


def _problem_report(session: Session, dataset: Dataset, comment_id: int) -> None:
    from portal.community.models import Comment, CommentKind

    comment = session.get(Comment, comment_id)
    if comment is None or comment.dataset_id != dataset.id:
        raise CorrectionRefused(f"{dataset.slug} has no comment {comment_id}")
    if comment.kind != CommentKind.PROBLEM:
        raise CorrectionRefused(f"comment {comment_id} is not a reported data problem")


def publish_with(session: Session, config: Config, version: Version) -> list[Correction]:
    """Publish the corrections that waited for this new version of their dataset."""
    waiting = list(
        session.scalars(
            select(Correction)
            .where(
                Correction.dataset_id == version.dataset_id,
                Correction.with_next_version.is_(True),
                Correction.published_at.is_(None),
            )
            .order_by(Correction.id)
        )
    )
    for correction in waiting:
        _publish(session, config, correction, version)
    return waiting


def _publish(
    session: Session, config: Config, correction: Correction, version: Version | None
) -> None:
    correction.published_at = version.published_at if version else utcnow()
    correction.published_with_version_id = version.id if version else None
    if version is not None and correction.comment_id is not None:
        from portal.community.models import Comment

        comment = session.get(Comment, correction.comment_id)
        if comment is not None and comment.fixed_in_version_id is None:
            comment.fixed_in_version_id = version.id
    session.flush()
    slug = correction.dataset.slug
    entry = ledger.append(
        session,
        config,
        ledger.CORRECTION,
        slug,
        correction.version.number,
        correction=correction.as_dict(),
        approved_by=_public_label(session, correction.recorded_by),
    )
    watches.notify(
        session,
        config,
        "correction.published",
        slug,
        {"correction": correction.as_dict(), "ledger": {"seq": entry.seq, "hash": entry.hash}},
    )


def published(
    session: Session, dataset: Dataset | None = None, limit: int | None = 200
) -> list[Correction]:
    """Published corrections, newest first (of one dataset, or of all)."""
    query = select(Correction).where(Correction.published_at.is_not(None))
    if dataset is not None:
        query = query.where(Correction.dataset_id == dataset.id)
    return list(session.scalars(query.order_by(Correction.published_at.desc()).limit(limit)))


def pending(session: Session) -> list[Correction]:
    """Corrections recorded to go out with their dataset's next version."""
    query = select(Correction).where(Correction.published_at.is_(None)).order_by(Correction.id)
    return list(session.scalars(query))


def by_version(corrections: Sequence[Correction]) -> dict[int, list[Correction]]:
    """Corrections grouped by the version number they correct (for the version history)."""
    grouped: dict[int, list[Correction]] = {}
    for correction in corrections:
        grouped.setdefault(correction.version.number, []).append(correction)
    return grouped


def _public_label(session: Session, email: str) -> str:
    """The public record names the officer as an admin decided, never by e-mail address."""
    user = find_user(session, email)
    return user.public_label if user else "Records office"
