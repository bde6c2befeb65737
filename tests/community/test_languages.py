"""Surveys in two languages: statements and scale in the reader's language, the language an
answer was given in recorded, and the trust index by language with the same small-cell rules."""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from portal.community import surveys, trust
from portal.community.models import Survey, SurveyAnswer, SurveyResponse
from portal.models import Candidate, utcnow
from portal.storage import LocalStorage
from tests.conftest import ADMIN, csrf_token
from tests.flow import run

PUBLISHERS = Path(__file__).resolve().parents[2] / "publishers"
TITLE_ES = "¿Cómo lo estamos haciendo?"


@pytest.fixture
def bilingual_survey(portal) -> Survey:
    today = utcnow().date()
    with portal.db.session() as session:
        return surveys.create_survey(
            session,
            title="How are we doing?",
            opens_on=today - timedelta(days=1),
            closes_on=today + timedelta(days=30),
            questions=[
                (measure, text, {"es": surveys.DEFAULT_TRANSLATIONS["es"][measure]})
                for measure, text in surveys.DEFAULT_QUESTIONS
            ],
            created_by=ADMIN[0],
            translations={"es": {"title": TITLE_ES}},
        )


def _staged(portal, run_id: int, filename: str) -> Path:  # noqa: ANN001
    """A file of the candidate a run staged, as the records office reviews it."""
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate).where(Candidate.run_id == run_id))
        assert filename in [f["filename"] for f in candidate.files]
        return LocalStorage(portal.config.data_dir).staged(candidate.staged_dir) / filename


def _answer_in_spanish(client, survey_id: int, scores: list[int]):  # noqa: ANN202
    path = f"/surveys/{survey_id}/?lang=es"
    page = client.get(path).get_data(as_text=True)
    names = re.findall(r'name="(q-\d+)" value="0"', page)
    data = {"csrf_token": csrf_token(client, path), "district": "D1", "language": "es"}
    data.update({name: str(score) for name, score in zip(names, scores, strict=True)})
    return client.post(f"/surveys/{survey_id}/", data=data)


def test_the_survey_speaks_the_readers_language_and_falls_back_visibly(client, bilingual_survey):
    page = client.get(f"/surveys/{bilingual_survey.id}/?lang=es").get_data(as_text=True)

    assert '<html lang="es">' in page
    assert f"<h1>{TITLE_ES}</h1>" in page
    assert "La policía de mi vecindario trata con respeto a los residentes." in page
    assert "0 = totalmente en desacuerdo" in page and "10 = totalmente de acuerdo" in page
    assert "¿En qué distrito policial vive usted?" in page
    assert '<input type="hidden" name="language" value="es">' in page
    # The introduction has no Spanish: it is shown in English, marked as such.
    with_intro = client.get(f"/surveys/{bilingual_survey.id}/?lang=en").get_data(as_text=True)
    assert "<h1>How are we doing?</h1>" in with_intro


def test_a_statement_without_spanish_is_marked_english(portal, client):
    today = utcnow().date()
    with portal.db.session() as session:
        found = surveys.create_survey(
            session,
            title="Only English",
            opens_on=today,
            closes_on=today,
            questions=[("trust", "I trust the police.")],
            created_by=ADMIN[0],
        )
    page = client.get(f"/surveys/{found.id}/?lang=es").get_data(as_text=True)
    assert '<h1 lang="en">Only English</h1>' in page
    assert (
        '<span lang="en">I trust the police.</span> <span class="muted">(en inglés)</span>' in page
    )


