"""Reading the policy library: policies, their public versions, the one in effect on a day."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.errors import PortalError
from portal.policies.models import Policy, PolicyStatus, PolicyVersion

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PUBLIC = (PolicyStatus.PUBLISHED, PolicyStatus.RETRACTED)


class UnknownPolicy(PortalError):
    """No policy has that name."""


def ledger_name(policy: Policy) -> str:
    """How the signed ledger (and watches) name a policy, apart from every dataset slug."""
    return f"policy:{policy.slug}"


def policies(session: Session) -> list[Policy]:
    """Every policy with at least one public version, by number then title."""
    query = (
        select(Policy)
        .where(Policy.versions.any(PolicyVersion.status.in_(PUBLIC)))
        .options(selectinload(Policy.versions))
    )
    return sorted(session.scalars(query), key=lambda p: (_number_key(p.number), p.title))


def _number_key(number: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.\s-]", number))


def get_policy(session: Session, slug: str) -> Policy:
    policy = session.scalar(select(Policy).where(Policy.slug == slug))
    if policy is None:
        raise UnknownPolicy(f"there is no policy {slug!r}")
    return policy


def public_versions(session: Session, policy: Policy) -> list[PolicyVersion]:
    """Published and retracted versions, newest number first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy.id, PolicyVersion.status.in_(PUBLIC))
            .order_by(PolicyVersion.number.desc())
        )
    )


def version(session: Session, policy: Policy, number: int) -> PolicyVersion | None:
    """A public version by number (a candidate has no number and is never found here)."""
    return session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == policy.id,
            PolicyVersion.number == number,
            PolicyVersion.status.in_(PUBLIC),
        )
    )


def current(session: Session, policy: Policy) -> PolicyVersion | None:
    """The latest published version (what a new candidate is compared with)."""
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy.id, PolicyVersion.status == PolicyStatus.PUBLISHED)
        .order_by(PolicyVersion.number.desc())
        .limit(1)
    )


def in_effect(versions: list[PolicyVersion], on: date) -> PolicyVersion | None:
    """The published version in effect on a day: the latest effective date not after it."""
    live = [v for v in versions if v.status == PolicyStatus.PUBLISHED and v.effective_on <= on]
    return max(live, key=lambda v: (v.effective_on, v.number or 0), default=None)


def upcoming(versions: list[PolicyVersion], on: date) -> list[PolicyVersion]:
    """Published versions that take effect after `on`, soonest first."""
    later = [v for v in versions if v.status == PolicyStatus.PUBLISHED and v.effective_on > on]
    return sorted(later, key=lambda v: v.effective_on)


def candidates(session: Session) -> list[PolicyVersion]:
    """Versions awaiting a decision or a scheduled publication, oldest first."""
    return list(
        session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.status.in_([PolicyStatus.CANDIDATE, PolicyStatus.SCHEDULED]))
            .order_by(PolicyVersion.id)
        )
    )


def by_slugs(session: Session, slugs: list[str]) -> list[Policy]:
    """The policies a dataset names, in its order; names without a policy are left out."""
    found = {
        p.slug: p
        for p in session.scalars(
            select(Policy).where(Policy.slug.in_(slugs)).options(selectinload(Policy.versions))
        )
    }
    return [found[s] for s in slugs if s in found]
