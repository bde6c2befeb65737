"""marshmallow schemas of the table, rows, runs and error payloads and of the query parameters."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from portal.api.schemas import DatasetSummarySchema, VersionSchema
from portal.datasets.catalogue_search import CATALOGUE_SORTS
from portal.query.engine import DEFAULT_LIMIT, MAX_LIMIT

# Bounds that keep every number a database can compare (and a client can send) in range.
MAX_VERSION = 2**31 - 1
MAX_OFFSET = 2**53


def _doc(text: str, **more: object) -> dict:
    return {"description": text, **more}


# Query parameters --------------------------------------------------------------------------


class VersionQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    version = fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_VERSION),
        metadata=_doc("A version number; the current version when absent.", example=1),
    )


class RowsQuerySchema(VersionQuerySchema):
    """The named parameters of `/rows`; every other parameter is a filter on a field."""

    q = fields.String(
        validate=validate.Length(max=200),
        metadata=_doc(
            "Text search: rows with a text field containing this, any case.", example="traffic"
        ),
    )
    sort = fields.String(
        validate=validate.Length(max=1000),
        metadata=_doc(
            "Fields to sort by, comma-separated; `-` before a name sorts descending. "
            "Ties keep the published file's order.",
            example="-incident_date,district",
        ),
    )
    fields_ = fields.String(
        data_key="fields",
        validate=validate.Length(max=2000),
        metadata=_doc(
            "Fields to return, comma-separated, in this order; all when absent.",
            example="incident_id,incident_date,district",
        ),
    )
    limit = fields.Integer(
        strict=False,
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata=_doc(f"Rows per page (at most {MAX_LIMIT}).", example=DEFAULT_LIMIT),
    )
    offset = fields.Integer(
        strict=False,
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET),
        metadata=_doc("Matching rows to skip.", example=0),
    )


RESERVED = {"version", "q", "sort", "fields", "limit", "offset"}
RUN_OUTCOMES = [
    "published",
    "withdrawn",
    "rejected",
    "awaiting-review",
    "scheduled",
    "approved",
    "superseded",
    "unchanged",
    "failed-validation",
    "failed-privacy",
    "source-unavailable",
    "failed",
    "interrupted",
    "in-progress",
]


class CatalogueQuerySchema(Schema):
    """The catalogue search, exactly as `/datasets/` takes it."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        validate=validate.Length(max=200),
        metadata=_doc("Datasets mentioning every word of this.", example="camera"),
    )
    family = fields.List(
        fields.String(),
        metadata=_doc("Topic; repeat for any of several.", example=["use-of-force"]),
    )
    keyword = fields.List(fields.String(), metadata=_doc("Keyword; repeat for any of several."))
    frequency = fields.List(
        fields.String(), metadata=_doc("How often it is updated; repeat for any of several.")
    )
    sort = fields.String(
        validate=validate.OneOf(list(CATALOGUE_SORTS)),
        metadata=_doc("`title` (A to Z, the default) or `recent` (newest first).", example="title"),
    )


# Payloads ------------------------------------------------------------------------------------


class Dumped(fields.Nested):
    """A nested payload its own schema has dumped already (it needed the base URL).

    Documented in OpenAPI as that schema; passed through unchanged when dumping.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata=_doc("What is wrong with each parameter, by parameter name."),
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class FacetValueSchema(Schema):
    value = fields.Raw(allow_none=True, metadata=_doc("A value of the field; null: missing."))
    count = fields.Integer(required=True)


class TableFileSchema(Schema):
    filename = fields.String(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    url = fields.String(required=True)


class ResourceSummarySchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    rows = fields.Integer(allow_none=True, metadata=_doc("Rows in the table."))
    url = fields.String(required=True, metadata=_doc("This resource in the API."))
    rows_url = fields.String(required=True)
    csv_url = fields.String(required=True, metadata=_doc("The published CSV file."))


class ResourceListSchema(Schema):
    dataset = fields.String(required=True)
    version = fields.Integer(required=True)
    resources = fields.List(fields.Nested(ResourceSummarySchema), required=True)


class ResourceDetailSchema(ResourceSummarySchema):
    dataset = fields.String(required=True)
    version = fields.Integer(required=True)
    table_schema = fields.Dict(
        data_key="schema", required=True, metadata=_doc("The Frictionless Table Schema.")
    )
    files = fields.List(fields.Nested(TableFileSchema), required=True)
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(FacetValueSchema)),
        required=True,
        metadata=_doc(
            "For each enumerated or yes/no field: every value and how many rows have it."
        ),
    )


class RowsPageSchema(Schema):
    dataset = fields.String(required=True)
    resource = fields.String(required=True)
    version = fields.Integer(required=True, metadata=_doc("The version the rows come from."))
    total = fields.Integer(required=True, metadata=_doc("Rows matching the filters, all pages."))
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    next = fields.String(
        required=True,
        allow_none=True,
        metadata=_doc("The next page (pinned to this version), or null on the last page."),
    )
    fields_ = fields.List(fields.String(), data_key="fields", required=True)
    rows = fields.List(
        fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
        required=True,
        metadata=_doc(
            "Rows as objects, values typed by the schema: numbers, true/false, "
            "dates as YYYY-MM-DD, null for missing cells."
        ),
    )


class PublicRunSchema(Schema):
    at = fields.DateTime(required=True, metadata=_doc("When the run finished (or started)."))
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(RUN_OUTCOMES),
        metadata=_doc(
            "The run's final outcome: published (as a version), withdrawn (published, then "
            "retracted), rejected, awaiting-review, scheduled (approved for a set time), "
            "superseded, unchanged, failed-validation, failed-privacy, source-unavailable, "
            "failed, interrupted or in-progress."
        ),
    )
    summary = fields.String(
        required=True,
        metadata=_doc(
            "The outcome in words, e.g. “published as version 3 (1 December 2026)”, "
            "“rejected on 2 December 2026 (reason)”, “failed validation (4 problems)”."
        ),
    )


class DatasetRunsSchema(Schema):
    dataset = fields.String(required=True)
    title = fields.String(required=True)
    runs = fields.List(fields.Nested(PublicRunSchema), required=True)


class RunsSchema(Schema):
    datasets = fields.List(fields.Nested(DatasetRunsSchema), required=True)


class CatalogueSchema(Schema):
    datasets = fields.List(Dumped(DatasetSummarySchema), required=True)
    count = fields.Integer(required=True)


class IndexSchema(Schema):
    datasets = fields.List(Dumped(DatasetSummarySchema), required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()))


class VersionListSchema(Schema):
    dataset = fields.String(required=True)
    versions = fields.List(Dumped(VersionSchema), required=True)
