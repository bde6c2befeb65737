"""Downloads of published files: immutable version URLs and `latest`, with ETag, 304 and Range."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, send_file
from werkzeug.http import parse_range_header

from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, storage
from portal.languages import gettext as _

downloads = Blueprint("downloads", __name__)
INLINE_TYPES = {"application/json"}


@downloads.get("/datasets/<slug>/v<int:number>/<filename>")
def version_file(slug: str, number: int, filename: str) -> Response:
    return _send(slug, number, filename)


@downloads.get("/datasets/<slug>/latest/<filename>")
def latest_file(slug: str, filename: str) -> Response:
    return _send(slug, None, filename)


def _send(slug: str, number: int | None, filename: str) -> Response:
    session = db_session()
    try:
        found = browse.download(session, storage(), slug, number, filename)
    except UnknownDataset:
        abort(404)
    except browse.NotPublished as missing:
        return _missing(slug, filename, str(missing))
    except browse.Retracted as retracted:
        dataset = retracted.version.dataset
        body = render_template(
            "retracted.html",
            version=retracted.version,
            slug=slug,
            dataset=dataset,
            withdrawal=browse.withdrawal(session, dataset),
            current=dataset.current_version,
            filename=filename,
        )
        return Response(body, status=410, mimetype="text/html")
    ranges = parse_range_header(request.headers.get("Range"))
    if ranges is not None and len(ranges.ranges) > 1:
        # Werkzeug serves one range only; for several, the whole file (RFC 9110 allows it).
        request.environ.pop("HTTP_RANGE", None)
    # Werkzeug adds "; charset=utf-8" to text/* types itself.
    response = send_file(
        found.path,
        mimetype=found.file.media_type,
        as_attachment=found.file.media_type not in INLINE_TYPES,
        download_name=found.download_name,
        conditional=True,
        etag=found.file.sha256,
        last_modified=found.version.published_at,
        max_age=None,
    )
    if number is None:
        # `latest` changes meaning with each release: caches must ask again.
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Link"] = (
            f'</datasets/{slug}/v{found.version.number}/{filename}>; rel="canonical"'
        )
    else:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-SHA256"] = found.file.sha256
    return response


def _missing(slug: str, filename: str, message: str) -> Response:
    """A version or file that never existed: 404, pointing at what the dataset has now."""
    try:
        dataset = browse.public_dataset(db_session(), slug)
    except UnknownDataset:
        abort(404)
    current = dataset.current_version
    body = render_template(
        "error.html",
        status=404,
        title=_("Not found"),
        message=_("There is nothing at this address: %(reason)s.", reason=message),
        dataset=dataset,
        current=current,
        current_file=current.file(filename) if current else None,
    )
    return Response(body, status=404, mimetype="text/html")
