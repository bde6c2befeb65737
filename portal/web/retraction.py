"""Office: a dataset's published versions, and retracting one with a public notice."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.datasets import browse
from portal.datasets.definitions import get_dataset
from portal.errors import PortalError, UnknownDataset
from portal.extensions import db_session, reviewer_required
from portal.releases import review

retraction = Blueprint("retraction", __name__, url_prefix="/office/datasets")


@retraction.get("/<slug>/versions")
@reviewer_required
def versions(slug: str) -> str:
    session = db_session()
    try:
        dataset = get_dataset(session, slug)
    except UnknownDataset:
        abort(404)
    return render_template(
        "office/versions.html", dataset=dataset, versions=browse.versions(session, dataset)
    )


@retraction.post("/<slug>/versions/<int:number>/retract")
@reviewer_required
def retract(slug: str, number: int) -> Response:
    session = db_session()
    try:
        review.retract(session, slug, number, current_user, request.form.get("reason", ""))
        session.commit()
        flash(f"Version {number} retracted; its files now answer 410 with your notice.", "success")
    except PortalError as error:
        session.rollback()
        flash(str(error), "error")
    return redirect(url_for("retraction.versions", slug=slug))
