"""A running run's heartbeat: a thread stamps `runs.heartbeat_at` every few seconds.

The active scheduler marks a run whose heartbeat is older than its stale limit as
interrupted, so a process that dies mid-run never leaves a run "running" forever.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from portal.db import Database
from portal.models import Run, RunStatus, utcnow

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


def beat(db: Database, run_id: int) -> bool:
    """Stamp the run's heartbeat now; False when the run is no longer running."""
    with db.engine.begin() as connection:
        result = connection.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RunStatus.RUNNING)
            .values(heartbeat_at=utcnow())
        )
    return result.rowcount == 1


class Heartbeat:
    """`with Heartbeat(db, run_id):` beats at once, then every `seconds` until the block ends."""

    def __init__(self, db: Database, run_id: int, seconds: float = HEARTBEAT_SECONDS) -> None:
        self.db = db
        self.run_id = run_id
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"heartbeat-run-{run_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        # Never wait long: a beat may be queued behind the run's own uncommitted write to the
        # same row (PostgreSQL row lock, SQLite write lock) until the caller commits.
        self._thread.join(timeout=0.5)

    def _loop(self) -> None:
        while True:
            try:
                if not beat(self.db, self.run_id):
                    return
            except SQLAlchemyError as error:
                # A busy or briefly unreachable database must not end the run; the next beat
                # retries, and only a long silence makes the scheduler call the run stale.
                log.warning("heartbeat of run %s not recorded: %s", self.run_id, error)
            if self._stop.wait(self.seconds):
                return
