"""The OpenAPI 3 document of `/api/v1/`, built from the marshmallow schemas; the `/api/` page."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify, render_template

from portal.api import payloads
from portal.api.accountability import CorrectionsSchema, RatesSchema, StatusSchema
from portal.api.blueprint import api
from portal.api.community import CommentListSchema, TrustSchema
from portal.api.compare import CompareQuerySchema
from portal.api.compare import ComparisonSchema as CompareSchema
from portal.api.policies import PolicyListSchema, PolicySchema, PolicyVersionSchema
from portal.api.schemas import DatasetSchema
from portal.extensions import portal
from portal.query.engine import MAX_LIMIT

docs = Blueprint("api_docs", __name__)

SLUG = {
    "in": "path",
    "name": "slug",
    "required": True,
    "schema": {"type": "string"},
    "description": "The dataset's short name.",
    "example": "use-of-force",
}
POLICY = {
    "in": "path",
    "name": "slug",
    "required": True,
    "schema": {"type": "string"},
    "description": "The policy's short name.",
    "example": "use-of-force",
}
NUMBER = {
    "in": "path",
    "name": "number",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "The version's number.",
    "example": 2,
}
RESOURCE = {
    "in": "path",
    "name": "resource",
    "required": True,
    "schema": {"type": "string"},
    "description": "The table's name within the dataset.",
    "example": "incidents",
}
FILTERS = {
    "in": "query",
    "name": "filters",
    "style": "form",
    "explode": True,
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    "description": (
        "Any other parameter filters on the field it names. `field=value` keeps rows equal to "
        "the value (repeat the parameter to allow several values; an empty value matches "
        "missing cells); `field__min=value` and `field__max=value` keep rows in an inclusive "
        "range, on number, date and month fields. Values are written as in the CSV file: "
        "dates `2024-01-31`, months `2024-01`, yes/no `true` or `false`."
    ),
    "example": {"district": "D3", "incident_date__min": "2024-01-01"},
}
INTRO = (
    "Read-only JSON API of the police transparency portal: the catalogue, each dataset's "
    "versions and tables, the rows of any table with filters, sorting and pages, filtered CSV "
    "exports and the public status of updates. No key is needed; every GET answers CORS "
    "requests from any origin. Responses carry an ETag: send it back in If-None-Match and an "
    "unchanged answer is a 304 with no body. Errors are JSON: "
    '`{"error": {"status", "title", "message", "fields"}}`, with `fields` naming each bad '
    "parameter.\n\nPages: `limit` (at most "
    f"{MAX_LIMIT}) and `offset`; `next` is the address of the following page, pinned to the "
    "version the first page came from, so a new release cannot shift rows between pages; "
    "rows in equal sort positions keep the published file's order."
)


def _json(schema: Any) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, **_json("Error")}


def _operation(
    summary: str,
    description: str,
    example: str,
    ok: Any,
    parameters: list,
    errors: tuple[int, ...] = (404,),
    media: str = "application/json",
) -> dict:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {media: {"schema": ok}}},
        "304": {"description": "Not modified: the ETag sent in If-None-Match is still current."},
    }
    words = {
        400: "A parameter is not valid; `fields` says which and why.",
        404: "No such dataset, table or version.",
        410: "The version (or every version of the dataset) was retracted; the message "
        "gives the public notice.",
    }
    for status in errors:
        responses[str(status)] = _error(words[status])
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": responses,
            "x-example": example,
        }
    }


def _paths() -> dict[str, dict]:
    version = {"in": "query", "schema": payloads.VersionQuerySchema}
    rows_query = {"in": "query", "schema": payloads.RowsQuerySchema}
    table = "/api/v1/datasets/use-of-force/resources/incidents"
    return {
        "/api/v1/": _operation(
            "Summary",
            "Every published dataset with its headline figures.",
            "/api/v1/",
            payloads.IndexSchema,
            [],
            errors=(),
        ),
        "/api/v1/datasets": _operation(
            "Catalogue",
            "Every published dataset, and every withdrawn one with its notice; searched and "
            "narrowed exactly as the `/datasets/` page is (same `q`, facets and order).",
            "/api/v1/datasets?q=camera",
            payloads.CatalogueSchema,
            [{"in": "query", "schema": payloads.CatalogueQuerySchema}],
            errors=(400,),
        ),
        "/api/v1/datasets/{slug}": _operation(
            "Dataset",
            "Description, methodology, licence, tables and the current version.",
            "/api/v1/datasets/use-of-force",
            DatasetSchema,
            [SLUG],
            errors=(404, 410),
        ),
        "/api/v1/datasets/{slug}/versions": _operation(
            "Versions",
            "Every version, newest first, with files, checksums and notes.",
            "/api/v1/datasets/use-of-force/versions",
            payloads.VersionListSchema,
            [SLUG],
            errors=(404, 410),
        ),
        "/api/v1/datasets/{slug}/resources": _operation(
            "Tables",
            "The tables of the current version (or `version`).",
            "/api/v1/datasets/use-of-force/resources",
            payloads.ResourceListSchema,
            [SLUG, version],
            errors=(400, 404, 410),
        ),
        "/api/v1/datasets/{slug}/resources/{resource}": _operation(
            "Table",
            "A table's schema, files, row count and facets (every value of each "
            "enumerated field with its row count).",
            table,
            payloads.ResourceDetailSchema,
            [SLUG, RESOURCE, version],
            errors=(400, 404, 410),
        ),
        "/api/v1/datasets/{slug}/resources/{resource}/rows": _operation(
            "Rows",
            "Rows of a table, filtered, sorted and a page at a time, with the total "
            "number of matching rows.",
            f"{table}/rows?district=D3&incident_date__min=2024-01-01&sort=-incident_date&limit=10",
            payloads.RowsPageSchema,
            [SLUG, RESOURCE, rows_query, FILTERS],
            errors=(400, 404, 410),
        ),
        "/api/v1/datasets/{slug}/resources/{resource}/rows.csv": _operation(
            "Filtered CSV",
            "Every row matching the same filters and sort as `/rows` (`limit` "
            "and `offset` are ignored), streamed as CSV (UTF-8, CRLF line ends, cells exactly "
            "as in the published file).",
            f"{table}/rows.csv?district=D3&subject_injury=serious",
            {"type": "string"},
            [SLUG, RESOURCE, rows_query, FILTERS],
            errors=(400, 404, 410),
            media="text/csv",
        ),
        "/api/v1/datasets/{slug}/resources/{resource}/compare": _operation(
            "Changes between two versions",
            "The rows of a table added, removed and changed (matched on its primary key) "
            "from one version to another, a page at a time; for a changed row, the old value "
            "of each cell that changed. The diff page's JSON twin; `csv_url` has every change.",
            f"{table}/compare?from=1&to=2&show=changed",
            CompareSchema,
            [SLUG, RESOURCE, {"in": "query", "schema": CompareQuerySchema}],
            errors=(400, 404, 410),
        ),
        "/api/v1/datasets/{slug}/corrections": _operation(
            "Corrections",
            "Published corrections of a dataset: what was wrong, what changed, in which "
            "version and which rows.",
            "/api/v1/datasets/use-of-force/corrections",
            CorrectionsSchema,
            [SLUG],
        ),
        "/api/v1/datasets/{slug}/comments": _operation(
            "Comments",
            "Residents' published comments, questions and data-problem reports on a dataset, "
            "with the records office's answers.",
            "/api/v1/datasets/use-of-force/comments",
            CommentListSchema,
            [SLUG],
        ),
        "/api/v1/policies": _operation(
            "Policies",
            "Every published policy of the department with its versions (effective date, "
            "summary of changes, files and SHA-256 checksums) and the datasets it governs.",
            "/api/v1/policies",
            PolicyListSchema,
            [],
            errors=(),
        ),
        "/api/v1/policies/{slug}": _operation(
            "Policy",
            "One policy: the version in effect today, every version, the datasets it governs.",
            "/api/v1/policies/use-of-force",
            PolicySchema,
            [POLICY],
        ),
        "/api/v1/policies/{slug}/v{number}": _operation(
            "Policy version",
            "One version of a policy with its full Markdown text and files.",
            "/api/v1/policies/use-of-force/v2",
            PolicyVersionSchema,
            [POLICY, NUMBER],
            errors=(404, 410),
        ),
        "/api/v1/trust": _operation(
            "Community trust index",
            "The latest quarter's trust index (0-100) with its 95 % interval and number of "
            "responses, its trend by quarter, each district's figures and the method's "
            "thresholds, from the published community-trust dataset.",
            "/api/v1/trust",
            TrustSchema,
            [],
            errors=(),
        ),
        "/api/v1/rates": _operation(
            "Rates with context",
            "Rates such as use of force per 1,000 calls for service, each with its numerator, "
            "denominator and the versions they come from.",
            "/api/v1/rates",
            RatesSchema,
            [],
            errors=(),
        ),
        "/api/v1/status": _operation(
            "Publishing status",
            "Each dataset's release calendar (last published, next expected, overdue), its "
            "recent updates and the head of the release ledger.",
            "/api/v1/status",
            StatusSchema,
            [],
            errors=(),
        ),
        "/api/v1/runs": _operation(
            "Update status",
            "The latest updates of each published dataset: when, and whether "
            "new data arrived, nothing changed or the update failed.",
            "/api/v1/runs",
            payloads.RunsSchema,
            [],
            errors=(),
        ),
    }


@cache
def openapi_document(base_url: str) -> dict:
    """The OpenAPI 3.0 document (built once per process and base address)."""
    spec = APISpec(
        title="Police transparency portal API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": INTRO},
        servers=[{"url": base_url}],
    )
    spec.components.schema("Error", schema=payloads.ErrorSchema)
    for path, operations in _paths().items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document(portal().config.base_url))


@docs.get("/api/")
def page() -> str:
    document = openapi_document(portal().config.base_url)
    return render_template("api.html", document=document, base_url=portal().config.base_url)
