"""Community test fixtures: a survey, residents' answers, a published dataset to comment on."""

from __future__ import annotations

import random
from datetime import date

import pytest

from portal.community import surveys
from portal.community.models import Survey, SurveyAnswer, SurveyResponse
from portal.datasets.context import Portal
from tests.conftest import ADMIN

TODAY = date(2026, 11, 24)


@pytest.fixture
def survey(portal: Portal) -> Survey:
    """An open survey with the four default statements (one per measure)."""
    with portal.db.session() as session:
        return surveys.create_survey(
            session,
            title="Community survey 2026",
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 12, 31),
            questions=surveys.DEFAULT_QUESTIONS,
            created_by=ADMIN[0],
        )


def add_responses(
    portal: Portal, survey_id: int, quarter: str, district: str, scores: list[list[int | None]]
) -> None:
    """Residents' answers as the survey form stores them, one list of scores per resident."""
    with portal.db.session() as session:
        questions = session.get(Survey, survey_id).questions
        for answer in scores:
            session.add(
                SurveyResponse(
                    survey_id=survey_id,
                    quarter=quarter,
                    district=district,
                    answers=[
                        SurveyAnswer(question_id=q.id, score=s)
                        for q, s in zip(questions, answer, strict=True)
                        if s is not None
                    ],
                )
            )


def random_scores(seed: int, count: int, centre: int) -> list[list[int | None]]:
    rng = random.Random(seed)
    return [[min(10, max(0, round(rng.gauss(centre, 2)))) for _ in range(4)] for _ in range(count)]


# A quarter with districts above, between and below the thresholds (50 for an estimate,
# 10 for the count): D4 is suppressed, and D5, the next smallest, with it.
QUARTER_SIZES = {"D1": 120, "D2": 60, "D3": 20, "D4": 5, "D5": 12}


@pytest.fixture
def answered(portal: Portal, survey: Survey) -> Survey:
    """Two quarters of answers; 2026-Q3 has every kind of district row."""
    for i, (district, size) in enumerate(QUARTER_SIZES.items()):
        add_responses(portal, survey.id, "2026-Q3", district, random_scores(i, size, 4 + i))
    add_responses(portal, survey.id, "2026-Q2", "D1", random_scores(10, 70, 5))
    add_responses(portal, survey.id, "2026-Q2", "D2", random_scores(11, 55, 6))
    # A resident who skipped two statements counts once, with the answers they gave.
    add_responses(portal, survey.id, "2026-Q2", "D2", [[10, None, 8, None]])
    return survey


@pytest.fixture
def published_trust(portal: Portal, answered: Survey, officer: str):  # noqa: ANN201
    """The community-trust dataset run and approved by a records officer, as in the office."""
    from tests.flow import publish

    return publish(portal, officer, "community-trust")
