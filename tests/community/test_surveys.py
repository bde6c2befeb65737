"""Surveys: admins publish them; residents answer once per browser without leaving personal data."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select, text

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


def test_a_resident_answers_once_per_browser_and_only_scores_and_scrubbed_text_are_kept(
    portal, open_survey, client
):
    sent = _answer(client, open_survey.id, [7, 8, 3, 6], free_text=PLANTED)
    assert sent.status_code == 303 and sent.location.endswith(f"/surveys/{open_survey.id}/thanks")
    again = _answer(client, open_survey.id, [0, 0, 0, 0])
    assert again.status_code == 409
    assert "already answered from this browser" in again.get_data(as_text=True)

    with portal.db.session() as session:
        (response,) = session.scalars(select(SurveyResponse)).all()
        assert sorted(a.score for a in response.answers) == [3, 6, 7, 8]
        assert response.district == "D2"
        assert response.quarter == surveys.quarter_of(utcnow().date())
        assert response.free_text == "Write to [e-mail] or call [phone]. [name]."
        keys = session.scalars(select(SurveySubmissionKey)).all()
        assert len(keys) == 2  # the browser's, and the address's first place of the day
        assert all(re.fullmatch(r"[0-9a-f]{64}", key.digest) for key in keys)
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
    token = client.get_cookie("survey_browser", path="/surveys/").value
    for secret in ("127.0.0.1", "jane.roe", "555-0147", "Jane Roe", token):
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


def test_one_answer_per_browser_and_a_generous_cap_per_address_a_day(portal, open_survey):
    def submit(session, day: date, browser: str | None, client: str = "203.0.113.9") -> None:
        survey = session.get(Survey, open_survey.id)
        surveys.submit_response(
            session,
            survey,
            answers={survey.questions[0].id: 5},
            district="D1",
            free_text=None,
            client=client,
            browser=browser,
            secret="s3cret",
            today=day,
        )

    today = utcnow().date()
    limit = surveys.ADDRESS_DAILY_LIMIT
    with portal.db.session() as session:
        # A household, a library: many browsers behind one address all answer.
        for n in range(limit):
            submit(session, today, browser=f"browser-{n}")
        with pytest.raises(DuplicateSubmission, match=f"{limit} answers from your network"):
            submit(session, today, browser="one-more")
        submit(session, today, browser="one-more", client="198.51.100.4")  # another address
        with pytest.raises(DuplicateSubmission, match="already answered from this browser"):
            submit(session, today, browser="browser-3", client="198.51.100.4")
    with portal.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == limit + 1
        # The next day the address counts from zero again; a browser still answers only once.
        submit(session, today + timedelta(days=1), browser="next-day")
        with pytest.raises(DuplicateSubmission, match="this browser"):
            submit(session, today + timedelta(days=1), browser="browser-0")
        kept = [k.day for k in session.scalars(select(SurveySubmissionKey))]
        # Yesterday's address places are gone; the browsers' keys stay until the survey closes.
        assert sorted(set(kept)) == [today + timedelta(days=1), open_survey.closes_on]
        assert kept.count(open_survey.closes_on) == limit + 2
        with pytest.raises(SurveyClosed):
            submit(session, today + timedelta(days=365), browser="late")
    assert surveys.submission_digest("s3cret", 1, "address", "203.0.113.9", today) != (
        surveys.submission_digest("other", 1, "address", "203.0.113.9", today)
    )


def test_residents_behind_one_address_each_answer_and_a_missing_token_loses_nothing(
    portal, open_survey, app
):
    path = f"/surveys/{open_survey.id}/"
    first, second = app.test_client(), app.test_client()
    for resident in (first, second):  # two people behind one address, one after the other
        assert _answer(resident, open_survey.id, [6, 6]).status_code == 303
    cookie = app.test_client().get(path).headers["Set-Cookie"]
    assert cookie.startswith("survey_browser=") and "Path=/surveys/" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # A browser whose token went missing (cleared between page and answer) is not counted
    # blindly: its answers come back with a new token, to send again.
    third = app.test_client()
    token = csrf_token(third, path)
    third.delete_cookie("survey_browser", path="/surveys/")
    refused = third.post(
        path, data={"csrf_token": token, "district": "D4", f"q-{open_survey.questions[0].id}": "9"}
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "did not send the survey&#39;s token" in page
    assert '<option value="D4" selected>' in page
    assert "survey_browser=" in refused.headers["Set-Cookie"]
    resent = third.post(
        path, data={"csrf_token": token, "district": "D4", f"q-{open_survey.questions[0].id}": "9"}
    )
    assert resent.status_code == 303
    with portal.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 3


def test_a_refused_answer_comes_back_with_each_problem_and_every_answer_kept(
    portal, open_survey, client
):
    refused = _answer(client, open_survey.id, [7, 11], district="", free_text="x" * 1001)

    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page and "<title>Error: " in page
    assert '<a href="#district">Choose your district' in page
    assert "“Anything else” is 1,001 characters long" in page
    assert "Answers are whole numbers from 0 to 10." in page
    assert ">" + "x" * 1001 + "</textarea>" in page
    first = open_survey.questions[0].id
    assert f'id="q-{first}-7" name="q-{first}" value="7" checked' in page
    with portal.db.session() as session:
        assert session.scalars(select(SurveyResponse)).all() == []

    fixed = _answer(client, open_survey.id, [7, 10])
    assert fixed.status_code == 303
