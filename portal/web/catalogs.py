"""Open-data catalogues: DCAT-US `/data.json`, the Atom feed, and JSON-LD for dataset pages."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from markupsafe import Markup

from portal.catalogs.dcat import data_json as build_data_json
from portal.catalogs.feed import atom_feed
from portal.catalogs.jsonld import dataset_jsonld, script_json
from portal.extensions import db_session, portal, storage
from portal.models import Dataset, Version
from portal.web import fragments

catalogs = Blueprint("catalogs", __name__)


@catalogs.get("/data.json")
def data_json() -> Response:
    document = build_data_json(db_session(), portal().config.base_url, storage())
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return _conditional(Response(body, mimetype="application/json"))


@catalogs.get("/feed.atom")
def feed() -> Response:
    body = atom_feed(db_session(), portal().config.base_url)
    return _conditional(Response(body, content_type="application/atom+xml; charset=utf-8"))


@catalogs.app_template_global("dataset_jsonld")
def dataset_jsonld_script(dataset: Dataset, version: Version) -> Markup:
    """The JSON-LD text for a dataset page's `<script type="application/ld+json">`."""

    def render() -> Markup:
        document = dataset_jsonld(dataset, version, portal().config.base_url, storage())
        return Markup(script_json(document))  # noqa: S704 — script_json escapes <, > and &

    return fragments.per_generation("jsonld", dataset, version, render)


def _conditional(response: Response) -> Response:
    # Catalogue harvesters poll: let them revalidate cheaply instead of downloading again.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
