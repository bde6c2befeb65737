"""A policy version's life: submitted as a candidate, approved (now or at a set time),
rejected, published with its files and a signed ledger entry, retracted with a notice.

Every function takes a session and plain arguments and leaves the commit to the caller, so
nothing (files excepted, removed again on failure) outlives a transaction that rolled back.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, watches
from portal.config import Config
from portal.db import Database, FenceCheck, no_fence
from portal.errors import AlreadyDecided, NothingToApprove, PortalError
from portal.models import User, utcnow
from portal.policies.extract import Extracted, extract
from portal.policies.library import current, get_policy, ledger_name
from portal.policies.models import Policy, PolicyStatus, PolicyVersion
from portal.releases import ledger
from portal.releases.guards import require_active
from portal.storage import LocalStorage

POLICY_PUBLISH, POLICY_RETRACT = "policy-publish", "policy-retract"


class NothingNew(PortalError):
    """The document says exactly what a version already says."""


class PolicyRefused(PortalError):
    """A policy or decision cannot be made as given (missing summary, bad date …)."""


def storage(config: Config) -> LocalStorage:
    """Policies' files: staged under staging/policy-<id>/, published under policies/<slug>/v<N>/."""
    return LocalStorage(config.data_dir, versions="policies")


def staged_dir(config: Config, version: PolicyVersion) -> Path:
    return storage(config).staged(f"policy-{version.id}")


def ensure_policy(
    session: Session, slug: str, number: str, title: str, description: str = ""
) -> Policy:
    """The policy with this slug, created (or its number, title and description updated)."""
    from portal.policies.library import SLUG

    if not SLUG.fullmatch(slug or ""):
        raise PolicyRefused(
            f"{slug!r} is not a policy name: lower-case letters, digits and hyphens, such as "
            "use-of-force"
        )
    if not (title or "").strip():
        raise PolicyRefused(f"policy {slug}: a title is required")
    policy = session.scalar(select(Policy).where(Policy.slug == slug))
    if policy is None:
        policy = Policy(slug=slug, number="", title="", description="")
        session.add(policy)
    policy.number = str(number or "").strip()[:40]
    policy.title = title.strip()[:300]
    policy.description = description or ""
    session.flush()
    return policy


def submit(
    session: Session,
    config: Config,
    policy: Policy,
    filename: str,
    content: bytes,
    effective_on: date | None,
    *,
    source: str,
    source_ref: str = "",
    actor: str,
    extracted: Extracted | None = None,
    supersede: bool = True,
) -> PolicyVersion:
    """Make a document a candidate version of the policy, after reading its text.

    A new upload or fetch replaces the policy's pending candidate (`supersede`); each file of
    the definitions folder is a version of its own and stays beside the others.
    Refuses (DocumentRefused, NothingNew, PolicyRefused) before anything is kept."""
    extracted = extracted or extract(filename, content)
    if effective_on is None:
        raise PolicyRefused("an effective date is required (the day the version takes effect)")
    text = extracted.text.encode()
    text_sha = hashlib.sha256(text).hexdigest()
    same = _same_text(session, policy, text_sha)
    if same is not None:
        raise NothingNew(same)
    pending = (
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id, PolicyVersion.status == PolicyStatus.CANDIDATE
        )
        if supersede
        else None
    )
    for older in session.scalars(pending) if pending is not None else ():
        older.status = PolicyStatus.SUPERSEDED
    version = PolicyVersion(
        policy=policy,
        status=PolicyStatus.CANDIDATE,
        effective_on=effective_on,
        text=extracted.text,
        text_sha256=text_sha,
        text_size=len(text),
        original_name=(filename or "document").rsplit("/", 1)[-1][:255],
        original_media_type=extracted.media_type,
        original_sha256=hashlib.sha256(content).hexdigest(),
        original_size=len(content),
        source=source,
        source_ref=source_ref[:2000],
        created_by=actor,
    )
    session.add(version)
    session.flush()
    folder = storage(config).new_staging_dir(f"policy-{version.id}")
    (folder / version.text_file).write_bytes(text)
    (folder / version.original_file).write_bytes(content)
    audit.record(
        session,
        actor,
        "policy.candidate",
        "policy_version",
        version.id,
        policy=policy.slug,
        source=source,
        original=version.original_name,
        sha256=version.original_sha256,
    )
    return version


