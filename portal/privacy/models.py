"""The privacy guard's memory: hashes of the names, numbers and dates it must never show."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class PrivacyTerm(Base):
    """One name token, badge-like number or date of birth of a dataset's source, hashed.

    Comments and survey answers are scrubbed of these; the values themselves are never
    stored, only SHA-256 digests of their canonical forms.
    """

    __tablename__ = "privacy_terms"
    __table_args__ = (Index("ix_privacy_terms_digest", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # name, number or date
    digest: Mapped[str] = mapped_column(String(64))
