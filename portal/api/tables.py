"""`/api/v1/datasets/<slug>/resources/...`: tables, their rows and filtered CSV exports."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import Response, request
from marshmallow import Schema, ValidationError

from portal.api.blueprint import api
from portal.api.http import ApiError, name_or_404, payload
from portal.api.payloads import (
    RESERVED,
    ResourceDetailSchema,
    ResourceListSchema,
    RowsPageSchema,
    RowsQuerySchema,
    VersionQuerySchema,
)
from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, portal
from portal.models import Version, VersionFile
from portal.query import checks, engine


@api.get("/datasets/<slug>/resources")
def resources(slug: str) -> Response:
    version = _version(slug, _load(VersionQuerySchema()).get("version"))
    tables = [f for f in version.files if f.resource_name and f.media_type == "text/csv"]
    return payload(
        ResourceListSchema(),
        {
            "dataset": slug,
            "version": version.number,
            "resources": [_summary(version, f) for f in tables],
        },
    )


@api.get("/datasets/<slug>/resources/<resource>")
def resource(slug: str, resource: str) -> Response:
    version = _version(slug, _load(VersionQuerySchema()).get("version"))
    table, file = _table(version, resource)
    base = _base()
    files = [
        {
            "filename": f.filename,
            "media_type": f.media_type,
            "size": f.size,
            "sha256": f.sha256,
            "url": f"{base}/datasets/{slug}/v{version.number}/{f.filename}",
        }
        for f in version.files
        if f.resource_name == resource
    ]
    return payload(
        ResourceDetailSchema(),
        {
            **_summary(version, file),
            "rows": table.row_count,
            "dataset": slug,
            "version": version.number,
            "table_schema": table.schema,
            "files": files,
            "facets": table.facets,
        },
    )


@api.get("/datasets/<slug>/resources/<resource>/rows")
def rows(slug: str, resource: str) -> Response:
    params = _load(RowsQuerySchema())
    version = _version(slug, params.get("version"))
    table, _ = _table(version, resource)
    query = _checked(table, _query(params))
    try:
        page = table.page(query)
    except engine.BadQuery as bad:
        raise engine.BadQuery(checks.human_errors(table, bad.fields)) from None
    following = None
    if page.offset + page.limit < page.total:
        # Pinned to the version, so a release between two pages cannot shift the rows.
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "version")]
        args += [("version", version.number), ("offset", page.offset + page.limit)]
        following = f"{_base()}{request.path}?{urlencode(args)}"
    return payload(
        RowsPageSchema(),
        {
            "dataset": slug,
            "resource": resource,
            "version": version.number,
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
            "next": following,
            "fields_": page.fields,
            "rows": page.rows,
        },
    )


@api.get("/datasets/<slug>/resources/<resource>/rows.csv")
def rows_csv(slug: str, resource: str) -> Response:
    params = _load(RowsQuerySchema())
    version = _version(slug, params.get("version"))
    table, file = _table(version, resource)
    wanted = _checked(table, _query(params))
    try:
        chunks = table.export(wanted)  # a bad query raises here, before any byte is sent
    except engine.BadQuery as bad:
        raise engine.BadQuery(checks.human_errors(table, bad.fields)) from None
    canonical = urlencode(
        sorted(
            (k, v)
            for k, v in request.args.items(multi=True)
            if k not in ("limit", "offset", "version")
        )
    )
    etag = hashlib.sha256(f"{file.sha256}?{canonical}".encode()).hexdigest()
    if request.if_none_match.contains(etag):
        chunks.close()
        response = Response(status=304)
    else:
        response = Response(chunks, mimetype="text/csv")
        name = f"{slug}-v{version.number}-{resource}-filtered.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.set_etag(etag)
    response.headers["Link"] = (
        f'<{_base()}/datasets/{slug}/v{version.number}/{file.filename}>; rel="describedby"'
    )
    return response


def _base() -> str:
    return portal().config.base_url


def _load(schema: Schema) -> dict:
    known = {k: v for k, v in request.args.items() if k in RESERVED}
    try:
        return schema.load(known)
    except ValidationError as invalid:
        raise ApiError(400, "Some parameters are not valid.", invalid.messages) from None


def _query(params: dict) -> engine.Query:
    def names(text: str | None) -> list[str]:
        return [n.strip() for n in (text or "").split(",") if n.strip()]

    filters = {k: request.args.getlist(k) for k in request.args if k not in RESERVED}
    return engine.Query(
        filters=filters,
        q=params.get("q"),
        sort=names(params.get("sort")),
        fields=names(params.get("fields_")) or None,
        limit=params["limit"],
        offset=params["offset"],
    )


def _checked(table: engine.Table, query: engine.Query) -> engine.Query:
    """Refuse, as the page does, what would answer 0 rows misleadingly: a value a category
    never takes, a range that ends before it starts."""
    problems = checks.check_filters(table, query.filters)
    if problems:
        raise engine.BadQuery(problems)
    return query


def _version(slug: str, number: int | None) -> Version:
    name_or_404(slug, "dataset")
    try:
        version = browse.find_version(db_session(), slug, number)
    except UnknownDataset:
        raise ApiError(404, f"there is no published dataset named {slug!r}") from None
    except browse.NotPublished:
        raise ApiError(404, f"{slug} has no version {number}") from None
    if version.retracted_at is not None:
        raise ApiError(
            410,
            f"version {version.number} of {slug} was retracted: "
            f"{version.retraction_reason or 'no reason given'}",
        )
    return version


def _table(version: Version, resource: str) -> tuple[engine.Table, VersionFile]:
    name_or_404(resource, "resource")
    try:
        table = engine.open_table(portal().config.data_dir, version, resource)
    except engine.UnknownResource:
        raise ApiError(404, f"{version.dataset.slug} has no table named {resource!r}") from None
    file = next(
        f for f in version.files if f.resource_name == resource and f.media_type == "text/csv"
    )
    return table, file


def _summary(version: Version, file: VersionFile) -> dict:
    base, slug = _base(), version.dataset.slug
    title = next(
        (r.title for r in version.dataset.resources if r.name == file.resource_name),
        file.resource_name,
    )
    url = f"{base}/api/v1/datasets/{slug}/resources/{file.resource_name}"
    return {
        "name": file.resource_name,
        "title": title,
        "rows": file.row_count,
        "url": url,
        "rows_url": f"{url}/rows",
        "csv_url": f"{base}/datasets/{slug}/v{version.number}/{file.filename}",
    }