def _same_text(session: Session, policy: Policy, text_sha: str) -> str | None:
    """Why a text is nothing new: the version in effect, or a candidate, says the same."""
    latest = current(session, policy)
    if latest is not None and latest.text_sha256 == text_sha:
        return (
            f"this text is identical to version {latest.number} of {policy.title} "
            f"(SHA-256 {text_sha[:12]}…); nothing new to review"
        )
    pending = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id,
            PolicyVersion.status.in_([PolicyStatus.CANDIDATE, PolicyStatus.SCHEDULED]),
            PolicyVersion.text_sha256 == text_sha,
        )
    )
    if pending is not None:
        return (
            f"this text is identical to the {pending.status.value} version of {policy.title} "
            f"submitted on {pending.created_at:%Y-%m-%d}; nothing new to review"
        )
    return None


def _undecided(session: Session, version_id: int) -> PolicyVersion:
    version = session.get(PolicyVersion, version_id, with_for_update=True)
    if version is None:
        raise NothingToApprove(f"there is no policy candidate {version_id}")
    if version.status != PolicyStatus.CANDIDATE:
        who = f" by {version.decided_by}" if version.decided_by else ""
        raise AlreadyDecided(
            f"policy candidate {version_id} was already {version.status.value}{who}"
        )
    return version


def approve(
    session: Session,
    config: Config,
    version_id: int,
    user: User,
    summary: str,
    publish_at: datetime | None = None,
) -> PolicyVersion:
    """Approve a candidate with its summary of changes; publish now, or at `publish_at`."""
    summary = (summary or "").strip()
    if not summary:
        raise PolicyRefused("write a summary of changes: the public reads it beside the version")
    require_active(user)
    version = _undecided(session, version_id)
    now = utcnow()
    version.summary = summary[:5000]
    version.decided_by, version.decided_at = user.email, now
    version.approved_by_label = user.public_label
    if publish_at is not None and publish_at > now:
        version.status, version.publish_at = PolicyStatus.SCHEDULED, publish_at
        audit.record(
            session,
            user.email,
            "policy.schedule",
            "policy_version",
            version.id,
            policy=version.policy.slug,
            publish_at=publish_at.isoformat(),
        )
        return version
    return publish(session, config, version, user.email)


def publish(session: Session, config: Config, version: PolicyVersion, actor: str) -> PolicyVersion:
    """Give the version its number, move its files into place and sign the ledger entry."""
    policy = version.policy
    # One publish of a policy at a time (PostgreSQL row lock; SQLite serialises writers): the
    # number, the orphan clean-up and the version folder must not interleave with another's.
    session.execute(select(Policy.id).where(Policy.id == policy.id).with_for_update())
    staged = staged_dir(config, version)
    if not staged.is_dir():
        raise PolicyRefused(
            f"the files of candidate {version.id} are missing from the staging folder; "
            "upload the document again"
        )
    number = (
        session.scalar(
            select(func.max(PolicyVersion.number)).where(PolicyVersion.policy_id == policy.id)
        )
        or 0
    ) + 1
    store = storage(config)
    committed = set(
        session.scalars(
            select(PolicyVersion.number).where(
                PolicyVersion.policy_id == policy.id, PolicyVersion.number.is_not(None)
            )
        )
    )
    store.remove_orphans(policy.slug, committed)
    written = store.publish(staged, policy.slug, number)
    try:
        stored = {f.filename: f for f in written.files}
        for name, sha in ((version.text_file, version.text_sha256),
                          (version.original_file, version.original_sha256)):  # fmt: skip
            if stored[name].sha256 != sha:
                raise PolicyRefused(f"the staged {name} changed since it was submitted")
        version.number, version.status = number, PolicyStatus.PUBLISHED
        version.published_at = utcnow()
        entry = ledger.append(
            session,
            config,
            POLICY_PUBLISH,
            ledger_name(policy),
            number,
            files=version.files(),
            approved_by=version.approved_by_label or "records office",
            effective_on=version.effective_on.isoformat(),
            published_at=version.published_at.isoformat(timespec="seconds"),
        )
        version.ledger_seq = entry.seq
        audit.record(
            session,
            actor,
            "policy.publish",
            "policy_version",
            version.id,
            policy=policy.slug,
            version=number,
            ledger=entry.seq,
        )
        _notify(session, config, "policy.published", version, entry)
        session.flush()
    except BaseException:
        store.discard_version(written)
        raise
    shutil.rmtree(staged, ignore_errors=True)
    return version


