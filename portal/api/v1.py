"""`/api/v1/`: catalogue, dataset and version history as JSON (tables, rows and runs beside it)."""

from __future__ import annotations

from flask import Response, jsonify

from portal.api.blueprint import api
from portal.api.http import ApiError, name_or_404, payload
from portal.api.payloads import CatalogueSchema, IndexSchema, VersionListSchema
from portal.api.schemas import DatasetSchema, DatasetSummarySchema, VersionSchema, dump
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, portal
from portal.models import Dataset


def _base() -> str:
    return portal().config.base_url


@api.get("/")
def index() -> Response:
    datasets = browse.published_datasets(db_session())
    return payload(
        IndexSchema(),
        {
            "datasets": dump(DatasetSummarySchema(many=True), datasets, _base()),
            "figures": {
                d.slug: (d.current_version.figures or {}).get("figures", []) for d in datasets
            },
        },
    )


@api.get("/datasets")
def datasets() -> Response:
    found = browse.published_datasets(db_session())
    return payload(
        CatalogueSchema(),
        {"datasets": dump(DatasetSummarySchema(many=True), found, _base()), "count": len(found)},
    )


@api.get("/datasets/<slug>")
def dataset(slug: str) -> Response:
    return jsonify(dump(DatasetSchema(), _published(slug), _base()))


@api.get("/datasets/<slug>/versions")
def versions(slug: str) -> Response:
    found = _published(slug)
    return payload(
        VersionListSchema(),
        {
            "dataset": slug,
            "versions": dump(
                VersionSchema(many=True), browse.versions(db_session(), found), _base()
            ),
        },
    )


@api.route("/<path:anything>")
def unknown(anything: str) -> Response:
    raise ApiError(404, "There is nothing at this address. The API is described at /api/.")


def _published(slug: str) -> Dataset:
    name_or_404(slug, "dataset")
    try:
        return browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        raise ApiError(404, f"there is no published dataset named {slug!r}") from None
