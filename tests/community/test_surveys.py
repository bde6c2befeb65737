"""Surveys: admins publish them; residents answer once a day without leaving personal data."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select, text

from portal.community import surveys
from portal.community.errors import DuplicateSubmission, SurveyClosed
from portal.community.models import Survey, SurveyResponse, SurveySubmissionKey
from portal.models import utcnow
from tests.conftest import ADMIN, csrf_token, login

PLANTED = "Write to jane.roe@mail.example or call (312) 555-0147. My name is Jane Roe."
COMMUNITY_TABLES = ["surveys", "survey_questions", "survey_responses", "survey_answers",
                    "survey_submission_keys", "comments"]  # fmt: skip


def _answer(client, survey_id: int, scores: list[int], **extra: str):  # noqa: ANN202
    path = f"/surveys/{survey_id}/"
    page = client.get(path).get_data(as_text=True)
    names = re.findall(r'name="(q-\d+)" value="0"', page)
    data = {"csrf_token": csrf_token(client, path), "district": "D2", **extra}
    data.update({name: str(score) for name, score in zip(names, scores, strict=False)})
    return client.post(path, data=data)


@pytest.fixture
def open_survey(portal) -> Survey:
    today = utcnow().date()
    with portal.db.session() as session:
        return surveys.create_survey(
            session,
            title="How are we doing?",
            opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=30),
            questions=surveys.DEFAULT_QUESTIONS,
            created_by=ADMIN[0],
        )


def test_an_admin_publishes_a_survey_from_the_office_and_an_officer_cannot(portal, officer, app):
    admin, records_officer = app.test_client(), app.test_client()
    login(admin, *ADMIN)
    login(records_officer)
    assert records_officer.get("/office/surveys/").status_code == 403

    form = {
        "csrf_token": csrf_token(admin, "/office/surveys/"),
        "title": "Neighborhood survey, winter",
        "opens_on": "2026-12-01",
        "closes_on": "2027-02-28",
        "measure-0": "trust",
        "question-0": "The police in my neighborhood listen to residents.",
        "measure-1": "safety",
        "question-1": "I feel safe walking alone at night.",
        "question-2": "",
    }
    assert admin.post("/office/surveys/", data=form).status_code == 302

    with portal.db.session() as session:
        (survey,) = session.scalars(select(Survey)).all()
        assert [(q.measure, q.text) for q in survey.questions] == [
            ("trust", "The police in my neighborhood listen to residents."),
            ("safety", "I feel safe walking alone at night."),
        ]
        assert (survey.opens_on, survey.closes_on) == (date(2026, 12, 1), date(2027, 2, 28))
    assert "Neighborhood survey, winter" in admin.get("/office/surveys/").get_data(as_text=True)


def test_a_resident_answers_once_a_day_and_only_scores_and_scrubbed_text_are_kept(
    portal, open_survey, client
):
    sent = _answer(client, open_survey.id, [7, 8, 3, 6], free_text=PLANTED)
    assert sent.status_code == 303 and sent.location.endswith(f"/surveys/{open_survey.id}/thanks")
    again = _answer(client, open_survey.id, [0, 0, 0, 0])
    assert again.status_code == 409

    with portal.db.session() as session:
        (response,) = session.scalars(select(SurveyResponse)).all()
        assert sorted(a.score for a in response.answers) == [3, 6, 7, 8]
        assert response.district == "D2"
        assert response.quarter == surveys.quarter_of(utcnow().date())
        assert response.free_text == "Write to [e-mail] or call [phone]. [name]."
        (key,) = session.scalars(select(SurveySubmissionKey)).all()
        assert re.fullmatch(r"[0-9a-f]{64}", key.digest)
    # Nothing a resident could be reached or recognised by, in any community table.
    with portal.db.engine.connect() as connection:
        columns = {
            t: [c["name"] for c in inspect(connection).get_columns(t)] for t in COMMUNITY_TABLES
        }
        assert not [
            c for cs in columns.values() for c in cs if re.search(r"ip|addr|email|agent", c)
        ]
        cells = [
            value
            for table in COMMUNITY_TABLES
            for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
            for value in row
            if isinstance(value, str)
        ]
    for secret in ("127.0.0.1", "jane.roe", "555-0147", "Jane Roe"):
        assert not [cell for cell in cells if secret in cell], secret


def test_bad_answers_are_refused_and_store_nothing(portal, open_survey, client):
    assert _answer(client, open_survey.id, [11, 5]).status_code == 400
    assert _answer(client, open_survey.id, []).status_code == 400  # nothing answered
    assert _answer(client, open_survey.id, [5], district="D9").status_code == 400
    assert _answer(client, open_survey.id, [5], website="http://spam.example").status_code == 400
    assert _answer(client, open_survey.id, [5], free_text="x" * 1001).status_code == 400
    forged = client.post(f"/surveys/{open_survey.id}/", data={"district": "D1"})
    assert forged.status_code == 400
    with portal.db.session() as session:
        assert session.scalars(select(SurveyResponse)).all() == []
        assert session.scalars(select(SurveySubmissionKey)).all() == []


def test_a_closed_survey_takes_no_answers(portal, open_survey, client):
    with portal.db.session() as session:
        closed = surveys.create_survey(
            session,
            title="Last year",
            opens_on=date(2020, 1, 1),
            closes_on=date(2020, 3, 31),
            questions=surveys.DEFAULT_QUESTIONS[:1],
            created_by=ADMIN[0],
        )
    assert "not taking answers today" in client.get(f"/surveys/{closed.id}/").get_data(as_text=True)
    token = csrf_token(client, f"/surveys/{open_survey.id}/")
    response = client.post(f"/surveys/{closed.id}/", data={"csrf_token": token, "district": "D1"})
    assert response.status_code == 410
    assert client.get("/surveys/999/").status_code == 404


def test_duplicate_keys_are_per_day_and_deleted_when_the_day_is_over(portal, open_survey):
    def submit(session, day: date, client: str = "203.0.113.9") -> None:
        survey = session.get(Survey, open_survey.id)
        surveys.submit_response(
            session,
            survey,
            answers={survey.questions[0].id: 5},
            district="D1",
            free_text=None,
            client=client,
            secret="s3cret",
            today=day,
        )

    today = utcnow().date()
    with portal.db.session() as session:
        submit(session, today)
        submit(session, today, client="198.51.100.4")  # another address
        with pytest.raises(DuplicateSubmission):
            submit(session, today)
    with portal.db.session() as session:
        submit(session, today + timedelta(days=1))  # the next day counts again
        assert [k.day for k in session.scalars(select(SurveySubmissionKey))] == [
            today + timedelta(days=1)
        ]
        with pytest.raises(SurveyClosed):
            submit(session, today + timedelta(days=365))
    assert surveys.submission_digest("s3cret", 1, "203.0.113.9", today) != (
        surveys.submission_digest("other", 1, "203.0.113.9", today)
    )