def reject(session: Session, version_id: int, user: User, note: str) -> PolicyVersion:
    note = (note or "").strip()
    if not note:
        raise PolicyRefused("say why the candidate is rejected (the note is kept in the audit log)")
    require_active(user)
    version = _undecided(session, version_id)
    version.status, version.note = PolicyStatus.REJECTED, note[:5000]
    version.decided_by, version.decided_at = user.email, utcnow()
    audit.record(
        session, user.email, "policy.reject", "policy_version", version.id,
        policy=version.policy.slug, note=note,
    )  # fmt: skip
    return version


def cancel_schedule(session: Session, version_id: int, user: User) -> PolicyVersion:
    """Withdraw a scheduled approval; the version goes back to review."""
    version = session.get(PolicyVersion, version_id, with_for_update=True)
    if version is None or version.status != PolicyStatus.SCHEDULED:
        raise NothingToApprove(f"policy version {version_id} is not scheduled")
    version.status, version.publish_at = PolicyStatus.CANDIDATE, None
    audit.record(session, user.email, "policy.unschedule", "policy_version", version.id)
    return version


def publish_due(
    db: Database, config: Config, now: datetime, fence: FenceCheck = no_fence
) -> list[int]:
    """Publish every scheduled approval whose time has come (the scheduler's tick)."""
    with db.session() as session:
        due = session.scalars(
            select(PolicyVersion.id)
            .where(PolicyVersion.status == PolicyStatus.SCHEDULED, PolicyVersion.publish_at <= now)
            .order_by(PolicyVersion.publish_at, PolicyVersion.id)
        ).all()
    published = []
    for version_id in due:
        with db.session() as session:
            fence(session)
            version = session.get(PolicyVersion, version_id, with_for_update=True)
            if version is None or version.status != PolicyStatus.SCHEDULED:
                continue
            publish(session, config, version, "scheduler")
            published.append(version_id)
    return published


def retract(
    session: Session, config: Config, slug: str, number: int, user: User, reason: str
) -> PolicyVersion:
    """Withdraw a published version: its page stays with the notice; its files answer 410."""
    reason = (reason or "").strip()
    if not reason:
        raise PolicyRefused("a retraction needs a public reason")
    require_active(user)
    policy = get_policy(session, slug)
    version = session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy.id, PolicyVersion.number == number)
        .with_for_update()
    )
    if version is None or version.status != PolicyStatus.PUBLISHED:
        raise NothingToApprove(f"{slug} has no published version {number}")
    version.status = PolicyStatus.RETRACTED
    version.retracted_at, version.retraction_reason = utcnow(), reason[:5000]
    entry = ledger.append(
        session, config, POLICY_RETRACT, ledger_name(policy), number,
        files=version.files(), approved_by=user.public_label, reason=reason,
    )  # fmt: skip
    audit.record(
        session, user.email, "policy.retract", "policy_version", version.id,
        policy=slug, version=number, reason=reason, ledger=entry.seq,
    )  # fmt: skip
    _notify(session, config, "policy.retracted", version, entry)
    return version


def _notify(session: Session, config: Config, event: str, version: PolicyVersion, entry) -> None:  # noqa: ANN001
    """Webhooks and subscribers watching this policy (`policy:<slug>`) or everything."""
    policy = version.policy
    url = f"{config.base_url}/policies/{policy.slug}/v{version.number}/"
    watches.notify(
        session,
        config,
        event,
        ledger_name(policy),
        {
            "url": url,
            "policy": policy.slug,
            "title": policy.title,
            "version": version.number,
            "effective_on": version.effective_on.isoformat(),
            "note": version.summary,
            "reason": version.retraction_reason,
            "files": [{**f, "url": f"{url}{f['name']}"} for f in version.files()],
            "ledger": {"seq": entry.seq, "hash": entry.hash},
        },
    )
