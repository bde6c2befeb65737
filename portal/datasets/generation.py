"""When what the public sees may change: the publication fingerprint, the audit generation
and the next moment a dataset's freshness changes by itself."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portal.datasets.freshness import dataset_freshness
from portal.models import AuditEvent, Dataset, Version


def publication_state(session: Session) -> tuple:
    """A cheap fingerprint of what the public summary is computed from.

    It changes whenever a publish, a retraction, a definition sync or an edited release date
    changes what a page built from the published datasets would show.
    """
    rows = session.execute(
        select(
            Dataset.id,
            Dataset.current_version_id,
            Dataset.title,
            Dataset.meta,
            Version.published_at,
            Version.retracted_at,
        )
        .outerjoin(Version, Version.id == Dataset.current_version_id)
        .order_by(Dataset.id)
    ).all()
    return tuple(
        (row[0], row[1], row[2], json.dumps(row[3], sort_keys=True, default=str), *row[4:])
        for row in rows
    )


# Audited actions that change nothing a page shows: a sign-in flood must not make every
# worker render its kept pages anew.
UNSEEN_ACTIONS = ("login", "login.failed", "logout")


# A number that grows whenever anything a dataset page shows may have changed. Every
# publish, retraction, embargoed release, correction, moderation decision and definition
# change is audited in the same transaction as the change itself, so the newest audit
# event's id (sign-ins and sign-outs aside) moves exactly when they do (the audit trail is
# append-only). The newest first: the scan goes back past sign-ins only.
GENERATION_SQL = (
    f"SELECT id FROM {AuditEvent.__tablename__} "
    f"WHERE action NOT IN ({', '.join(repr(a) for a in UNSEEN_ACTIONS)}) "
    "ORDER BY id DESC LIMIT 1"
)


def current_generation(engine: Engine) -> int:
    """The site generation (GENERATION_SQL), read on a pooled connection without a session or
    SQL compilation: every kept page asks for it, and a session costs ten times the query."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(GENERATION_SQL)
        found = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()  # back to the pool, its transaction rolled back
    return found[0] if found else 0


def unchanged_for(datasets: list[Dataset], now: datetime, longest: float) -> float:
    """Seconds until the first dataset's freshness changes by itself (it becomes overdue)."""
    flips = [
        (fresh.overdue_after - now).total_seconds()
        for fresh in (dataset_freshness(d, now) for d in datasets)
        if fresh.overdue_after is not None and not fresh.overdue
    ]
    return max(0.0, min([longest, *flips]))
