"""marshmallow schemas of the community payloads: published comments and the trust index."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields

from portal.api.blueprint import api
from portal.api.http import error_response
from portal.community import comments, trust
from portal.community.models import Comment
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, storage


class AnswerSchema(Schema):
    body = fields.String()
    answered_at = fields.DateTime()


class CommentSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda c: c.kind.value)
    name = fields.String(attribute="author_name", allow_none=True)
    body = fields.String()
    created_at = fields.DateTime()
    answer = fields.Function(
        lambda c: (
            AnswerSchema().dump({"body": c.answer, "answered_at": c.answered_at})
            if c.answer
            else None
        )
    )
    fixed_in_version = fields.Function(
        lambda c: c.fixed_in_version.number if c.fixed_in_version else None
    )


class CommentListSchema(Schema):
    dataset = fields.String()
    comments = fields.List(fields.Nested(CommentSchema))


class TrustIndexSchema(Schema):
    value = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    responses = fields.Integer()
    period = fields.String()


class TrustMethodSchema(Schema):
    min_responses = fields.Integer()
    small_cell_k = fields.Integer()
    z = fields.Float()


class TrustSchema(Schema):
    dataset = fields.String()
    version = fields.Integer(allow_none=True)
    index = fields.Nested(TrustIndexSchema, allow_none=True)
    # Rows of the published community-trust table: city-wide by quarter, then each district
    # in the latest quarter (suppressed cells are null).
    trend = fields.List(fields.Dict(keys=fields.String()))
    districts = fields.List(fields.Dict(keys=fields.String()))
    method = fields.Nested(TrustMethodSchema)


# -- routes ------------------------------------------------------------------------------------


@api.get("/datasets/<slug>/comments")
def comments_json(slug: str) -> Response:
    try:
        dataset = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        return error_response(404, f"there is no published dataset named {slug!r}")
    found: list[Comment] = comments.published_comments(db_session(), dataset)
    return CommentListSchema().dump({"dataset": slug, "comments": found})


@api.get("/trust")
def trust_json() -> Response:
    summary = trust.published_summary(db_session(), storage())
    figure = summary["figure"]
    return TrustSchema().dump(
        {
            "dataset": trust.SLUG,
            "version": summary["version"].number if summary["version"] else None,
            "index": None
            if figure is None
            else {k: figure[k] for k in ("value", "ci_low", "ci_high", "responses", "period")},
            "trend": figure["trend"] if figure else [],
            "districts": summary["districts"],
            "method": {
                "min_responses": trust.MIN_RESPONSES,
                "small_cell_k": trust.SMALL_CELL_K,
                "z": trust.Z95,
            },
        }
    )
