"""Records office: policy candidates (upload, the diff against the version in effect,
approve now or at a set time, reject), retraction, and syncing the definitions folder."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import AlreadyDecided, NothingToApprove, PortalError
from portal.extensions import db_session, portal, reviewer_required
from portal.policies import library, review, sources
from portal.policies.diff import compare
from portal.policies.models import Policy, PolicyStatus, PolicyVersion
from portal.releases.embargoes import parse_publish_at

policy_office = Blueprint("policy_office", __name__, url_prefix="/office/policies")


@policy_office.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@policy_office.get("/")
@reviewer_required
def index(error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = db_session()
    from sqlalchemy import select

    every = list(session.scalars(select(Policy).order_by(Policy.slug)))
    _, broken = sources.load_definitions(portal().config.policies_dir)
    return render_template(
        "office/policies.html",
        candidates=library.candidates(session),
        policies=[(p, library.public_versions(session, p)) for p in every],
        broken=broken,
        error=error,
        form=request.form,
    ), status


@policy_office.post("/upload")
@reviewer_required
def upload() -> Response | tuple[str, int]:
    """A Markdown, Word or PDF document becomes a candidate of a new or existing policy."""
    form, session = request.form, db_session()
    document = request.files.get("document")
    try:
        if document is None or not document.filename:
            raise review.PolicyRefused("choose the policy document to upload (.md, .docx or .pdf)")
        effective = _date(form.get("effective_on", ""))
        slug = form.get("policy", "").strip()
        if slug == "new":
            policy = review.ensure_policy(
                session, form.get("slug", "").strip(), form.get("number", ""), form.get("title", "")
            )
        else:
            policy = library.get_policy(session, slug)
        version = review.submit(
            session, portal().config, policy, document.filename, document.read(), effective,
            source="upload", source_ref=current_user.email, actor=current_user.email,
        )  # fmt: skip
        session.commit()
    except PortalError as error:
        session.rollback()
        return index(f"Nothing was kept: {error}.", 400)
    flash(f"{policy.title}: the document is a candidate now; review it below.", "success")
    return redirect(url_for("policy_office.candidate", version_id=version.id))


@policy_office.post("/sync")
@reviewer_required
def sync() -> Response:
    """Read the definitions folder now (and check file or HTTP sources)."""
    session, config = db_session(), portal().config
    definitions, broken = sources.load_definitions(config.policies_dir)
    messages = []
    for definition in definitions:
        try:
            outcomes = sources.sync_definition(session, config, definition, current_user.email)
            if definition.source is not None:
                outcomes.append(sources.check_source(session, config, definition))
            session.commit()
            messages += [f"{o.policy}: {o.message}" for o in outcomes]
        except PortalError as error:
            session.rollback()
            messages.append(f"{definition.slug}: not read: {error}")
    messages += [f"{slug}: {error}" for slug, error in broken.items()]
    flash(" · ".join(messages) or "The policies folder holds no policy.", "success")
    return redirect(url_for("policy_office.index"))


@policy_office.get("/candidates/<int:version_id>")
@reviewer_required
def candidate(version_id: int, error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = db_session()
    found = session.get(PolicyVersion, version_id) or abort(404)
    if found.status not in (PolicyStatus.CANDIDATE, PolicyStatus.SCHEDULED):
        error = error or f"This version was {found.status.value}; nothing is left to decide."
    current = library.current(session, found.policy)
    suggested = _suggested_summary(found)
    return render_template(
        "office/policy_candidate.html",
        version=found,
        current=current,
        diff=compare(current.text if current else "", found.text),
        view="inline" if request.args.get("view") == "inline" else "side",
        suggested=suggested,
        error=error,
        form=request.form,
    ), status


@policy_office.post("/candidates/<int:version_id>/approve")
@reviewer_required
def approve(version_id: int) -> Response | tuple[str, int]:
    session, form = db_session(), request.form
    try:
        publish_at = None
        if form.get("when") == "later":
            publish_at = parse_publish_at(form.get("publish_at", ""), form.get("timezone", "UTC"))
        version = review.approve(
            session, portal().config, version_id, current_user, form.get("summary", ""), publish_at
        )
        session.commit()
    except PortalError as error:
        session.rollback()
        return candidate(version_id, str(error), _status(error))
    title = version.policy.title
    if version.status == PolicyStatus.SCHEDULED:
        flash(
            f"{title}: approved; it will be published on {version.publish_at:%Y-%m-%d %H:%M} UTC.",
            "success",
        )
    else:
        flash(f"Published {title} version {version.number}.", "success")
    return redirect(url_for("policy_office.index"))


@policy_office.post("/candidates/<int:version_id>/reject")
@reviewer_required
def reject(version_id: int) -> Response | tuple[str, int]:
    session = db_session()
    try:
        version = review.reject(session, version_id, current_user, request.form.get("note", ""))
        session.commit()
    except PortalError as error:
        session.rollback()
        return candidate(version_id, str(error), _status(error))
    flash(f"Rejected the candidate of {version.policy.title}.", "success")
    return redirect(url_for("policy_office.index"))


@policy_office.post("/candidates/<int:version_id>/unschedule")
@reviewer_required
def unschedule(version_id: int) -> Response | tuple[str, int]:
    session = db_session()
    try:
        review.cancel_schedule(session, version_id, current_user)
        session.commit()
    except PortalError as error:
        session.rollback()
        return candidate(version_id, str(error), _status(error))
    flash("The scheduled publication is cancelled; the version is back in review.", "success")
    return redirect(url_for("policy_office.candidate", version_id=version_id))


@policy_office.post("/<slug>/v<int:number>/retract")
@reviewer_required
def retract(slug: str, number: int) -> Response | tuple[str, int]:
    session, form = db_session(), request.form
    try:
        if form.get("confirm") != "yes":
            raise review.PolicyRefused("tick the box to confirm the retraction")
        review.retract(session, portal().config, slug, number, current_user, form.get("reason", ""))
        session.commit()
    except PortalError as error:
        session.rollback()
        return index(f"Nothing was retracted: {error}.", _status(error))
    flash(f"Version {number} of {slug} is withdrawn; its page shows the notice.", "success")
    return redirect(url_for("policy_office.index"))


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise review.PolicyRefused(
            f"{value!r} is not an effective date such as 2025-03-01"
            if value.strip()
            else "give the date the version takes effect"
        ) from None


def _status(error: PortalError) -> int:
    return 409 if isinstance(error, AlreadyDecided | NothingToApprove) else 400


def _suggested_summary(version: PolicyVersion) -> str:
    """The summary a definition file offers (front matter `summary:`), for the reviewer to edit."""
    if version.source != "definitions":
        return ""
    from portal.policies.extract import split_front_matter

    staged = review.staged_dir(portal().config, version) / version.original_file
    try:
        front, _ = split_front_matter(staged.name, staged.read_text(encoding="utf-8"))
    except (OSError, PortalError, UnicodeDecodeError):
        return ""
    return str(front.get("summary") or "")
