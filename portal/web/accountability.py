"""Accountability pages: the release ledger, the status page, rates, a dataset's feed and
corrections; in the office, recording corrections and approving with an embargo."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from portal import users
from portal.catalogs.feed import atom_feed
from portal.datasets import browse
from portal.datasets.definitions import get_dataset
from portal.errors import AlreadyDecided, PortalError, UnknownDataset
from portal.extensions import db_session, portal, reviewer_required, storage
from portal.figures import rates
from portal.models import Candidate, Dataset, Version, utcnow
from portal.releases import corrections, embargoes, ledger, review
from portal.scheduler.status import public_statuses
from portal.web import office

accountability = Blueprint("accountability", __name__)
accountability_office = Blueprint("accountability_office", __name__, url_prefix="/office")


# -- the ledger ------------------------------------------------------------------------------


@accountability.get("/ledger.json")
def ledger_json() -> Response:
    response = jsonify(ledger.public_document(db_session(), portal().config))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-cache"
    return response


@accountability.get("/ledger/")
def ledger_page() -> str:
    session = db_session()
    chain = list(reversed(ledger.entries(session)))
    return render_template(
        "ledger.html",
        chain=chain,
        bodies={e.seq: json.loads(e.body) for e in chain},
        # Entries signed before public names existed recorded an e-mail address: show the
        # name the user has now instead (the signed JSON keeps what was signed).
        names=users.public_labels(session),
        public_key=ledger.public_document(session, portal().config)["publicKey"],
    )


@accountability.get("/ledger/public-key.pem")
def public_key() -> Response:
    pem = ledger.public_document(db_session(), portal().config)["publicKey"]
    if pem is None:
        abort(404)
    return Response(pem, mimetype="application/x-pem-file")


# -- status ----------------------------------------------------------------------------------


@accountability.get("/status")
def status() -> str:
    session = db_session()
    return render_template(
        "status.html", datasets=public_statuses(session, utcnow()), head=ledger.head(session)
    )


# -- the dataset feed, rates and corrections on pages ----------------------------------------


@accountability.get("/datasets/<slug>/feed.atom")
def feed(slug: str) -> Response:
    session = db_session()
    try:
        dataset = get_dataset(session, slug)
    except UnknownDataset:
        abort(404)
    if session.scalar(select(Version.id).where(Version.dataset_id == dataset.id).limit(1)) is None:
        abort(404)  # nothing was ever published: the feed does not exist yet
    body = atom_feed(session, portal().config.base_url, dataset)
    response = Response(body, content_type="application/atom+xml; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@accountability.app_template_global("dataset_rates")
def dataset_rates(slug: str | None = None) -> list[dict]:
    """Rates for the index (all) or for one dataset's page."""
    found = rates.compute_rates(db_session(), storage())
    return rates.for_dataset(found, slug) if slug else found


@accountability.app_template_global("dataset_corrections")
def dataset_corrections(dataset: Dataset) -> list:
    return corrections.published(db_session(), dataset)


# -- office: corrections and embargoes --------------------------------------------------------


@accountability_office.after_request
def _never_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@accountability_office.get("/corrections/")
@reviewer_required
def correction_form() -> str:
    session = db_session()
    datasets = browse.published_datasets(session)
    return render_template(
        "office/corrections.html",
        datasets=datasets,
        published=corrections.published(session, limit=50),
        pending=corrections.pending(session),
        embargoes=embargoes.scheduled(session),
    )


@accountability_office.post("/corrections/")
@reviewer_required
def correction_record() -> Response:
    form, session = request.form, db_session()
    rows = [r for line in form.get("rows", "").splitlines() for r in line.split(",")]
    comment = form.get("comment_id", "").strip()
    try:
        correction = corrections.record(
            session,
            portal().config,
            form.get("dataset", ""),
            int(form.get("version", "0") or 0),
            current_user.email,
            form.get("what_was_wrong", ""),
            form.get("what_changed", ""),
            rows,
            with_next_version=form.get("publish") == "next",
            comment_id=int(comment) if comment.isdigit() else None,
        )
        session.commit()
    except (PortalError, ValueError) as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("accountability_office.correction_form"))
    flash(
        f"Correction {correction.id} recorded"
        + (
            " and published." if correction.published_at else "; it goes out with the next version."
        ),
        "success",
    )
    return redirect(url_for("accountability_office.correction_form"))


@accountability_office.post("/candidates/<int:candidate_id>/approve-at")
@reviewer_required
def approve_at(candidate_id: int) -> Response | tuple[str, int]:
    session = db_session()
    found = session.get(Candidate, candidate_id) or abort(404)
    try:
        office.check_reviewed(candidate_id)
        publish_at = embargoes.parse_publish_at(
            request.form.get("publish_at", ""), request.form.get("tz", "")
        )
        review.approve(
            session,
            portal().config,
            found.dataset.slug,
            current_user,
            request.form.get("note", ""),
            candidate_id=candidate_id,
            publish_at=publish_at,
        )
        session.commit()
    except AlreadyDecided:
        session.rollback()
        raise  # 409 with who decided first and when (portal.app)
    except PortalError as error:
        session.rollback()
        return office.refused(candidate_id, error)
    flash(
        f"Approved {found.dataset.title}; it will be published at "
        f"{publish_at:%Y-%m-%d %H:%M} {publish_at.tzinfo}.",
        "success",
    )
    return redirect(url_for("accountability_office.correction_form"))


@accountability_office.post("/datasets/<slug>/embargo/cancel")
@reviewer_required
def cancel_embargo(slug: str) -> Response:
    session = db_session()
    try:
        embargoes.cancel(session, slug, current_user)
        session.commit()
        flash("The embargoed release was cancelled; its candidate is back in review.", "success")
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
    return redirect(url_for("accountability_office.correction_form"))
