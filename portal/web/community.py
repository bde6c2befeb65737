"""Public community pages: comments on datasets, survey forms, the trust index and their JSON."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address

from portal.community import comments, surveys, trust
from portal.community.errors import (
    DuplicateSubmission,
    FeedbackRejected,
    SurveyClosed,
    UnknownSurvey,
)
from portal.community.models import Survey
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, limiter, portal, storage
from portal.models import Dataset, utcnow

community = Blueprint("community", __name__)
# Per client address; a household or office behind one address shares the budget.
COMMENT_RATE_LIMIT = "5 per hour"
SURVEY_RATE_LIMIT = "10 per hour"
HONEYPOT = "website"  # hidden from people; bots fill every field they find


@community.app_context_processor
def _comment_helpers() -> dict:
    return {
        "dataset_comments": lambda dataset: comments.published_comments(db_session(), dataset),
        "comment_kinds": comments.KIND_LABELS,
        "comment_limits": {"body": comments.MAX_BODY, "name": comments.MAX_NAME},
    }


def _published(slug: str) -> Dataset:
    try:
        return browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)


def _refuse(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


@community.post("/datasets/<slug>/comments")
@limiter.limit(COMMENT_RATE_LIMIT)
def comment_post(slug: str) -> Response | tuple[str, int]:
    dataset = _published(slug)
    form = request.form
    if form.get(HONEYPOT):
        return _refuse(400, "Comment not accepted", "The comment could not be accepted.")
    session = db_session()
    try:
        comments.submit_comment(
            session, dataset, form.get("kind", ""), form.get("body"), form.get("name")
        )
        session.commit()
    except FeedbackRejected as error:
        session.rollback()
        return _refuse(400, "Comment not accepted", f"{error} Go back to change it.")
    flash("Thank you. Your comment will appear here once a moderator has read it.", "success")
    return redirect(url_for("public.dataset", slug=slug, _anchor="comments"), 303)


@community.get("/surveys/")
def survey_list() -> str:
    found = surveys.open_surveys(db_session(), utcnow().date())
    return render_template("community/surveys.html", surveys=found)


@community.get("/surveys/<int:survey_id>/")
def survey(survey_id: int) -> str:
    found = _survey(survey_id)
    return render_template(
        "community/survey.html",
        survey=found,
        is_open=found.is_open(utcnow().date()),
        districts=surveys.DISTRICTS,
        max_free_text=surveys.MAX_FREE_TEXT,
    )


@community.post("/surveys/<int:survey_id>/")
@limiter.limit(SURVEY_RATE_LIMIT)
def survey_answer(survey_id: int) -> Response | tuple[str, int]:
    found = _survey(survey_id)
    form = request.form
    if form.get(HONEYPOT):
        return _refuse(400, "Answers not accepted", "Your answers could not be accepted.")
    session = db_session()
    try:
        surveys.submit_response(
            session,
            found,
            answers={q.id: form.get(f"q-{q.id}") for q in found.questions},
            district=form.get("district"),
            free_text=form.get("free_text"),
            client=get_remote_address(),
            secret=portal().config.secret_key,
            today=utcnow().date(),
        )
        session.commit()
    except FeedbackRejected as error:
        session.rollback()
        return _refuse(400, "Answers not accepted", f"{error} Go back to change your answers.")
    except DuplicateSubmission as error:
        session.rollback()
        return _refuse(409, "Already answered", f"{error} Thank you for taking part.")
    except SurveyClosed as error:
        session.rollback()
        return _refuse(410, "Survey closed", str(error))
    return redirect(url_for("community.survey_thanks", survey_id=survey_id), 303)


@community.get("/surveys/<int:survey_id>/thanks")
def survey_thanks(survey_id: int) -> str:
    return render_template("community/thanks.html", survey=_survey(survey_id))


def _survey(survey_id: int) -> Survey:
    try:
        return surveys.get_survey(db_session(), survey_id)
    except UnknownSurvey:
        abort(404)


@community.get("/trust/")
def trust_page() -> str:
    summary = trust.published_summary(db_session(), storage())
    return render_template(
        "community/trust.html",
        **summary,
        open_surveys=surveys.open_surveys(db_session(), utcnow().date()),
        measures=surveys.MEASURES,
        min_responses=trust.MIN_RESPONSES,
        k=trust.SMALL_CELL_K,
    )
