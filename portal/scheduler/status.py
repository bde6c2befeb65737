"""What the records office shows about publishers: freshness, the latest run, run history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.datasets.definitions import DatasetDefinition
from portal.datasets.freshness import Freshness, dataset_freshness, freshness
from portal.models import Dataset, Run, RunStatus

HISTORY_LIMIT = 200
# What the public is told about a run: the outcome, never the error text (which can name
# internal systems, paths or people).
PUBLIC_OUTCOMES = {
    RunStatus.QUEUED: "waiting to start",
    RunStatus.RUNNING: "in progress",
    RunStatus.SUCCEEDED: "new data passed validation and awaits review",
    RunStatus.UNCHANGED: "checked: the source had not changed",
    RunStatus.FAILED: "did not complete; the published data stays as it was",
    RunStatus.INTERRUPTED: "interrupted; it will be tried again",
}
RECENT_RUNS = 5


@dataclass(frozen=True)
class PublisherStatus:
    slug: str
    title: str
    freshness: Freshness
    latest_run: Run | None
    # (resource name, title) of the resources whose source a records officer may upload.
    uploadable: tuple[tuple[str, str], ...]


def publisher_statuses(
    session: Session, definitions: Mapping[str, DatasetDefinition], now: datetime
) -> list[PublisherStatus]:
    """One entry per publisher entry, overdue ones first, then by title."""
    rows = {d.slug: d for d in session.scalars(select(Dataset))}
    statuses = []
    for slug, definition in definitions.items():
        dataset = rows.get(slug)
        fresh = (
            dataset_freshness(dataset, now) if dataset else freshness(definition.cadence, None, now)
        )
        latest = (
            session.scalar(
                select(Run).where(Run.dataset_id == dataset.id).order_by(Run.id.desc()).limit(1)
            )
            if dataset
            else None
        )
        uploadable = tuple((r.name, r.title) for r in definition.resources if r.source is not None)
        statuses.append(PublisherStatus(slug, definition.title, fresh, latest, uploadable))
    return sorted(statuses, key=lambda s: (not s.freshness.overdue, s.title.lower()))


def run_history(session: Session, dataset: Dataset, limit: int = HISTORY_LIMIT) -> list[Run]:
    """The dataset's runs, newest first."""
    return list(
        session.scalars(
            select(Run).where(Run.dataset_id == dataset.id).order_by(Run.id.desc()).limit(limit)
        )
    )


def public_statuses(session: Session, now: datetime) -> list[dict]:
    """Every dataset with its freshness and the public outcome of its recent runs."""
    rows = []
    for dataset in session.scalars(select(Dataset).order_by(Dataset.title)):
        runs = session.scalars(
            select(Run)
            .where(Run.dataset_id == dataset.id)
            .order_by(Run.id.desc())
            .limit(RECENT_RUNS)
        )
        rows.append(
            {
                "slug": dataset.slug,
                "title": dataset.title,
                "published": dataset.current_version_id is not None,
                "freshness": dataset_freshness(dataset, now),
                "runs": [
                    {
                        "at": r.finished_at or r.started_at or r.queued_at,
                        "outcome": PUBLIC_OUTCOMES.get(r.status, r.status.value),
                        "status": r.status.value,
                    }
                    for r in runs
                ],
            }
        )
    return rows
