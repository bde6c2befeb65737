"""Public pages: the index summary, the catalogue, dataset pages, version history, health."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask import session as flask_session
from flask_login import current_user
from sqlalchemy import text

from portal import browse, labels
from portal.errors import UnknownDataset
from portal.markdown import render_markdown
from portal.models import Dataset, utcnow
from portal.preview import table_views
from portal.web.extensions import db_session, portal, storage

public = Blueprint("public", __name__)
public.add_app_template_filter(labels.value_label, "label")
public.add_app_template_filter(labels.figure_label, "figure_label")
public.add_app_template_filter(labels.figure_value_label, "figure_value_label")
public.add_app_template_filter(labels.long_date, "long_date")


# The summary is the same for every reader who is not signed in, and costly to compute
# (figures, charts, rates): it is rendered once per publication state and reused for at most
# this long, so anything not tied to a release (a rate's context, say) is never staler.
SUMMARY_SECONDS = 60.0
_summaries: dict[str, tuple[tuple, float, str]] = {}


@public.get("/")
def index() -> str:
    session = db_session()
    shared = not current_app.testing and not current_user.is_authenticated
    shared = shared and "_flashes" not in flask_session
    key = portal().config.database_url
    if shared:
        state = browse.publication_state(session)
        cached = _summaries.get(key)
        if cached is not None and cached[0] == state and time.monotonic() < cached[1]:
            return cached[2]
    datasets = browse.published_datasets(session)
    page = render_template("index.html", datasets=datasets)
    if shared:
        lasts = browse.unchanged_for(datasets, utcnow(), SUMMARY_SECONDS)
        _summaries[key] = (state, time.monotonic() + lasts, page)
    return page


@public.get("/datasets/")
def datasets() -> str:
    found = browse.catalogue(
        browse.published_datasets(db_session()),
        q=request.args.get("q", "").strip(),
        selected={name: request.args.getlist(name) for name in browse.CATALOGUE_FACETS},
        sort=request.args.get("sort", "title"),
    )
    return render_template("datasets.html", catalogue=found, sorts=browse.CATALOGUE_SORTS)


@public.get("/datasets/<slug>/")
def dataset(slug: str) -> tuple[str, int]:
    found = _published(slug)
    version = found.current_version
    names = labels.dataset_labels(found.meta)
    views = table_views(
        portal().config.data_dir, storage(), version, request.args.to_dict(flat=False), names
    )
    page = render_template(
        "dataset.html",
        dataset=found,
        version=version,
        views=views,
        labels=names,
        history=browse.versions(db_session(), found)[:5],
        methodology=render_markdown(found.meta.get("methodology", "")),
        caveats=render_markdown(found.meta.get("caveats", "")),
    )
    # A filter the table cannot take is explained on the page, answered as a bad request.
    return page, 400 if any(v.preview.errors for v in views.values()) else 200


@public.get("/datasets/<slug>/versions/")
def versions(slug: str) -> str:
    found = _published(slug)
    return render_template(
        "versions.html", dataset=found, versions=browse.versions(db_session(), found)
    )


def _published(slug: str) -> Dataset:
    try:
        return browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)


# Browsers ask for /favicon.ico on every site; answering keeps their consoles free of 404s.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0b4f8a"/>'
    '<path d="M4 12V7h2v5zm3 0V4h2v8zm3 0V9h2v3z" fill="#fff"/></svg>'
)


@public.get("/favicon.ico")
def favicon() -> Response:
    response = Response(FAVICON, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@public.get("/healthz")
def healthz() -> tuple[dict, int]:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 — any database failure means "unhealthy"
        return {"status": "error", "database": str(error.__class__.__name__)}, 503
    return {"status": "ok"}, 200
