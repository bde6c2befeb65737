"""marshmallow schemas of the community payloads: published comments and the trust index."""

from __future__ import annotations

from marshmallow import Schema, fields


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
