"""`/api/v1/`: catalogue, dataset and version history as JSON."""

from __future__ import annotations

from flask import Blueprint, abort

from portal import browse
from portal.api.schemas import DatasetSchema, DatasetSummarySchema, VersionSchema, dump
from portal.errors import UnknownDataset
from portal.web.extensions import db_session, portal

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _base() -> str:
    return portal().config.base_url


@api.get("/")
def index() -> dict:
    datasets = browse.published_datasets(db_session())
    return {
        "datasets": dump(DatasetSummarySchema(many=True), datasets, _base()),
        "figures": {d.slug: (d.current_version.figures or {}).get("figures", []) for d in datasets},
    }


@api.get("/datasets")
def datasets() -> dict:
    found = browse.published_datasets(db_session())
    return {"datasets": dump(DatasetSummarySchema(many=True), found, _base()), "count": len(found)}


@api.get("/datasets/<slug>")
def dataset(slug: str) -> dict:
    try:
        found = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    return dump(DatasetSchema(), found, _base())


@api.get("/datasets/<slug>/versions")
def versions(slug: str) -> dict:
    try:
        found = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    return {
        "dataset": slug,
        "versions": dump(VersionSchema(many=True), browse.versions(db_session(), found), _base()),
    }
