"""Public pages: the index summary, the catalogue, dataset pages, version history, health."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import text

from portal import browse
from portal.errors import UnknownDataset
from portal.markdown import render_markdown
from portal.web.extensions import db_session, storage

public = Blueprint("public", __name__)


@public.get("/")
def index() -> str:
    return render_template("index.html", datasets=browse.published_datasets(db_session()))


@public.get("/datasets/")
def datasets() -> str:
    query = request.args.get("q", "").strip()
    found = browse.search(browse.published_datasets(db_session()), query)
    return render_template("datasets.html", datasets=found, q=query)


@public.get("/datasets/<slug>/")
def dataset(slug: str) -> str:
    try:
        found = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    version = found.current_version
    previews = {
        f.resource_name: browse.preview(storage(), f)
        for f in version.files
        if f.resource_name and f.media_type == "text/csv"
    }
    return render_template(
        "dataset.html",
        dataset=found,
        version=version,
        previews=previews,
        methodology=render_markdown(found.meta.get("methodology", "")),
        caveats=render_markdown(found.meta.get("caveats", "")),
    )


@public.get("/datasets/<slug>/versions/")
def versions(slug: str) -> str:
    try:
        found = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    return render_template(
        "versions.html", dataset=found, versions=browse.versions(db_session(), found)
    )


@public.get("/healthz")
def healthz() -> tuple[dict, int]:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 — any database failure means "unhealthy"
        return {"status": "error", "database": str(error.__class__.__name__)}, 503
    return {"status": "ok"}, 200
