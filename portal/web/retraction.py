"""Office: a dataset's published versions, and retracting one with a public notice.

Retracting takes two steps: a page that states what will happen (files answer 410, citations
break, what `latest` becomes) and asks for the public reason and a confirmation, then the
retraction itself.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.datasets import browse
from portal.datasets.definitions import get_dataset
from portal.errors import PortalError, UnknownDataset
from portal.extensions import db_session, reviewer_required
from portal.releases import retractions

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


@retraction.get("/<slug>/versions/<int:number>/retract")
@reviewer_required
def confirm(slug: str, number: int) -> tuple[str, int] | Response:
    return _confirmation(slug, number)


@retraction.post("/<slug>/versions/<int:number>/retract")
@reviewer_required
def retract(slug: str, number: int) -> tuple[str, int] | Response:
    reason = request.form.get("reason", "").strip()
    if request.form.get("confirm") != "yes" or not reason:
        missing = "a public reason" if not reason else "your confirmation"
        return _confirmation(slug, number, reason, f"Nothing was retracted: give {missing}.")
    session = db_session()
    try:
        retractions.retract(session, slug, number, current_user, reason)
        session.commit()
    except PortalError as error:
        session.rollback()
        return _confirmation(slug, number, reason, f"Nothing was retracted: {error}")
    flash(f"Version {number} retracted; its files now answer 410 with your notice.", "success")
    return redirect(url_for("retraction.versions", slug=slug))


def _confirmation(
    slug: str, number: int, reason: str = "", error: str | None = None
) -> tuple[str, int] | Response:
    session = db_session()
    try:
        consequences = retractions.retraction_consequences(session, slug, number)
    except UnknownDataset:
        abort(404)
    except PortalError as refused:
        flash(str(refused), "error")
        return redirect(url_for("retraction.versions", slug=slug))
    page = render_template(
        "office/retract.html", consequences=consequences, reason=reason, error=error
    )
    return page, 400 if error else 200
