"""The scheduler lease: a database row that makes exactly one `portal scheduler` the active one.

The holder renews it every few seconds with one atomic UPDATE that only succeeds while the
lease is expired or already its own; any other scheduler waits and takes over once the
holder stops renewing (it died, or lost the database) and the lease runs out. The same
statement works on SQLite and PostgreSQL. Expiry times come from each scheduler's clock,
so hosts running schedulers must keep their clocks in sync (NTP).

Holding the lease is not enough to write: a holder can pause (a VM freeze, a long GC, a
slow disk) past its expiry while a standby takes over. So every change of holder raises the
lease's `epoch`, the fencing token, and every state change a scheduler makes calls a
`Fence` in its own transaction: it locks the lease row and refuses (`LeaseLost`) unless the
holder and epoch are still the ones the work started under.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import Database, begin_write
from portal.errors import LeaseLost
from portal.models import SchedulerLease, UTCDateTime

__all__ = ["Fence", "Lease", "LeaseLost"]

LEASE_NAME = "scheduler"
LEASE_SECONDS = 15.0


class Fence:
    """The fencing check of work started under one lease epoch; call it in the transaction
    that makes the change, as its last statement before commit."""

    def __init__(self, name: str, holder: str, epoch: int) -> None:
        self.name, self.holder, self.epoch = name, holder, epoch

    def __call__(self, session: Session) -> None:
        begin_write(session)  # SQLite: the write lock, so no takeover slips in before commit
        row = session.execute(
            select(SchedulerLease.holder, SchedulerLease.epoch)
            .where(SchedulerLease.name == self.name)
            .with_for_update()  # the takeover UPDATE waits for this transaction (PostgreSQL)
        ).first()
        if row is None or (row.holder, row.epoch) != (self.holder, self.epoch):
            raise LeaseLost(
                f"scheduler {self.holder} lost the lease (epoch {self.epoch}) to "
                f"{row.holder if row else 'nobody'} (epoch {row.epoch if row else '?'}); "
                "its change was not made"
            )


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
        self.epoch: int | None = None

    def acquire(self) -> bool:
        """Take or renew the lease; True while this scheduler holds it."""
        self._ensure_row()
        now = self.clock()
        expires = now + self.duration
        mine = SchedulerLease.holder == self.holder
        # Still ours and unexpired: a renewal. Anything else is a new tenure, with a new epoch,
        # even our own expired lease (work started before the gap is fenced off).
        renewal = and_(mine, SchedulerLease.expires_at >= now)
        with self.db.engine.begin() as connection:
            result = connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, or_(SchedulerLease.expires_at < now, mine))
                .values(
                    holder=self.holder,
                    expires_at=expires,
                    acquired_at=case(
                        (renewal, SchedulerLease.acquired_at), else_=literal(now, UTCDateTime())
                    ),
                    epoch=case((renewal, SchedulerLease.epoch), else_=SchedulerLease.epoch + 1),
                )
            )
            epoch = (
                connection.scalar(
                    select(SchedulerLease.epoch).where(SchedulerLease.name == self.name)
                )
                if result.rowcount == 1
                else None
            )
        self.valid_until = expires if epoch is not None else None
        self.epoch = epoch
        return self.valid_until is not None

    def fence(self) -> Fence:
        """The fencing check for work starting now under the current epoch."""
        if self.epoch is None:
            raise LeaseLost(f"scheduler {self.holder} does not hold the lease")
        return Fence(self.name, self.holder, self.epoch)

    def held(self) -> bool:
        """Whether the last acquire succeeded and has not run out since (no database call)."""
        return self.valid_until is not None and self.clock() < self.valid_until

    def release(self) -> None:
        """Give the lease up now, so a waiting scheduler takes over at its next attempt."""
        self.valid_until = self.epoch = None
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
