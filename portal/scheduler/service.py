"""The scheduler: while it holds the lease, queue cron fires and retries, and execute queued runs.

Each tick (every POLL_SECONDS) the scheduler renews the lease; only the holder goes on to:
1. interrupt runs whose heartbeat went silent (their process died);
2. queue each dataset's latest due cron fire time that has no run yet (at most one waiting
   scheduled run per dataset: missed fire times coalesce into one catch-up run);
3. queue retries of scheduled runs that could not reach their source (1, 5, 15 minutes);
4. claim queued runs (office "run now", cron, retries) and execute them in worker threads.

Every change the tick makes carries the lease's fencing token (see portal.scheduler.lease):
a scheduler that paused past its lease while another took over changes nothing. While the
process runs, a heartbeat thread renews the lease every POLL_SECONDS, so a long tick (a big
embargoed publish) never lets the lease run out under a live leader.

Time comes from an injectable clock, so tests move through cron fire times without waiting.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal import watches
from portal.datasets.context import Portal, definition_files
from portal.datasets.definitions import DatasetDefinition, load_catalogue, sync_dataset
from portal.errors import DefinitionError, PortalError
from portal.models import Dataset, Run, RunStatus
from portal.pipeline.run import execute_run
from portal.policies import review as policy_review
from portal.policies import sources as policy_sources
from portal.releases import embargoes
from portal.scheduler import queue
from portal.scheduler.cron import cron_trigger, latest_fire_time
from portal.scheduler.lease import LEASE_SECONDS, Fence, Lease, LeaseLost

log = logging.getLogger("portal.scheduler")
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """How the scheduler paces itself; the defaults are what the README promises."""

    lease_seconds: float = LEASE_SECONDS  # a standby takes over within this (+ one poll)
    poll_seconds: float = 2.0  # how often the queue is polled and the lease renewed
    stale_seconds: float = 60.0  # a running run silent this long is interrupted
    grace_seconds: float = 60.0  # on SIGTERM, how long a running run may take to finish
    jobs: int = 2  # runs executed at the same time (never two of one dataset)
    reload_seconds: float = 60.0  # how often publisher entries are re-read


class Scheduler:
    def __init__(
        self,
        portal: Portal,
        *,
        clock: Clock = utc_clock,
        holder: str | None = None,
        settings: Settings | None = None,
        inline: bool = False,
    ) -> None:
        """`inline` executes claimed runs in the calling thread (tests); else in threads."""
        self.portal = portal
        self.db = portal.db
        self.clock = clock
        self.settings = settings or Settings()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease = Lease(self.db, self.holder, clock, self.settings.lease_seconds)
        self.inline = inline
        self.stopping = threading.Event()
        self._leading = False
        self._definitions: dict[str, DatasetDefinition] = {}
        self._loaded_at: datetime | None = None
        self._definition_files: tuple = ()
        self._active: dict[int, tuple[str, threading.Thread]] = {}
        self._lock = threading.Lock()
        self._force = False
        # When each policy's source was last checked (in memory: a check is idempotent, so a
        # restarted scheduler checking once more proposes nothing twice).
        self._policy_checks: dict[str, datetime] = {}

    # -- one pass ------------------------------------------------------------------------------

    def tick(self) -> bool:
        """One pass of the loop; True while this scheduler is the active one."""
        leading = self.lease.acquire()
        if leading != self._leading:
            self._leading = leading
            log.info(
                "scheduler.%s",
                "leading" if leading else "standby",
                extra={
                    "event": "scheduler.leading" if leading else "scheduler.standby",
                    "holder": self.holder,
                },
            )
        if not leading or self.stopping.is_set():
            return leading
        fence = self.lease.fence()
        try:
            self._lead(fence)
        except LeaseLost as error:
            log.warning("scheduler.lease_lost: %s", error, extra={"event": "scheduler.lease_lost"})
            return False
        return True

    def _lead(self, fence: Fence) -> None:
        now = self.clock()
        self._reload(now)
        for run_id in queue.interrupt_stale(
            self.db, now, timedelta(seconds=self.settings.stale_seconds), fence
        ):
            log.warning(
                "run.interrupted",
                extra={"event": "run.interrupted", "run": run_id, "reason": "stale heartbeat"},
            )
        self._queue_due(now, fence)
        # Embargoed releases now due, then webhooks and e-mails.
        embargoes.publish_due(self.db, self.portal.config, now, fence)
        policy_review.publish_due(self.db, self.portal.config, now, fence)
        self._check_policy_sources(now)
        watches.deliver_due(self.db, self.portal.config, now, fence)
        self._dispatch(fence)

    def _check_policy_sources(self, now: datetime) -> None:
        """Fetch each policy source whose cron fired since its last check (coalesced)."""
        definitions, _broken = policy_sources.load_definitions(self.portal.config.policies_dir)
        due = []
        for definition in definitions:
            source = definition.source
            if source is None or not source.schedule:
                continue
            try:
                trigger = cron_trigger({"cron": source.schedule})
            except DefinitionError as error:
                log.error("policy %s: schedule: %s", definition.slug, error)
                continue
            after = self._policy_checks.get(definition.slug, now - timedelta(days=1))
            if trigger is not None and latest_fire_time(trigger, after, now) is not None:
                due.append(definition.slug)
                self._policy_checks[definition.slug] = now
        if due:
            for outcome in policy_sources.check_sources(
                self.db.session, self.portal.config, due, now
            ):
                log.info("policy source %s: %s", outcome.policy, outcome.message)

    def _reload(self, now: datetime) -> None:
        # Read again as soon as a definition file is added, changed or removed (a stat of
        # each, every tick), and every reload_seconds regardless.
        files = definition_files(self.portal.config)
        due = (
            self._loaded_at is None
            or files != self._definition_files
            or now - self._loaded_at >= timedelta(seconds=self.settings.reload_seconds)
        )
        if not due:
            return
        self._definition_files = files
        config = self.portal.config
        catalogue = load_catalogue(config.publishers_dir, config.schemas_dir)
        definitions = dict(catalogue.definitions)
        broken = dict(catalogue.broken)
        for slug, definition in list(definitions.items()):
            try:
                cron_trigger(definition.schedule)  # a bad cron is reported now, not per tick
            except DefinitionError as error:
                broken[slug] = f"{slug}: schedule: {error}"
                del definitions[slug]
        for slug, error in broken.items():
            # Only this dataset stops being scheduled; the others carry on.
            log.error(
                "publisher entry not loaded: %s",
                error,
                extra={"event": "scheduler.definitions_error", "dataset": slug},
            )
        with self.db.session() as session:
            for definition in definitions.values():
                sync_dataset(session, definition)
        self._definitions, self._loaded_at = definitions, now

    def _queue_due(self, now: datetime, fence: Fence) -> None:
        """Queue due cron fire times (coalesced) and due retries."""
        with self.db.session() as session:
            datasets = {
                d.slug: d
                for d in session.scalars(
                    select(Dataset).where(Dataset.slug.in_(list(self._definitions)))
                )
            }
            plans = []
            for slug, definition in self._definitions.items():
                dataset = datasets.get(slug)
                if dataset is None:
                    continue
                latest = session.scalar(
                    select(Run).where(Run.dataset_id == dataset.id).order_by(Run.id.desc()).limit(1)
                )
                if latest is not None and queue.retry_due(latest, now):
                    plans.append((dataset.id, latest.scheduled_for, latest.attempt + 1))
                    continue
                trigger = cron_trigger(definition.schedule)
                waiting = session.scalar(
                    select(Run.id)
                    .where(
                        Run.dataset_id == dataset.id,
                        Run.trigger == "schedule",
                        Run.status == RunStatus.QUEUED,
                    )
                    .limit(1)
                )
                if trigger is None or waiting is not None:
                    continue
                last = session.scalar(
                    select(func.max(Run.scheduled_for)).where(Run.dataset_id == dataset.id)
                )
                fire = latest_fire_time(trigger, last or dataset.created_at, now)
                if fire is not None:
                    plans.append((dataset.id, fire, 1))
        for dataset_id, fire, attempt in plans:
            run_id = queue.queue_scheduled(self.db, dataset_id, fire, attempt, fence)
            if run_id is not None:
                log.info(
                    "run.queued",
                    extra={
                        "event": "run.queued",
                        "run": run_id,
                        "scheduled_for": fire.isoformat(),
                        "attempt": attempt,
                    },
                )

    def _dispatch(self, fence: Fence) -> None:
        with self.db.session() as session:
            waiting = queue.queued_runs(session)
        for run_id, slug in waiting:
            with self._lock:
                busy = {dataset for dataset, _ in self._active.values()}
                if len(self._active) >= self.settings.jobs:
                    return
            if slug in busy or self.stopping.is_set():
                continue
            definition = self._definitions.get(slug)
            if definition is None:
                queue.fail_queued(self.db, run_id, f"no publisher entry for {slug!r}", fence)
                continue
            if not queue.claim(self.db, run_id, self.holder, fence):
                continue
            if self.inline:
                self._execute(run_id, definition)
                continue
            thread = threading.Thread(
                target=self._execute, args=(run_id, definition), name=f"run-{run_id}", daemon=True
            )
            with self._lock:
                self._active[run_id] = (slug, thread)
            thread.start()

    def _execute(self, run_id: int, definition: DatasetDefinition) -> None:
        config = self.portal.config
        uploads = {}
        try:
            with self.db.session() as session:
                run = session.get(Run, run_id)
                uploads = queue.upload_paths(config, run)
                trigger, attempt = run.trigger, run.attempt
            log.info(
                "run.start",
                extra={
                    "event": "run.start",
                    "run": run_id,
                    "dataset": definition.slug,
                    "trigger": trigger,
                    "attempt": attempt,
                    "worker": self.holder,
                },
            )
            result = execute_run(self.db, definition, run_id, uploads)
            log.info(
                "run.finish",
                extra={
                    "event": "run.finish",
                    "run": run_id,
                    "dataset": definition.slug,
                    "status": result.status.value,
                    "rows": result.row_count,
                    "seconds": result.duration_seconds,
                    "error": result.error,
                },
            )
        except (PortalError, SQLAlchemyError, OSError):
            # The run stays "running" without a heartbeat; stale detection interrupts it.
            log.exception("run.crash", extra={"event": "run.crash", "run": run_id})
        finally:
            queue.discard_uploads(config, uploads)
            with self._lock:
                self._active.pop(run_id, None)

    # -- the process ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then shut down gracefully."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        log.info(
            "scheduler.start",
            extra={
                "event": "scheduler.start",
                "holder": self.holder,
                "lease_seconds": self.settings.lease_seconds,
            },
        )
        heartbeat = threading.Thread(target=self._heartbeat, name="lease-heartbeat", daemon=True)
        heartbeat.start()
        while not self.stopping.is_set():
            try:
                self.tick()
            except SQLAlchemyError:
                # The database may come back; until then the lease runs out and a standby
                # (or this process, later) carries on.
                log.exception("scheduler.tick_failed", extra={"event": "scheduler.tick_failed"})
            self.stopping.wait(self.settings.poll_seconds)
        heartbeat.join(timeout=self.settings.poll_seconds + 1)
        self.shutdown()

    def _heartbeat(self) -> None:
        """Renew a held lease every poll, however long the tick in progress takes."""
        while not self.stopping.wait(self.settings.poll_seconds):
            if not self.lease.held():
                continue  # standby: only the tick tries to take the lease
            try:
                self.lease.acquire()
            except SQLAlchemyError:
                log.exception("scheduler.renew_failed", extra={"event": "scheduler.renew_failed"})

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping.is_set():
            self._force = True  # a second signal: stop waiting for running runs
        self.stopping.set()

    def shutdown(self) -> list[int]:
        """Stop claiming; let running runs finish within the grace period, else interrupt them.
        Returns the ids of the runs it interrupted."""
        self.stopping.set()
        log.info(
            "scheduler.stopping",
            extra={"event": "scheduler.stopping", "running": sorted(self._active)},
        )
        deadline = time.monotonic() + self.settings.grace_seconds
        while not self._force and time.monotonic() < deadline:
            with self._lock:
                threads = [thread for _, thread in self._active.values()]
            if not threads:
                break
            threads[0].join(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
        with self._lock:
            unfinished = sorted(self._active)
        reason = (
            f"the scheduler was stopped and the run did not finish within "
            f"{self.settings.grace_seconds:.0f} s"
        )
        interrupted = queue.interrupt(self.db, unfinished, reason)
        for run_id in interrupted:
            log.warning(
                "run.interrupted",
                extra={"event": "run.interrupted", "run": run_id, "reason": "shutdown"},
            )
        if self._leading:
            self.lease.release()
        log.info(
            "scheduler.stopped", extra={"event": "scheduler.stopped", "interrupted": interrupted}
        )
        return interrupted
