"""Tables of the policy library: a policy, and every version of it ever proposed."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.models import UTCDateTime, string_enum, utcnow


class PolicyStatus(enum.StrEnum):
    CANDIDATE = "candidate"  # awaiting review
    SCHEDULED = "scheduled"  # approved, published at publish_at
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer candidate of the same policy replaced it
    RETRACTED = "retracted"  # was public; withdrawn with a public notice


class Policy(Base):
    """One policy of the department's manual (use of force, body-worn cameras …)."""

    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    number: Mapped[str] = mapped_column(String(40))  # the manual's own number, e.g. "300"
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.id"
    )


class PolicyVersion(Base):
    """A version of a policy: a candidate until approved; immutable once published.

    Its files (the extracted Markdown text and the original document) sit in the staging
    folder while it is a candidate and under `policies/<slug>/v<N>/` once published; each
    file's size and SHA-256 are recorded here and in the signed ledger.
    """

    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "number"),
        Index("ix_policy_versions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    number: Mapped[int | None]  # given on publication: v1, v2 …
    status: Mapped[PolicyStatus] = mapped_column(
        string_enum(PolicyStatus), default=PolicyStatus.CANDIDATE
    )
    effective_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)  # Markdown
    text_sha256: Mapped[str] = mapped_column(String(64))
    text_size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(255))  # as the department named it
    original_media_type: Mapped[str] = mapped_column(String(100))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int]
    source: Mapped[str] = mapped_column(String(20))  # definitions, upload, http, file
    source_ref: Mapped[str] = mapped_column(String(2000), default="")
    summary: Mapped[str | None] = mapped_column(Text)  # summary of changes, on approval
    note: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_label: Mapped[str | None] = mapped_column(String(200))  # public name
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retraction_reason: Mapped[str | None] = mapped_column(Text)
    ledger_seq: Mapped[int | None]

    policy: Mapped[Policy] = relationship(back_populates="versions")

    @property
    def public(self) -> bool:
        """Published, or retracted (its page then keeps the public notice)."""
        return self.status in (PolicyStatus.PUBLISHED, PolicyStatus.RETRACTED)

    @property
    def original_extension(self) -> str:
        return EXTENSIONS.get(self.original_media_type, ".bin")

    @property
    def text_file(self) -> str:
        return "text.md"

    @property
    def original_file(self) -> str:
        return f"original{self.original_extension}"

    def files(self) -> list[dict[str, object]]:
        """The version's files as the ledger and the API list them."""
        return [
            {"name": self.text_file, "size": self.text_size, "sha256": self.text_sha256},
            {
                "name": self.original_file,
                "size": self.original_size,
                "sha256": self.original_sha256,
            },
        ]


MARKDOWN = "text/markdown"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
EXTENSIONS = {MARKDOWN: ".md", PDF: ".pdf", DOCX: ".docx", HTML: ".html"}
