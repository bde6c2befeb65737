"""Releases: retracting a published version, and what that does, said before it happens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, watches
from portal.config import Config
from portal.datasets.definitions import get_dataset
from portal.errors import PortalError
from portal.models import User, Version, utcnow
from portal.releases import ledger
from portal.releases.guards import require_active


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
