"""The scheduler lease: a database row that makes exactly one `portal scheduler` the active one.

The holder renews it every few seconds with one atomic UPDATE that only succeeds while the
lease is expired or already its own; any other scheduler waits and takes over once the
holder stops renewing (it died, or lost the database) and the lease runs out. The same
statement works on SQLite and PostgreSQL. Expiry times come from each scheduler's clock,
so hosts running schedulers must keep their clocks in sync (NTP).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import case, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.db import Database
from portal.models import SchedulerLease, UTCDateTime

LEASE_NAME = "scheduler"
LEASE_SECONDS = 15.0


class Lease:
    """One scheduler's view of the lease: acquire or renew, release, and who holds it."""

    def __init__(
        self,
        db: Database,
        holder: str,
        clock: Callable[[], datetime],
        seconds: float = LEASE_SECONDS,
        name: str = LEASE_NAME,
    ) -> None:
        self.db = db
        self.holder = holder
        self.clock = clock
        self.duration = timedelta(seconds=seconds)
        self.name = name
        self.valid_until: datetime | None = None

    def acquire(self) -> bool:
        """Take or renew the lease; True while this scheduler holds it."""
        self._ensure_row()
        now = self.clock()
        expires = now + self.duration
        mine = SchedulerLease.holder == self.holder
        with self.db.engine.begin() as connection:
            result = connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, or_(SchedulerLease.expires_at < now, mine))
                .values(
                    holder=self.holder,
                    expires_at=expires,
                    acquired_at=case(
                        (mine, SchedulerLease.acquired_at), else_=literal(now, UTCDateTime())
                    ),
                )
            )
        self.valid_until = expires if result.rowcount == 1 else None
        return self.valid_until is not None

    def held(self) -> bool:
        """Whether the last acquire succeeded and has not run out since (no database call)."""
        return self.valid_until is not None and self.clock() < self.valid_until

    def release(self) -> None:
        """Give the lease up now, so a waiting scheduler takes over at its next attempt."""
        self.valid_until = None
        with self.db.engine.begin() as connection:
            connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=self.clock() - timedelta(seconds=1))
            )

    def current_holder(self) -> tuple[str | None, datetime | None]:
        """Who holds the lease and until when (expired leases included)."""
        with self.db.engine.connect() as connection:
            row = connection.execute(
                select(SchedulerLease.holder, SchedulerLease.expires_at).where(
                    SchedulerLease.name == self.name
                )
            ).first()
        return (row.holder, row.expires_at) if row else (None, None)

    def _ensure_row(self) -> None:
        with self.db.engine.connect() as connection:
            exists = connection.scalar(
                select(SchedulerLease.name).where(SchedulerLease.name == self.name)
            )
        if exists:
            return
        try:
            with self.db.engine.begin() as connection:
                connection.execute(
                    insert(SchedulerLease).values(
                        name=self.name, holder=None, expires_at=self.clock() - self.duration
                    )
                )
        except IntegrityError:
            pass  # another scheduler created the row first: exactly what was wanted
