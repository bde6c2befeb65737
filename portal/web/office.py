"""The records office: the review queue, a candidate's report and rows, approve and reject."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.errors import AlreadyDecided, NothingToApprove, PortalError
from portal.extensions import db_session, portal, reviewer_required
from portal.models import Candidate, Run
from portal.policies import library as policy_library
from portal.releases import review
from portal.releases.review_page import review_page
from portal.releases.review_page import staged_preview as staged_page
from portal.storage import LocalStorage

office = Blueprint("office", __name__, url_prefix="/office")


@office.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@office.get("/")
@reviewer_required
def index() -> str:
    session = db_session()
    runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(20))
    return render_template(
        "office/index.html",
        candidates=review.pending_candidates(session),
        runs=list(runs),
        broken=portal().broken,
        policy_candidates=len(policy_library.candidates(session)),
    )


@office.get("/candidates/<int:candidate_id>")
@reviewer_required
def candidate(candidate_id: int) -> str:
    return candidate_page(candidate_id)


def candidate_page(
    candidate_id: int, error: str | None = None, form: Mapping[str, str] | None = None
) -> str:
    """The candidate page; after a refused decision, with the reason and what was typed."""
    session = db_session()
    found = session.get(Candidate, candidate_id) or abort(404)
    page = review_page(session, LocalStorage(portal().config.data_dir), found, request.args)
    return render_template(
        "office/candidate.html", candidate=found, page=page, error=error, form=form or {}
    )


def check_reviewed(candidate_id: int) -> None:
    """The form names the candidate it was shown with; a decision never lands on another."""
    shown = request.form.get("candidate_id")
    if shown is not None and shown != str(candidate_id):
        raise NothingToApprove(f"this form was for candidate {shown}, not candidate {candidate_id}")


def refused(candidate_id: int, error: PortalError) -> tuple[str, int]:
    """A decision that could not apply: the page again, its note and time kept, 409 or 400."""
    # AlreadyDecided (#16) is a NothingToApprove: someone decided first; its message says
    # who and when, and the 409 says nothing was changed.
    status = 409 if isinstance(error, AlreadyDecided | NothingToApprove) else 400
    return candidate_page(candidate_id, str(error), request.form), status


@office.get("/candidates/<int:candidate_id>/files/<resource>")
@reviewer_required
def staged_preview(candidate_id: int, resource: str) -> str:
    found = db_session().get(Candidate, candidate_id) or abort(404)
    page = request.args.get("page", "1")
    rows = staged_page(
        LocalStorage(portal().config.data_dir),
        found,
        resource,
        int(page) if page.isdigit() and 0 < int(page) < 10**9 else 1,
    )
    if rows is None:
        abort(404)
    return render_template("office/staged.html", candidate=found, resource=resource, rows=rows)


@office.post("/candidates/<int:candidate_id>/approve")
@reviewer_required
def approve(candidate_id: int) -> Response | tuple[str, int]:
    return _decide(candidate_id, "approve")


@office.post("/candidates/<int:candidate_id>/reject")
@reviewer_required
def reject(candidate_id: int) -> Response | tuple[str, int]:
    return _decide(candidate_id, "reject")


def _decide(candidate_id: int, decision: str) -> Response | tuple[str, int]:
    session = db_session()
    found = session.get(Candidate, candidate_id) or abort(404)
    slug, note = found.dataset.slug, request.form.get("note", "")
    try:
        check_reviewed(candidate_id)
        if decision == "approve":
            version = review.approve(
                session, portal().config, slug, current_user, note, candidate_id=candidate_id
            )
            message = f"Published {found.dataset.title} version {version.number}."
        else:
            review.reject(session, slug, current_user, note, candidate_id=candidate_id)
            message = f"Rejected the candidate for {found.dataset.title}."
        session.commit()
    except PortalError as error:
        session.rollback()
        return refused(candidate_id, error)
    flash(message, "success")
    return redirect(url_for("office.index"))


# -- publishers: freshness, "run now", run history (the scheduler executes queued runs) -------


@office.context_processor
def _publishers() -> dict:
    from portal.models import utcnow
    from portal.scheduler.status import publisher_statuses

    # A callable, so only the pages that list publishers pay for the queries.
    return {
        "publisher_statuses": lambda: publisher_statuses(
            db_session(), portal().definitions, utcnow()
        )
    }


@office.post("/datasets/<slug>/run")
@reviewer_required
def run_now(slug: str) -> Response:
    from portal.errors import UnknownDataset
    from portal.scheduler.queue import request_run

    try:
        definition = portal().definition(slug)
    except UnknownDataset:
        abort(404)
    files = {}
    for resource in definition.resources:
        upload = request.files.get(f"upload-{resource.name}")
        if upload is not None and upload.filename:
            files[resource.name] = (upload.filename, upload.stream)
    session = db_session()
    try:
        queued = request_run(
            session, portal().config, definition, requested_by=current_user.email, files=files
        )
        session.commit()
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("office.index"))
    flash(
        f"Run {queued.id} of {definition.title} is queued; the scheduler starts it within "
        "a few seconds.",
        "success",
    )
    return redirect(url_for("office.dataset_runs", slug=slug))


@office.get("/datasets/<slug>/runs")
@reviewer_required
def dataset_runs(slug: str) -> str:
    from portal.datasets.definitions import get_dataset
    from portal.errors import UnknownDataset
    from portal.scheduler.status import run_history, run_outcomes

    session = db_session()
    try:
        dataset = get_dataset(session, slug)
    except UnknownDataset:
        abort(404)
    runs = run_history(session, dataset)
    return render_template(
        "office/runs.html", dataset=dataset, runs=runs, outcomes=run_outcomes(session, runs)
    )


@office.get("/runs/<int:run_id>")
@reviewer_required
def run_report(run_id: int) -> str:
    from portal.pipeline.report import PAGE, Page
    from portal.pipeline.report import run_report as report_of

    session = db_session()
    found = session.get(Run, run_id) or abort(404)
    page = Page(
        resource=request.args.get("resource") or None,
        field=request.args.get("field") or None,
        kind=request.args.get("kind") or None,
        offset=max(0, request.args.get("offset", 0, type=int) or 0),
        limit=request.args.get("limit", PAGE, type=int) or PAGE,
    )
    report = report_of(session, portal().config, run_id, page)
    return render_template("office/run.html", run=found, report=report, page=page)