def test_a_survey_answered_in_spanish_appears_in_the_next_trust_candidate_with_its_language(
    portal, client, bilingual_survey
):
    sent = _answer_in_spanish(client, bilingual_survey.id, [8, 9, 7, 8])
    assert sent.status_code == 303
    thanks = client.get(sent.location).get_data(as_text=True)
    assert f"Sus respuestas a «{TITLE_ES}» quedaron registradas." in thanks
    quarter = surveys.quarter_of(utcnow().date())
    with portal.db.session() as session:
        (response,) = session.scalars(select(SurveyResponse)).all()
        assert response.language == "es"
        questions = session.get(Survey, bilingual_survey.id).questions
        # More residents of the same quarter, 11 in Spanish and 12 in English: both cells
        # reach the 10 that publishes a count.
        for language, count in (("es", 11), ("en", 12)):
            for _ in range(count):
                session.add(
                    SurveyResponse(
                        survey_id=bilingual_survey.id,
                        quarter=quarter,
                        district="D2",
                        language=language,
                        answers=[SurveyAnswer(question_id=q.id, score=6) for q in questions],
                    )
                )

    result = run(portal, "community-trust")

    assert result.status.value == "succeeded", result.error
    path = _staged(portal, result.id, "language-quarterly.csv")
    rows = {(r["quarter"], r["language"]): r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert rows[(quarter, "es")]["responses"] == "12"  # the web answer and the 11 others
    assert rows[(quarter, "en")]["responses"] == "12"
    assert rows[(quarter, "es")]["suppressed"] == "false"
    # fewer than 50: a count, no estimate, as for a district
    assert rows[(quarter, "es")]["trust_index"] == ""


def test_a_small_language_cell_is_suppressed_with_its_complement(portal, bilingual_survey):
    quarter = surveys.quarter_of(utcnow().date())
    with portal.db.session() as session:
        questions = session.get(Survey, bilingual_survey.id).questions
        for language, count in (("es", 4), ("en", 60)):
            for i in range(count):
                session.add(
                    SurveyResponse(
                        survey_id=bilingual_survey.id,
                        quarter=quarter,
                        district="D1",
                        language=language,
                        answers=[SurveyAnswer(question_id=q.id, score=i % 11) for q in questions],
                    )
                )

    result = run(portal, "community-trust")

    assert result.status.value == "succeeded", result.error
    path = _staged(portal, result.id, "language-quarterly.csv")
    rows = {r["language"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    # 4 answers in Spanish: suppressed, and English with it, or 64 - 60 would give it away
    assert rows["es"]["suppressed"] == rows["en"]["suppressed"] == "true"
    assert rows["es"]["responses"] == rows["en"]["responses"] == ""


def test_the_language_table_applies_the_published_thresholds():
    entry = yaml.safe_load((PUBLISHERS / "community-trust.yaml").read_text(encoding="utf-8"))
    resource = entry["resources"]["language-quarterly"]
    thresholds = set(re.findall(r"n >= (\d+)", resource["source"]["query"]))

    assert thresholds == {str(trust.MIN_RESPONSES)}
    assert resource["privacy"]["suppress"]["k"] == trust.SMALL_CELL_K
    assert resource["privacy"]["suppress"]["rows"] == "language"


def test_an_admin_gives_a_survey_its_spanish_in_the_office(portal, officer, app):
    from tests.conftest import login

    admin = app.test_client()
    login(admin, *ADMIN)
    form = {
        "csrf_token": csrf_token(admin, "/office/surveys/"),
        "title": "Neighborhood survey, winter",
        "title-es": "Encuesta del vecindario, invierno",
        "opens_on": "2026-01-01",
        "closes_on": "2030-12-31",
        "measure-0": "trust",
        "question-0": "The police in my neighborhood listen to residents.",
        "question-es-0": "La policía de mi vecindario escucha a los residentes.",
        "measure-1": "safety",
        "question-1": "I feel safe walking alone at night.",
        "question-es-1": "",
    }
    assert admin.post("/office/surveys/", data=form).status_code == 302
    with portal.db.session() as session:
        (survey,) = session.scalars(select(Survey)).all()
        survey_id = survey.id
        assert survey.translations == {"es": {"title": "Encuesta del vecindario, invierno"}}
        assert [q.translations for q in survey.questions] == [
            {"es": {"text": "La policía de mi vecindario escucha a los residentes."}},
            None,
        ]
    page = app.test_client().get(f"/surveys/{survey_id}/?lang=es").get_data(as_text=True)
    assert "<h1>Encuesta del vecindario, invierno</h1>" in page
    assert "La policía de mi vecindario escucha a los residentes." in page
    assert '<span lang="en">I feel safe walking alone at night.</span>' in page
