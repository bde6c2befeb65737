"""The records office's community desk: the comment moderation queue and the survey admin."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.community import comments, surveys
from portal.community.errors import FeedbackRejected, UnknownComment
from portal.community.models import Comment, CommentKind
from portal.errors import PortalError
from portal.extensions import admin_required, db_session, reviewer_required
from portal.models import Version
from portal.policies.models import Policy

moderation = Blueprint("moderation", __name__, url_prefix="/office")


@moderation.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@moderation.get("/moderation/")
@reviewer_required
def queue() -> str:
    session = db_session()
    shown = comments.pending_comments(session) + comments.recent_published(session)
    problems = {c.dataset_id for c in shown if c.kind == CommentKind.PROBLEM and c.dataset_id}
    versions = {
        dataset_id: list(
            session.scalars(
                select(Version.number)
                .where(Version.dataset_id == dataset_id)
                .order_by(Version.number.desc())
            )
        )
        for dataset_id in problems
    }
    return render_template(
        "office/moderation.html",
        pending=comments.pending_comments(session),
        published=comments.recent_published(session),
        versions=versions,
        kinds=comments.KIND_LABELS,
        policies=_policies(session, shown),
    )


def _policies(session, shown: list[Comment]) -> dict[int, Policy]:  # noqa: ANN001
    """The policies comments are on, by id (a comment names a dataset or a policy)."""
    ids = {c.policy_id for c in shown if c.policy_id}
    return {p.id: p for p in session.scalars(select(Policy).where(Policy.id.in_(ids)))}


@moderation.post("/moderation/<int:comment_id>/<action>")
@reviewer_required
def moderate(comment_id: int, action: str) -> Response:
    session = db_session()
    try:
        comment = comments.get_comment(session, comment_id)
    except UnknownComment:
        abort(404)
    form, moderator = request.form, current_user.email
    actions = {
        "publish": lambda: comments.publish_comment(session, comment, moderator),
        "reject": lambda: comments.reject_comment(session, comment, moderator, form.get("reason")),
        "answer": lambda: comments.answer_comment(session, comment, moderator, form.get("answer")),
        "unpublish": lambda: comments.unpublish_comment(
            session, comment, moderator, form.get("reason")
        ),
        "fixed": lambda: comments.mark_fixed(session, comment, moderator, _version(form)),
    }
    if action not in actions:
        abort(404)
    try:
        actions[action]()
        session.commit()
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("moderation.queue"))
    flash(_done(comment, action), "success")
    return redirect(url_for("moderation.queue"))


def _version(form: dict) -> int | None:
    raw = (form.get("version") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise FeedbackRejected("Choose a version number.")
    return int(raw)


def _done(comment: Comment, action: str) -> str:
    subject = comment.dataset.title if comment.dataset else "a policy"
    if comment.policy_id:
        policy = db_session().get(Policy, comment.policy_id)
        subject = f"the {policy.title} policy" if policy else subject
    where = f"comment {comment.id} on {subject}"
    return {
        "publish": f"Published {where}.",
        "reject": f"Rejected {where}; the reason is in the audit log.",
        "answer": f"Answered {where}; the answer is public.",
        "fixed": f"Updated the fix of {where}.",
        "unpublish": f"Unpublished {where}; it is no longer public. The reason is audited.",
    }[action]


# -- surveys (admins) ------------------------------------------------------------------------


@moderation.get("/surveys/")
@admin_required
def survey_admin() -> str:
    session = db_session()
    found = surveys.all_surveys(session)
    return render_template(
        "office/surveys.html",
        surveys=found,
        counts=surveys.response_counts(session),
        free_text={s.id: surveys.recent_free_text(session, s, limit=10) for s in found},
        measures=surveys.MEASURES,
        defaults=list(surveys.DEFAULT_QUESTIONS),
        default_spanish=surveys.DEFAULT_TRANSLATIONS["es"],
        max_questions=surveys.MAX_QUESTIONS,
    )


@moderation.post("/surveys/")
@admin_required
def survey_create() -> Response:
    form, session = request.form, db_session()
    # each statement with its Spanish, when given (else residents reading Spanish see English)
    questions = [
        (
            form.get(f"measure-{i}", ""),
            form.get(f"question-{i}", ""),
            {"es": form.get(f"question-es-{i}", "")},
        )
        for i in range(surveys.MAX_QUESTIONS)
    ]
    try:
        survey = surveys.create_survey(
            session,
            title=form.get("title", ""),
            introduction=form.get("introduction", ""),
            opens_on=_date(form.get("opens_on"), "opening date"),
            closes_on=_date(form.get("closes_on"), "closing date"),
            questions=questions,
            created_by=current_user.email,
            translations={
                "es": {
                    "title": form.get("title-es", ""),
                    "introduction": form.get("introduction-es", ""),
                }
            },
        )
        session.commit()
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("moderation.survey_admin"))
    flash(
        f"Survey {survey.id} published: residents can answer it at /surveys/{survey.id}/.",
        "success",
    )
    return redirect(url_for("moderation.survey_admin"))


def _date(raw: str | None, what: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise FeedbackRejected(f"Give the {what} as a date (YYYY-MM-DD).") from None
