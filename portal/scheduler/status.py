"""What the records office shows about publishers: freshness, the latest run, run history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalog import DatasetDefinition
from portal.freshness import Freshness, dataset_freshness, freshness
from portal.models import Dataset, Run

HISTORY_LIMIT = 200


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
