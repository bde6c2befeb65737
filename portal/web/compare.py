"""The public diff page between two versions of a table, and its CSV twin (the JSON twin is
`/api/v1/datasets/<slug>/resources/<resource>/compare`)."""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, render_template, request, stream_with_context

from portal.datasets import browse
from portal.datasets.labels import long_date
from portal.errors import UnknownDataset
from portal.extensions import db_session, storage
from portal.languages import gettext as _
from portal.releases.compare import KINDS, PER_PAGE, CannotCompare, Comparison, compare_versions

compare = Blueprint("compare", __name__)


def version_arg(name: str) -> int | None:
    """`from` / `to` as a version number; None when absent; a 400 when not a number."""
    text = request.args.get(name, "").strip().removeprefix("v")
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise CannotCompare(_("“%(value)s” is not a version number", value=request.args[name]))
    return int(text)


def comparison(slug: str, resource: str) -> Comparison | tuple[str, int]:
    """The comparison asked for, or the page that says why there is none (404, 410, 400)."""
    session = db_session()
    try:
        return compare_versions(
            session, storage(), slug, resource, version_arg("from"), version_arg("to")
        )
    except UnknownDataset:
        abort(404)
    except browse.NotPublished as missing:
        return _refused(
            404, _("Not found"), _("There is no such version: %(which)s.", which=missing), slug
        )
    except browse.Retracted as gone:
        version = gone.version
        return _refused(
            410,
            _("Withdrawn"),
            _(
                "Version %(number)s was withdrawn on %(day)s: %(reason)s. Its rows are no longer "
                "published, so they are not compared.",
                number=version.number,
                day=long_date(version.retracted_at),
                reason=version.retraction_reason,
            ),
            slug,
        )
    except CannotCompare as refused:
        return _refused(400, _("Cannot compare"), f"{refused}.", slug)


def _refused(status: int, title: str, message: str, slug: str) -> tuple[str, int]:
    try:
        dataset = browse.public_dataset(db_session(), slug)
    except UnknownDataset:
        dataset = None
    page = render_template(
        "error.html",
        status=status,
        title=title,
        message=message,
        dataset=dataset,
        current=dataset.current_version if dataset else None,
        current_file=None,
    )
    return page, status


def page_args() -> tuple[str | None, int]:
    show = request.args.get("show") or None
    text = request.args.get("page", "1")
    number = int(text) if text.isdigit() and 0 < int(text) < 10**9 else 1
    return show, number


@compare.get("/datasets/<slug>/compare/<resource>")
def page(slug: str, resource: str) -> tuple[str, int]:
    found = comparison(slug, resource)
    if isinstance(found, tuple):
        return found
    show, number = page_args()
    changes = found.changes
    if show not in KINDS:
        if show is not None:
            return _refused(400, "Cannot compare", f"show= is one of {', '.join(KINDS)}.", slug)
        show = next((k for k in KINDS if changes.count(k)), "added")
    pages = max(1, math.ceil(changes.count(show) / PER_PAGE))
    number = min(number, pages)
    versions = [
        v
        for v in browse.versions(db_session(), found.dataset, with_files=False)
        if not v.retracted_at
    ]
    return render_template(
        "compare.html",
        c=found,
        show=show,
        kinds=KINDS,
        rows=changes.rows(show, number),
        page=number,
        pages=pages,
        per_page=PER_PAGE,
        versions=versions,
    ), 200


@compare.get("/datasets/<slug>/compare/<resource>.csv")
def as_csv(slug: str, resource: str) -> Response | tuple[str, int]:
    found = comparison(slug, resource)
    if isinstance(found, tuple):
        return found
    name = f"{slug}-{resource}-v{found.old.number}-to-v{found.new.number}-changes.csv"
    response = Response(
        stream_with_context(line.encode() for line in found.changes.csv_lines()),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # Both versions are immutable: so is their difference.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
