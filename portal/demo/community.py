"""`portal demo`'s community step: a survey with a year of answers, comments, the trust index."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.community import comments, surveys
from portal.community.models import Comment, Survey, SurveyAnswer, SurveyResponse
from portal.datasets.context import Portal
from portal.datasets.definitions import sync_dataset
from portal.models import Dataset, RunStatus, User
from portal.pipeline.run import run_dataset
from portal.releases import review

SLUG = "community-trust"
SEED = 2026
SPANISH_SHARE = 0.25  # of the demo's residents answer in Spanish
# Publish the first community-trust version, so the index and its trend show on `/`. Tests
# that expect the demo to publish exactly the three original datasets need this off.
PUBLISH_IN_DEMO = True
# Typical responses per quarter: D6 is small, and one quarter it falls under 10 (suppressed).
DISTRICT_SIZES = {"D1": 150, "D2": 120, "D3": 95, "D4": 80, "D5": 60, "D6": 35, "unknown": 18}
DISTRICT_MOOD = {"D1": 0.4, "D2": 0.0, "D3": -0.5, "D4": 0.2, "D5": -0.9, "D6": 0.6, "unknown": 0}
MEASURE_MOOD = {"trust": 0.0, "fairness": 0.5, "safety": 0.9, "satisfaction": -0.3}
FREE_TEXT = [
    "More foot patrols near the park in the evening, please.",
    "Officers were polite when I reported a break-in.",
    "Response to noise complaints is slow on weekends.",
    None,
    None,
]


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarters_before(today: date, count: int) -> list[str]:
    start, quarters = _quarter_start(today), []
    for _ in range(count):
        start = _quarter_start(start - timedelta(days=1))
        quarters.append(surveys.quarter_of(start))
    return sorted(quarters)


def load(portal: Portal, officer: User, today: date) -> Iterator[str]:
    """Fill the survey and comments once, then publish the community-trust dataset once."""
    with portal.db.session() as session:
        has_survey = session.scalar(select(func.count()).select_from(Survey)) > 0
        has_comments = session.scalar(select(func.count()).select_from(Comment)) > 0
    if has_survey:
        yield "community: survey answers already there"
    else:
        yield f"community: {_fill_survey(portal, today)} survey responses"
    if has_comments:
        yield "community: comments already there"
    else:
        yield f"community: {_fill_comments(portal, officer.email)} comments"
    if PUBLISH_IN_DEMO:
        yield from _publish(portal, officer)


def _fill_survey(portal: Portal, today: date) -> int:
    rng = random.Random(SEED)  # noqa: S311  (demo data, not secrets)
    quarters = _quarters_before(today, 4)
    first = date(int(quarters[0][:4]), 3 * int(quarters[0][-1]) - 2, 1)
    with portal.db.session() as session:
        survey = surveys.create_survey(
            session,
            title="Community survey: policing in your neighborhood",
            introduction="Five questions, two minutes. Your answers are anonymous.",
            opens_on=first,
            closes_on=_quarter_start(today) + timedelta(days=120),
            questions=[
                (measure, text, {"es": surveys.DEFAULT_TRANSLATIONS["es"][measure]})
                for measure, text in surveys.DEFAULT_QUESTIONS
            ],
            created_by="admin@example.org",
            translations={
                "es": {
                    "title": "Encuesta comunitaria: la policía en su vecindario",
                    "introduction": "Cinco preguntas, dos minutos. Sus respuestas son anónimas.",
                }
            },
        )
        # Which language each resident answered in: its own generator, so the answers
        # themselves (and every figure computed from them) stay as they were.
        spoken = random.Random(SEED + 1)  # noqa: S311
        measures = [(q.id, q.measure) for q in survey.questions]
        count = 0
        for step, quarter in enumerate(quarters):
            for district, size in DISTRICT_SIZES.items():
                n = 7 if (district == "D6" and step == 1) else int(size * rng.uniform(0.8, 1.2))
                for _ in range(n):
                    centre = 5.4 + 0.25 * step + DISTRICT_MOOD[district]
                    personal = rng.gauss(centre, 1.6)
                    answers = [
                        SurveyAnswer(
                            question_id=qid,
                            score=min(10, max(0, round(rng.gauss(personal + MEASURE_MOOD[m], 1)))),
                        )
                        for qid, m in measures
                        if rng.random() > 0.05  # some statements are skipped
                    ]
                    if not answers:
                        continue
                    text = rng.choice(FREE_TEXT)
                    session.add(
                        SurveyResponse(
                            survey_id=survey.id,
                            quarter=quarter,
                            district=district,
                            free_text=text,
                            answers=answers,
                            language="es" if spoken.random() < SPANISH_SHARE else "en",
                        )
                    )
                    count += 1
    return count


def _fill_comments(portal: Portal, moderator: str) -> int:
    with portal.db.session() as session:
        datasets = {d.slug: d for d in session.scalars(select(Dataset))}
        if not datasets:
            return 0

        def on(slug: str) -> Dataset:
            return datasets.get(slug) or next(iter(datasets.values()))

        question = comments.submit_comment(
            session,
            on("use-of-force"),
            "question",
            "Does a pointed firearm count as a use of force here, or only a discharge?",
            "Dana",
        )
        comments.answer_comment(
            session,
            question,
            moderator,
            "Only a discharge is counted as `firearm`. Pointing a firearm is recorded as a "
            "show of force, which this dataset does not include; see the methodology above.",
        )
        problem = comments.submit_comment(
            session,
            on("body-worn-cameras"),
            "problem",
            "The hours recorded for one unit look ten times too high in one month.",
        )
        comments.answer_comment(
            session, problem, moderator, "Thank you: a unit conversion error, corrected."
        )
        comments.mark_fixed(session, problem, moderator, 1)
        praise = comments.submit_comment(
            session, on("resource-allocation"), "comment", "Useful to see the budget by programme."
        )
        comments.publish_comment(session, praise, moderator)
        comments.submit_comment(
            session,
            on("use-of-force"),
            "question",
            "Will you publish the officer's years of service with each incident?",
            "R. Ortiz",
        )
        comments.submit_comment(
            session,
            on("resource-allocation"),
            "problem",
            "Calls for service in District 3 drop to zero in one month. Missing data?",
        )
        return 5


def _publish(portal: Portal, officer: User) -> Iterator[str]:
    definition = portal.definition(SLUG)
    with portal.db.session() as session:
        if sync_dataset(session, definition).current_version_id is not None:
            yield f"{SLUG}: already published"
            return
    run = run_dataset(portal.db, definition, trigger="demo")
    yield f"{SLUG}: run {run.id} {run.status.value}" + (f": {run.error}" if run.error else "")
    if run.status != RunStatus.SUCCEEDED:
        return
    with portal.db.session() as session:
        version = review.approve(
            session, portal.config, SLUG, session.merge(officer), note="First release (demo)."
        )
        yield f"{SLUG}: published version {version.number}"
