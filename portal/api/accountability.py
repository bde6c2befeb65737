"""marshmallow schemas of the accountability payloads: status, rates with context, corrections."""

from __future__ import annotations

from flask import Response, abort
from marshmallow import Schema, fields

from portal.api.blueprint import api
from portal.api.http import payload
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, storage
from portal.figures import rates
from portal.models import utcnow
from portal.releases import corrections, ledger
from portal.scheduler.status import public_statuses


class StatusRunSchema(Schema):
    """A recent update as /status lists it (/api/v1/runs has its own, with a summary)."""

    at = fields.DateTime(allow_none=True)
    outcome = fields.String(metadata={"description": "The run's final outcome, in words."})
    result = fields.String(
        metadata={"description": "The same outcome as one word (see /api/v1/runs)."}
    )
    status = fields.String(metadata={"description": "How the run itself ended."})


class DatasetStatusSchema(Schema):
    slug = fields.String()
    title = fields.String()
    published = fields.Boolean()
    withdrawn = fields.String(
        allow_none=True,
        metadata={"description": "“Withdrawn on DATE: REASON” when every version was retracted."},
    )
    freshness = fields.Function(lambda row: row["freshness"].as_dict())
    runs = fields.List(fields.Nested(StatusRunSchema))


class LedgerHeadSchema(Schema):
    seq = fields.Integer()
    hash = fields.String()
    at = fields.DateTime()


class StatusSchema(Schema):
    datasets = fields.List(fields.Nested(DatasetStatusSchema))
    ledger = fields.Nested(LedgerHeadSchema, allow_none=True)


class RateSourceSchema(Schema):
    """Where a numerator or denominator comes from: a declared figure of a published file, or
    a declared denominator (values by year, with their source)."""

    label = fields.String()
    dataset = fields.String()
    version = fields.Integer()
    figure = fields.String()
    measure = fields.String()
    resource = fields.String()
    file = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    field = fields.String()
    source = fields.String()
    by_year = fields.Dict(keys=fields.String(), values=fields.Raw())


class VersionUsedSchema(Schema):
    dataset = fields.String()
    version = fields.Integer()


class RateRowSchema(Schema):
    """One period of a rate: both sides, their periods, the rate as shown on the pages."""

    year = fields.Integer(allow_none=True)
    period = fields.String()
    periods = fields.Integer()
    # Numbers as the engine rounded them (a count stays a whole number).
    numerator = fields.Raw()
    numerator_display = fields.String()
    denominator = fields.Raw(allow_none=True)
    denominator_display = fields.String()
    denominator_period = fields.String()
    value = fields.Float(allow_none=True)
    display = fields.String()
    missing = fields.String()


class RateSchema(Schema):
    key = fields.String()
    label = fields.String()
    unit = fields.String()
    per = fields.Integer()
    numerator = fields.Nested(RateSourceSchema)
    denominator = fields.Nested(RateSourceSchema)
    note = fields.String()
    error = fields.String()
    rows = fields.List(fields.Nested(RateRowSchema))
    headline = fields.Nested(RateRowSchema, allow_none=True)
    versions = fields.List(fields.Nested(VersionUsedSchema))


class RatesSchema(Schema):
    rates = fields.List(fields.Nested(RateSchema))


class CorrectionSchema(Schema):
    id = fields.Integer()
    dataset = fields.Function(lambda c: c.dataset.slug)
    version = fields.Function(lambda c: c.version.number)
    what_was_wrong = fields.String()
    what_changed = fields.String()
    rows = fields.Function(lambda c: list(c.rows or []))
    published_at = fields.DateTime(allow_none=True)
    published_with_version = fields.Function(
        lambda c: c.published_with_version.number if c.published_with_version else None
    )
    comment_id = fields.Integer(allow_none=True)


class CorrectionsSchema(Schema):
    dataset = fields.String()
    corrections = fields.List(fields.Nested(CorrectionSchema))


# -- routes ------------------------------------------------------------------------------------


@api.get("/status")
def status_json() -> Response:
    session = db_session()
    return payload(
        StatusSchema(),
        {"datasets": public_statuses(session, utcnow()), "ledger": ledger.head(session)},
    )


@api.get("/rates")
def rates_json() -> Response:
    return payload(RatesSchema(), {"rates": rates.compute_rates(db_session(), storage())})


@api.get("/datasets/<slug>/corrections")
def corrections_json(slug: str) -> Response:
    try:
        dataset = browse.published_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    found = corrections.published(db_session(), dataset)
    return payload(CorrectionsSchema(), {"dataset": slug, "corrections": found})
