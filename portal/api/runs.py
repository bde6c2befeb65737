"""`/api/v1/runs`: how the latest updates of each published dataset went, in public-safe words.

Only the dataset, when and a fixed outcome word leave this module: never an error message,
a validation report, a file name or who started the run.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.api.blueprint import api
from portal.api.http import payload
from portal.api.payloads import RunsSchema
from portal.datasets import browse
from portal.extensions import db_session
from portal.models import Run, RunStatus

RUNS_PER_DATASET = 10
OUTCOMES = {
    RunStatus.SUCCEEDED: (
        "received",
        "New data arrived; it is published once a records officer approves it.",
    ),
    RunStatus.UNCHANGED: ("unchanged", "The source had nothing new."),
    RunStatus.FAILED: ("failed", "The update did not complete; the published data is unchanged."),
    RunStatus.INTERRUPTED: (
        "failed",
        "The update did not complete; the published data is unchanged.",
    ),
    RunStatus.QUEUED: ("in-progress", "An update is under way."),
    RunStatus.RUNNING: ("in-progress", "An update is under way."),
}


def public_runs(session: Session, per_dataset: int = RUNS_PER_DATASET) -> list[dict]:
    """The latest runs of every published dataset, newest first, as public words."""
    result = []
    for dataset in browse.published_datasets(session):
        found = session.scalars(
            select(Run)
            .where(Run.dataset_id == dataset.id)
            .order_by(Run.id.desc())
            .limit(per_dataset)
        )
        runs = []
        for run in found:
            outcome, summary = OUTCOMES[run.status]
            at: datetime = run.finished_at or run.started_at or run.queued_at
            runs.append({"at": at, "outcome": outcome, "summary": summary})
        result.append({"dataset": dataset.slug, "title": dataset.title, "runs": runs})
    return result


@api.get("/runs")
def runs() -> Response:
    return payload(RunsSchema(), {"datasets": public_runs(db_session())})
