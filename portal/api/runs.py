"""`/api/v1/runs`: how the latest updates of each published dataset went, in public-safe words.

Only the dataset, when and the run's final outcome (a fixed word and its sentence, see
portal.scheduler.status) leave this module: never an error message, a validation report, a
file name or who started the run.
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
from portal.models import Run
from portal.scheduler.status import run_outcomes

RUNS_PER_DATASET = 10


def public_runs(session: Session, per_dataset: int = RUNS_PER_DATASET) -> list[dict]:
    """The latest runs of every published or withdrawn dataset, newest first, as public words."""
    result = []
    for dataset in browse.public_datasets(session):
        found = list(
            session.scalars(
                select(Run)
                .where(Run.dataset_id == dataset.id)
                .order_by(Run.id.desc())
                .limit(per_dataset)
            )
        )
        outcomes = run_outcomes(session, found)
        runs = []
        for run in found:
            at: datetime = run.finished_at or run.started_at or run.queued_at
            outcome = outcomes[run.id]
            runs.append({"at": at, "outcome": outcome.word, "summary": outcome.text})
        result.append({"dataset": dataset.slug, "title": dataset.title, "runs": runs})
    return result


@api.get("/runs")
def runs() -> Response:
    return payload(RunsSchema(), {"datasets": public_runs(db_session())})
