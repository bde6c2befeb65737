"""The run queue in the database: request a run, queue a cron fire, claim, retry, interrupt.

Everything here is a short transaction that the web app, the CLI and the scheduler share;
the database settles every race (the claim is one conditional UPDATE, and unique indexes
refuse a second running run of a dataset or a second queueing of one cron fire time).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.datasets.definitions import DatasetDefinition, sync_dataset
from portal.db import Database, FenceCheck, no_fence
from portal.errors import PortalError, RunInProgress
from portal.models import Dataset, Run, RunStatus, utcnow
from publishers.connectors.sources import EXTENSION_FORMATS

UPLOADS = "uploads"
FORMAT_EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx", "json": ".json"}
# Minutes to wait before retrying a scheduled run that could not reach its source: three
# retries, so a source that is down for half an hour still gets published the same day.
RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))
RETRYABLE_ERRORS = {"SourceUnavailable"}


def request_run(
    session: Session,
    config: Config,
    definition: DatasetDefinition,
    *,
    requested_by: str,
    trigger: str = "office",
    files: Mapping[str, tuple[str, BinaryIO]] | None = None,
) -> Run:
    """Queue a run for the scheduler to execute; `files` maps a resource to (filename, stream).

    An uploaded file stands in for that resource's source in this run only. It is stored
    under the data folder as `uploads/<random>/<resource><extension>`: nothing of the
    request's file name is used but a known extension (which tells the reader the format).
    """
    dataset = sync_dataset(session, definition)
    waiting = session.scalar(
        select(Run).where(
            Run.dataset_id == dataset.id,
            Run.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]),
            Run.trigger != "schedule",
        )
    )
    if waiting is not None:
        raise RunInProgress(
            f"{definition.title} already has run {waiting.id} "
            f"{waiting.status.value}; wait for it to finish"
        )
    stored: dict[str, str] = {}
    folder = Path(UPLOADS) / secrets.token_hex(16)
    for resource in definition.resources:
        if resource.source is None or resource.name not in (files or {}):
            continue
        filename, stream = files[resource.name]
        relative = folder / f"{_slugify(resource.name)}{_extension(filename, resource.source)}"
        target = config.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out)
        stored[resource.name] = relative.as_posix()
    run = Run(
        dataset=dataset,
        status=RunStatus.QUEUED,
        trigger=trigger,
        requested_by=requested_by,
        uploads=stored or None,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        requested_by,
        "run.request",
        "run",
        run.id,
        dataset=definition.slug,
        uploads=sorted(stored),
    )
    return run


def _slugify(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "upload"


def _extension(filename: str, source: Mapping) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix in EXTENSION_FORMATS:
        return suffix
    return FORMAT_EXTENSIONS.get(source.get("format", ""), ".csv")


def upload_paths(config: Config, run: Run) -> dict[str, Path]:
    """The files uploaded for a run, as absolute paths that must lie in the uploads folder."""
    root = (config.data_dir / UPLOADS).resolve()
    paths = {}
    for resource, relative in (run.uploads or {}).items():
        path = (config.data_dir / relative).resolve()
        if not path.is_relative_to(root):
            raise PortalError(f"run {run.id} names an upload outside the uploads folder")
        paths[resource] = path
    return paths


def discard_uploads(config: Config, uploads: Mapping[str, Path]) -> None:
    """Delete a finished run's uploads: raw exports may hold names the portal never publishes."""
    root = (config.data_dir / UPLOADS).resolve()
    for path in uploads.values():
        if path.parent != root and path.parent.is_relative_to(root):
            shutil.rmtree(path.parent, ignore_errors=True)


