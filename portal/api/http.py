"""What every `/api/v1/` answer shares: errors in one JSON shape, ETag and 304, no caching."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema
from werkzeug.exceptions import HTTPException

from portal.api.payloads import ErrorSchema
from portal.query.engine import BadQuery

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    410: "Gone",
    500: "Server error",
}
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ApiError(Exception):
    """Raised by a view to answer with the API's error payload."""

    def __init__(self, status: int, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


def error_response(
    status: int, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    body = ErrorSchema().dump(
        {
            "error": {
                "status": status,
                "title": TITLES.get(status, "Error"),
                "message": message,
                "fields_": fields or {},
            }
        }
    )
    response = jsonify(body)
    response.status_code = status
    return response


def payload(schema: Schema, data: Any) -> Response:
    """A JSON response validated by its marshmallow schema on the way out."""
    return jsonify(schema.dump(data))


def name_or_404(value: str, what: str) -> str:
    """A slug or resource name from the path; anything no definition could name is a 404."""
    if not SLUG.fullmatch(value):
        raise ApiError(404, f"there is no {what} named {value!r}")
    return value


def install(api: Blueprint) -> None:
    api.register_error_handler(ApiError, lambda e: error_response(e.status, e.message, e.fields))
    api.register_error_handler(
        BadQuery, lambda e: error_response(400, "Some parameters do not fit the table.", e.fields)
    )
    api.register_error_handler(HTTPException, _http_error)
    api.after_request(_conditional)


def _http_error(exc: HTTPException) -> Response:
    messages = {
        404: "There is nothing at this address.",
        405: "This address only answers GET requests.",
    }
    status = exc.code or 500
    return error_response(status, messages.get(status, exc.description or TITLES.get(status, "")))


def _conditional(response: Response) -> Response:
    """ETag (a hash of the body) on every JSON answer, and 304 when the client has it already."""
    response.headers.setdefault("Cache-Control", "no-cache")
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "application/json"
        and not response.is_streamed
    ):
        response.add_etag()
        response.make_conditional(request)
    return response
