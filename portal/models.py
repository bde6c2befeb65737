"""The domain's tables: datasets and their resources, runs, candidates, versions, users, audit."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text, types
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.languages import N_, gettext


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(types.TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite stores no zone)."""

    impl = types.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # a candidate was staged
    UNCHANGED = "unchanged"  # the source is what the last run saw
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class CandidateStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer candidate of the same dataset replaced it


class Role(enum.StrEnum):
    OFFICER = "officer"
    ADMIN = "admin"


ROLE_TITLES = {Role.OFFICER: N_("Records officer"), Role.ADMIN: N_("Administrator")}


def string_enum(cls: type[enum.Enum]) -> types.Enum:
    # Stored as plain strings so new values need no database enum migration.
    return types.Enum(
        cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    family: Mapped[str] = mapped_column(String(100))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", use_alter=True, name="fk_datasets_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset", order_by="Resource.position", cascade="all, delete-orphan"
    )
    current_version: Mapped[Version | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    table_schema: Mapped[dict] = mapped_column(JSON)

    dataset: Mapped[Dataset] = relationship(back_populates="resources")


class Run(Base):
    """One execution of a dataset's publisher."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    status: Mapped[RunStatus] = mapped_column(string_enum(RunStatus), default=RunStatus.QUEUED)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")
    requested_by: Mapped[str | None] = mapped_column(String(320))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_hash: Mapped[str | None] = mapped_column(String(64))
    source_state: Mapped[dict] = mapped_column(JSON, default=dict)
    row_count: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict] = mapped_column(JSON, default=dict)

    dataset: Mapped[Dataset] = relationship()
    candidate: Mapped[Candidate | None] = relationship(back_populates="run")

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    # Scheduling (portal.scheduler): liveness, retries, which cron fire time, uploads to use.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    worker: Mapped[str | None] = mapped_column(String(200))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {resource: path relative to the data folder} of files uploaded for this run.
    uploads: Mapped[dict | None] = mapped_column(JSON)
    error_type: Mapped[str | None] = mapped_column(String(100))


class Candidate(Base):
    """A staged release waiting for a records officer's decision."""

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), unique=True)
    status: Mapped[CandidateStatus] = mapped_column(
        string_enum(CandidateStatus), default=CandidateStatus.PENDING
    )
    staged_dir: Mapped[str] = mapped_column(String(200))
    # [{"filename", "resource", "media_type", "size", "sha256", "rows"}]
    files: Mapped[list] = mapped_column(JSON, default=list)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    dataset: Mapped[Dataset] = relationship()
    run: Mapped[Run] = relationship(back_populates="candidate")
    decided_by: Mapped[User | None] = relationship()


class Version(Base):
    """An immutable, citable published release of a dataset."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    number: Mapped[int]
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # Headline figures computed from this version's files at publish time.
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    changelog: Mapped[dict] = mapped_column(JSON, default=dict)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    dataset: Mapped[Dataset] = relationship(foreign_keys=[dataset_id])
    candidate: Mapped[Candidate] = relationship()
    approved_by: Mapped[User | None] = relationship()
    files: Mapped[list[VersionFile]] = relationship(
        back_populates="version", order_by="VersionFile.id"
    )

    def file(self, filename: str) -> VersionFile | None:
        return next((f for f in self.files if f.filename == filename), None)


class VersionFile(Base):
    __tablename__ = "version_files"
    __table_args__ = (UniqueConstraint("version_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    resource_name: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    # Relative to the versions folder; never built from a request.
    path: Mapped[str] = mapped_column(String(400))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int | None]

    version: Mapped[Version] = relationship(back_populates="files")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(string_enum(Role), default=Role.OFFICER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the public ledger and pages say for this user's actions, chosen by an admin;
    # None: the role ("Records officer"). Never the e-mail address.
    public_name: Mapped[str | None] = mapped_column(String(120))
    # Part of every session cookie's user id: raising it (logout, new password, new role,
    # disabled) ends every session signed in before, on every device, at once.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    # The attributes Flask-Login expects of a user, without importing Flask here.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def public_label(self) -> str:
        """How the public record names this user: the admin's choice, else the role."""
        return self.public_name or gettext(ROLE_TITLES[self.role])


class AuditEvent(Base):
    """An append-only record of who did what; nothing in the portal updates or deletes one."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class SchedulerLease(Base):
    """Who the one active `portal scheduler` is, until when (renewed every few seconds)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The fencing token: raised at every change of holder, so a paused ex-holder's writes,
    # which check it in their own transaction, are refused (portal.scheduler.lease).
    epoch: Mapped[int] = mapped_column(default=0, server_default="0")


class RateLimitCounter(Base):
    """One rate-limit window (key: limit and client), shared by every worker and node."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time the window ends


# A dataset never has two runs at once, whoever starts them: the database refuses a second
# "running" row (a partial unique index, on SQLite and PostgreSQL alike).
Index(
    "uq_runs_one_running_per_dataset",
    Run.dataset_id,
    unique=True,
    sqlite_where=text("status = 'running'"),
    postgresql_where=text("status = 'running'"),
)
# A cron fire time is queued once per attempt, however many schedulers think they lead.
Index("uq_runs_scheduled_attempt", Run.dataset_id, Run.scheduled_for, Run.attempt, unique=True)
