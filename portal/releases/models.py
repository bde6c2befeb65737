"""Tables of releases beyond the core ones: the signed ledger, corrections and embargoes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.community import models as _community  # noqa: F401  (corrections link comments)
from portal.db import Base
from portal.models import Candidate, Dataset, User, UTCDateTime, Version, string_enum, utcnow


class LedgerEntry(Base):
    """One link of the append-only hash chain; the database refuses UPDATE and DELETE.

    `body` holds the exact canonical JSON that was hashed and signed, so verification
    needs nothing but this row, the previous one and the public key.
    """

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: two publishes that read the same head cannot both extend the chain.
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    dataset_slug: Mapped[str] = mapped_column(String(100), index=True)
    version_number: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(64))


class Correction(Base):
    """What was wrong in a published version, what changed, which rows; public once published."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    what_was_wrong: Mapped[str] = mapped_column(Text)
    what_changed: Mapped[str] = mapped_column(Text)
    rows: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "with the next version" leaves these empty until that version is published.
    with_next_version: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_with_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    # The community loop's "problem" comment this correction answers, if any.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))

    dataset: Mapped[Dataset] = relationship()
    version: Mapped[Version] = relationship(foreign_keys=[version_id])
    published_with_version: Mapped[Version | None] = relationship(
        foreign_keys=[published_with_version_id]
    )

    def as_dict(self) -> dict[str, Any]:
        """The public shape of a correction (API, ledger, webhooks); never who commented."""
        with_version = self.published_with_version
        return {
            "id": self.id,
            "dataset": self.dataset.slug,
            "version": self.version.number,
            "what_was_wrong": self.what_was_wrong,
            "what_changed": self.what_changed,
            "rows": list(self.rows or []),
            "published_at": self.published_at.isoformat(timespec="seconds")
            if self.published_at
            else None,
            "published_with_version": with_version.number if with_version else None,
            "comment_id": self.comment_id,
        }


class EmbargoStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Embargo(Base):
    """An approved candidate held back until `publish_at`; no Version exists before then."""

    __tablename__ = "embargoes"
    __table_args__ = (Index("ix_embargoes_status_publish_at", "status", "publish_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EmbargoStatus] = mapped_column(
        string_enum(EmbargoStatus), default=EmbargoStatus.SCHEDULED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    error: Mapped[str | None] = mapped_column(Text)

    candidate: Mapped[Candidate] = relationship()
    dataset: Mapped[Dataset] = relationship()
    approved_by: Mapped[User] = relationship()
