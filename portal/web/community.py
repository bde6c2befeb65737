"""Public community pages: comments on datasets, survey forms, the trust index and their JSON."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address

from portal import languages
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
from portal.languages import N_
from portal.languages import gettext as _
from portal.models import Dataset, utcnow
from portal.web.public import dataset_page

community = Blueprint("community", __name__)
# Per client address; a household or office behind one address shares the budget.
COMMENT_RATE_LIMIT = "5 per hour"
# Generous: a library or a carrier's shared mobile address carries many residents; each browser
# answers a survey once (portal.community.surveys), and this only slows scripted stuffing.
SURVEY_RATE_LIMIT = "30 per hour"
BROWSER_COOKIE = "survey_browser"  # a random token: one answer per survey per browser
BROWSER_COOKIE_DAYS = 365
MISSING_BROWSER_COOKIE = N_(
    "Your browser did not send the survey's token (a cookie), so your answers were not "
    "recorded yet. They are kept below: please send them again."
)
HONEYPOT = "website"  # hidden from people; bots fill every field they find
COMMENT_SENT = "comment-sent"  # a flash shown beside the comment form, not at the page's top


@community.app_context_processor
def _comment_helpers() -> dict:
    return {
        "dataset_comments": lambda dataset: comments.published_comments(db_session(), dataset),
        "comment_kinds": comments.KIND_LABELS,
        "comment_limits": {"body": comments.MAX_BODY, "name": comments.MAX_NAME},
        "comment_sent": COMMENT_SENT,
        "survey_text": surveys.survey_text,
        "question_text": surveys.question_text,
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
        return _refuse(400, _("Comment not accepted"), _("The comment could not be accepted."))
    session = db_session()
    try:
        comment = comments.submit_comment(
            session, dataset, form.get("kind", ""), form.get("body"), form.get("name")
        )
        session.commit()
    except FeedbackRejected as error:
        session.rollback()
        # The dataset page again, its form showing each problem beside its field with the
        # text as sent; the form's address ends in #write-comment, so that is where it opens.
        page, _status = dataset_page(
            dataset, comment_form={**form.to_dict(), "problems": error.problems}
        )
        return page, 400
    flash(
        _(
            "Thank you. Your comment is number %(number)s; it will appear on this page once a "
            "moderator has read it.",
            number=comment.id,
        ),
        COMMENT_SENT,
    )
    return redirect(url_for("public.dataset", slug=slug, _anchor="write-comment"), 303)


@community.get("/datasets/<slug>/comments")
def comment_form(slug: str) -> Response:
    """The form's own address (reloaded or bookmarked after a refusal) leads back to it."""
    _published(slug)
    return redirect(url_for("public.dataset", slug=slug, _anchor="write-comment"), 303)


@community.get("/surveys/")
def survey_list() -> str:
    found = surveys.open_surveys(db_session(), utcnow().date())
    return render_template("community/surveys.html", surveys=found)


@community.get("/surveys/<int:survey_id>/")
def survey(survey_id: int) -> Response:
    return _survey_page(_survey(survey_id))


def _survey_page(found: Survey, status: int = 200, **extra: object) -> Response:
    """The survey form; it gives the browser its token for the one-answer-per-browser rule."""
    response = make_response(
        render_template(
            "community/survey.html",
            survey=found,
            is_open=found.is_open(utcnow().date()),
            districts=surveys.DISTRICTS,
            max_free_text=surveys.MAX_FREE_TEXT,
            **extra,
        ),
        status,
    )
    if not request.cookies.get(BROWSER_COOKIE):
        response.set_cookie(
            BROWSER_COOKIE,
            secrets.token_urlsafe(18),
            max_age=BROWSER_COOKIE_DAYS * 86400,
            path="/surveys/",
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


@community.post("/surveys/<int:survey_id>/")
@limiter.limit(SURVEY_RATE_LIMIT)
def survey_answer(survey_id: int) -> Response | tuple[str, int]:
    found = _survey(survey_id)
    form = request.form
    if form.get(HONEYPOT):
        return _refuse(400, _("Answers not accepted"), _("Your answers could not be accepted."))
    browser = request.cookies.get(BROWSER_COOKIE)
    if not browser:  # the page gave one: refuse rather than count this answer blindly
        return _survey_page(
            found, 400, problems={"": _(MISSING_BROWSER_COOKIE)}, sent=form.to_dict()
        )
    session = db_session()
    try:
        surveys.submit_response(
            session,
            found,
            answers={q.id: form.get(f"q-{q.id}") for q in found.questions},
            district=form.get("district"),
            free_text=form.get("free_text"),
            client=get_remote_address(),
            browser=browser,
            secret=portal().config.secret_key,
            today=utcnow().date(),
            # the language its statements were shown in (the form says), else the page's
            language=languages.supported(form.get("language")) or languages.current(),
        )
        session.commit()
    except FeedbackRejected as error:
        session.rollback()
        # The form again with each problem beside its question and every answer kept.
        return _survey_page(found, 400, problems=error.problems, sent=form.to_dict())
    except DuplicateSubmission as error:
        session.rollback()
        return _refuse(
            409, _("Already answered"), _("%(reason)s Thank you for taking part.", reason=error)
        )
    except SurveyClosed as error:
        session.rollback()
        return _refuse(410, _("Survey closed"), str(error))
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
        browser_cookie=BROWSER_COOKIE,
        address_limit=surveys.ADDRESS_DAILY_LIMIT,
    )
