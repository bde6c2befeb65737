"""What the records office shows about publishers: freshness, the latest run, run history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.datasets import texts
from portal.datasets.browse import withdrawal
from portal.datasets.definitions import DatasetDefinition
from portal.datasets.freshness import Freshness, dataset_freshness, freshness
from portal.datasets.labels import long_date
from portal.figures import numbers
from portal.languages import gettext, ngettext
from portal.models import Candidate, CandidateStatus, Dataset, Run, RunStatus, Version
from portal.releases.models import Embargo, EmbargoStatus

HISTORY_LIMIT = 200
RECENT_RUNS = 5


@dataclass(frozen=True)
class Outcome:
    """How a run finally ended, in words the public may read.

    `word` is stable for machines (the API's `outcome`); `text` is the sentence. Never the
    error text of a failure (it can name internal systems, paths or people).
    """

    word: str
    text: str


def run_outcomes(session: Session, runs: list[Run]) -> dict[int, Outcome]:
    """The final outcome of each run, following its candidate to a decision or a version."""
    ids = [r.id for r in runs]
    candidates = {
        c.run_id: c for c in session.scalars(select(Candidate).where(Candidate.run_id.in_(ids)))
    }
    by_candidate = [c.id for c in candidates.values()]
    versions = {
        v.candidate_id: v
        for v in session.scalars(select(Version).where(Version.candidate_id.in_(by_candidate)))
    }
    embargoes = {
        e.candidate_id: e
        for e in session.scalars(
            select(Embargo).where(
                Embargo.candidate_id.in_(by_candidate),
                Embargo.status == EmbargoStatus.SCHEDULED,
            )
        )
    }
    found = {}
    for run in runs:
        candidate = candidates.get(run.id)
        if candidate is None:
            found[run.id] = _without_candidate(run)
        else:
            found[run.id] = _of_candidate(
                candidate, versions.get(candidate.id), embargoes.get(candidate.id)
            )
    return found


def _without_candidate(run: Run) -> Outcome:
    if run.status == RunStatus.UNCHANGED:
        return Outcome("unchanged", gettext("unchanged: the source had nothing new"))
    if run.status == RunStatus.QUEUED:
        return Outcome("in-progress", gettext("waiting to start"))
    if run.status == RunStatus.RUNNING:
        return Outcome("in-progress", gettext("in progress"))
    if run.status == RunStatus.INTERRUPTED:
        return Outcome("interrupted", gettext("interrupted; it will be tried again"))
    if run.error_type == "SourceUnavailable":
        return Outcome(
            "source-unavailable", gettext("source unavailable; the published data is unchanged")
        )
    if run.error_type == "SourceUnreadable":
        return Outcome(
            "failed",
            gettext("failed: the source could not be read; the published data is unchanged"),
        )
    report = run.report or {}
    if report.get("guarded") or run.error_type == "PrivacyGuardFailed":
        return Outcome(
            "failed-privacy", gettext("stopped by the privacy guard; nothing was published")
        )
    if report.get("valid") is False:
        problems = sum(r.get("errorCount", 0) for r in report.get("resources", {}).values())
        return Outcome(
            "failed-validation",
            ngettext(
                "failed validation (%(count)s problem); the published data is unchanged",
                "failed validation (%(count)s problems); the published data is unchanged",
                problems,
                count=numbers.count(problems),
            ),
        )
    return Outcome("failed", gettext("failed; the published data is unchanged"))


def _of_candidate(
    candidate: Candidate, version: Version | None, embargo: Embargo | None
) -> Outcome:
    if version is not None:
        published = gettext(
            "published as version %(number)s (%(day)s)",
            number=version.number,
            day=long_date(version.published_at),
        )
        if version.retracted_at is not None:
            return Outcome(
                "withdrawn",
                gettext(
                    "%(published)s; withdrawn on %(day)s: %(reason)s",
                    published=published,
                    day=long_date(version.retracted_at),
                    reason=version.retraction_reason,
                ),
            )
        return Outcome("published", published)
    if embargo is not None:
        return Outcome(
            "scheduled",
            gettext("approved; to be published on %(day)s", day=long_date(embargo.publish_at)),
        )
    if candidate.status == CandidateStatus.REJECTED:
        day = (
            long_date(candidate.decided_at) if candidate.decided_at else gettext("an unknown date")
        )
        reason = f" ({candidate.note})" if candidate.note else ""
        return Outcome("rejected", gettext("rejected on %(day)s", day=day) + reason)
    if candidate.status == CandidateStatus.SUPERSEDED:
        return Outcome("superseded", gettext("superseded by newer data before review"))
    if candidate.status == CandidateStatus.APPROVED:
        return Outcome("approved", gettext("approved; not published"))
    return Outcome("awaiting-review", gettext("new data passed validation and awaits review"))


@dataclass(frozen=True)
class PublisherStatus:
    slug: str
    title: str
    freshness: Freshness
    latest_run: Run | None
    # (resource name, title) of the resources whose source a records officer may upload.
    uploadable: tuple[tuple[str, str], ...]
    outcome: Outcome | None = None  # the latest run's final outcome


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
        outcome = run_outcomes(session, [latest])[latest.id] if latest else None
        statuses.append(PublisherStatus(slug, definition.title, fresh, latest, uploadable, outcome))
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
        runs = list(
            session.scalars(
                select(Run)
                .where(Run.dataset_id == dataset.id)
                .order_by(Run.id.desc())
                .limit(RECENT_RUNS)
            )
        )
        outcomes = run_outcomes(session, runs)
        gone = withdrawal(session, dataset)
        rows.append(
            {
                "slug": dataset.slug,
                "title": dataset.title,
                "title_words": texts.text_in(dataset.meta, "title", dataset.title),
                "published": dataset.current_version_id is not None,
                "withdrawn": gone.notice if gone else None,
                "freshness": dataset_freshness(dataset, now),
                "runs": [
                    {
                        "at": r.finished_at or r.started_at or r.queued_at,
                        "outcome": outcomes[r.id].text,
                        "result": outcomes[r.id].word,
                        "status": r.status.value,
                    }
                    for r in runs
                ],
            }
        )
    return rows
