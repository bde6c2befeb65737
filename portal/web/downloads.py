"""Downloads of published files: immutable version URLs and `latest`, with ETag, 304 and Range."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, send_file

from portal.datasets import browse
from portal.errors import UnknownDataset
from portal.extensions import db_session, storage

downloads = Blueprint("downloads", __name__)
INLINE_TYPES = {"application/json"}


@downloads.get("/datasets/<slug>/v<int:number>/<filename>")
def version_file(slug: str, number: int, filename: str) -> Response:
    return _send(slug, number, filename)


@downloads.get("/datasets/<slug>/latest/<filename>")
def latest_file(slug: str, filename: str) -> Response:
    return _send(slug, None, filename)


def _send(slug: str, number: int | None, filename: str) -> Response:
    try:
        found = browse.download(db_session(), storage(), slug, number, filename)
    except (UnknownDataset, browse.NotPublished):
        abort(404)
    except browse.Retracted as retracted:
        body = render_template("retracted.html", version=retracted.version, slug=slug)
        return Response(body, status=410, mimetype="text/html")
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
