"""`/api/v1/`: catalogue, dataset and version history as JSON (tables, rows and runs beside it)."""

from __future__ import annotations

import json

from flask import Response, jsonify, request
from marshmallow import ValidationError

from portal.api.blueprint import api
from portal.api.http import ApiError, error_response, name_or_404, payload
from portal.api.payloads import (
    CatalogueQuerySchema,
    CatalogueSchema,
    IndexSchema,
    VersionListSchema,
)
from portal.api.schemas import DatasetSchema, DatasetSummarySchema, VersionSchema, dump
from portal.catalogs.about import about
from portal.datasets import browse, catalogue_search
from portal.errors import UnknownDataset
from portal.extensions import db_session, portal, storage
from portal.figures.service import shown
from portal.models import Dataset, utcnow


def _base() -> str:
    return portal().config.base_url


@api.get("/")
def index() -> Response:
    datasets = browse.published_datasets(db_session())
    return payload(
        IndexSchema(),
        {
            "datasets": dump(DatasetSummarySchema(many=True), datasets, _base()),
            "figures": {d.slug: shown(d.current_version, storage()) for d in datasets},
        },
    )


@api.get("/datasets")
def datasets() -> Response:
    """The search twin of `/datasets/`: the same `q`, facets and `sort`, the same answer."""
    try:
        CatalogueQuerySchema().load(request.args.to_dict(flat=False) | _single(("q", "sort")))
    except ValidationError as invalid:
        raise ApiError(400, "Some parameters are not valid.", invalid.messages) from None
    session = db_session()
    found = catalogue_search.search_catalogue(session, request.args).datasets
    schema = DatasetSummarySchema(many=True)
    schema.withdrawals = browse.withdrawals(session, found)
    return payload(
        CatalogueSchema(), {"datasets": dump(schema, found, _base()), "count": len(found)}
    )


@api.get("/datasets/<slug>")
def dataset(slug: str) -> Response:
    found = _public(slug)
    if found.current_version is None:
        return _withdrawn(found)
    schema = DatasetSchema()
    schema.about = about(found, found.current_version, storage(), _base(), utcnow())
    return jsonify(dump(schema, found, _base()))


@api.get("/datasets/<slug>/versions")
def versions(slug: str) -> Response:
    found = _public(slug)
    listed = dump(VersionSchema(many=True), browse.versions(db_session(), found), _base())
    if found.current_version is None:
        return _withdrawn(found, listed)
    return payload(VersionListSchema(), {"dataset": slug, "versions": listed})


def _single(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.args[name] for name in names if name in request.args}


def _withdrawn(dataset: Dataset, versions: list | None = None) -> Response:
    """410 with the public notice (and, for the history, every version and its checksums)."""
    notice = browse.withdrawal(db_session(), dataset)
    response = error_response(410, f"{dataset.title}: {notice.notice}")  # type: ignore[union-attr]
    body = response.get_json()
    body["withdrawn"] = {"at": notice.at.isoformat(), "reason": notice.reason}  # type: ignore[union-attr]
    if versions is not None:
        body["versions"] = versions
    response.set_data(json.dumps(body))
    return response


@api.route("/<path:anything>")
def unknown(anything: str) -> Response:
    raise ApiError(404, "There is nothing at this address. The API is described at /api/.")


def _public(slug: str) -> Dataset:
    name_or_404(slug, "dataset")
    try:
        return browse.public_dataset(db_session(), slug)
    except UnknownDataset:
        raise ApiError(404, f"there is no published dataset named {slug!r}") from None