def queue_scheduled(
    db: Database, dataset_id: int, fire_time: datetime, attempt: int, fence: FenceCheck = no_fence
) -> int | None:
    """Queue the run of one cron fire time (or its retry); None when it is already queued."""
    try:
        with db.session() as session:
            fence(session)
            run = Run(
                dataset_id=dataset_id,
                status=RunStatus.QUEUED,
                trigger="schedule",
                scheduled_for=fire_time,
                attempt=attempt,
            )
            session.add(run)
            session.flush()
            audit.record(
                session,
                "scheduler",
                "run.schedule",
                "run",
                run.id,
                scheduled_for=fire_time.isoformat(),
                attempt=attempt,
            )
            return run.id
    except IntegrityError:
        return None  # another scheduler queued this fire time first


def retry_due(run: Run, now: datetime) -> bool:
    """Whether a scheduled run that ended in a transient failure should be retried now."""
    transient = run.status == RunStatus.INTERRUPTED or (
        run.status == RunStatus.FAILED and run.error_type in RETRYABLE_ERRORS
    )
    if run.trigger != "schedule" or run.scheduled_for is None or not transient:
        return False
    if run.attempt > len(RETRY_BACKOFF):
        return False
    ended = run.finished_at or run.started_at or run.queued_at
    return now >= ended + RETRY_BACKOFF[run.attempt - 1]


def claim(db: Database, run_id: int, worker: str, fence: FenceCheck = no_fence) -> bool:
    """Move a queued run to running for this worker; False if someone else got it first, or
    the dataset already has a running run (the partial unique index refuses a second)."""
    try:
        with db.session() as session:
            fence(session)
            result = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == RunStatus.QUEUED)
                .values(
                    status=RunStatus.RUNNING,
                    started_at=utcnow(),
                    heartbeat_at=utcnow(),
                    worker=worker,
                ),
                execution_options={"synchronize_session": False},
            )
    except IntegrityError:
        return False
    return result.rowcount == 1


def queued_runs(session: Session) -> list[tuple[int, str]]:
    """(run id, dataset slug) of every queued run, oldest first."""
    rows = session.execute(
        select(Run.id, Dataset.slug)
        .join(Dataset, Run.dataset_id == Dataset.id)
        .where(Run.status == RunStatus.QUEUED)
        .order_by(Run.id)
    )
    return [(row.id, row.slug) for row in rows]


def interrupt(db: Database, run_ids: Sequence[int], reason: str) -> list[int]:
    """Mark these runs interrupted if they are still running; returns those it marked."""
    if not run_ids:
        return []
    return _end_running(db, Run.id.in_(list(run_ids)), RunStatus.INTERRUPTED, reason)


def interrupt_stale(
    db: Database, now: datetime, stale_after: timedelta, fence: FenceCheck = no_fence
) -> list[int]:
    """Interrupt running runs whose heartbeat is older than stale_after: their process died."""
    cutoff = now - stale_after
    silent = or_(
        Run.heartbeat_at < cutoff, and_(Run.heartbeat_at.is_(None), Run.started_at < cutoff)
    )
    return _end_running(
        db,
        silent,
        RunStatus.INTERRUPTED,
        f"no heartbeat for {stale_after.total_seconds():.0f} s: the process running it stopped",
        fence,
    )


def fail_queued(db: Database, run_id: int, reason: str, fence: FenceCheck = no_fence) -> None:
    with db.session() as session:
        fence(session)
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RunStatus.QUEUED)
            .values(status=RunStatus.FAILED, error=reason, finished_at=utcnow())
        )


def _end_running(
    db: Database,
    condition: object,
    status: RunStatus,
    reason: str,
    fence: FenceCheck = no_fence,
) -> list[int]:
    # One conditional UPDATE: a run that finished meanwhile keeps its real outcome.
    with db.session() as session:
        fence(session)
        ended = list(
            session.scalars(
                update(Run)
                .where(Run.status == RunStatus.RUNNING, condition)
                .values(status=status, error=reason, finished_at=utcnow())
                .returning(Run.id),
                execution_options={"synchronize_session": False},
            )
        )
        for run_id in ended:
            audit.record(session, "scheduler", f"run.{status.value}", "run", run_id, error=reason)
        return ended
