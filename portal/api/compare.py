"""`/api/v1/datasets/<slug>/resources/<resource>/compare`: the JSON twin of the diff page."""

from __future__ import annotations

import math

from flask import Response, request
from marshmallow import Schema, fields, validate

from portal.api.blueprint import api
from portal.api.http import ApiError, name_or_404, payload
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, portal, storage
from portal.releases.compare import KINDS, PER_PAGE, CannotCompare, compare_versions


class CompareQuerySchema(Schema):
    """The query parameters, for the OpenAPI document (the view reads them itself)."""

    from_ = fields.Integer(
        data_key="from",
        metadata={"description": "The older version (default: the one before `to`).", "example": 1},
    )
    to = fields.Integer(metadata={"description": "The newer version (default: the current one)."})
    show = fields.String(
        validate=validate.OneOf(KINDS),
        metadata={"description": "added, removed or changed rows (default: the first with any)."},
    )
    page = fields.Integer(metadata={"description": f"{PER_PAGE} rows a page.", "example": 1})


class ChangedRowSchema(Schema):
    values = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        metadata={"description": "The row (the new values; the old ones of a removed row)."},
    )
    before = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        metadata={"description": "For a changed row: the old value of each cell that changed."},
    )


class ComparisonSchema(Schema):
    dataset = fields.String(required=True)
    resource = fields.String(required=True)
    from_ = fields.Integer(data_key="from", required=True)
    to = fields.Integer(required=True)
    key = fields.List(fields.String(), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    show = fields.String(required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    rows = fields.List(fields.Nested(ChangedRowSchema), required=True)
    csv_url = fields.String(required=True)


@api.get("/datasets/<slug>/resources/<resource>/compare")
def compare_json(slug: str, resource: str) -> Response:
    name_or_404(slug, "dataset")
    name_or_404(resource, "resource")
    try:
        found = compare_versions(
            db_session(), storage(), slug, resource, _number("from"), _number("to")
        )
    except UnknownDataset:
        raise ApiError(404, f"there is no published dataset named {slug!r}") from None
    except browse.NotPublished as missing:
        raise ApiError(404, str(missing)) from None
    except browse.Retracted as gone:
        raise ApiError(410, str(gone)) from None
    except CannotCompare as refused:
        raise ApiError(400, str(refused)) from None
    changes = found.changes
    show = request.args.get("show") or next((k for k in KINDS if changes.count(k)), "added")
    if show not in KINDS:
        raise ApiError(400, "Some parameters are not valid.", {"show": [f"one of {KINDS}"]})
    text = request.args.get("page", "1")
    if not (text.isdigit() and 0 < int(text) < 10**9):
        raise ApiError(400, "Some parameters are not valid.", {"page": ["a page number, from 1"]})
    page = int(text)
    rows = []
    for cells in changes.rows(show, page):
        rows.append(
            {
                "values": {cell.name: cell.value for cell in cells},
                "before": {cell.name: cell.before for cell in cells if cell.changed},
            }
        )
    csv_url = (
        f"{portal().config.base_url}/datasets/{slug}/compare/{resource}.csv"
        f"?from={found.old.number}&to={found.new.number}"
    )
    return payload(
        ComparisonSchema(),
        {
            "dataset": slug,
            "resource": resource,
            "from_": found.old.number,
            "to": found.new.number,
            "key": changes.key,
            "counts": {kind: changes.count(kind) for kind in KINDS},
            "show": show,
            "page": page,
            "pages": max(1, math.ceil(changes.count(show) / PER_PAGE)),
            "rows": rows,
            "csv_url": csv_url,
        },
    )


def _number(name: str) -> int | None:
    text = request.args.get(name, "").strip().removeprefix("v")
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise ApiError(400, "Some parameters are not valid.", {name: ["a version number"]})
    return int(text)
