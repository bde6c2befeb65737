"""Downloads: exact bytes, headers, conditional GET, Range, and no path from the request."""

from __future__ import annotations

import hashlib

from portal.storage import LocalStorage
from tests.support.published import served_portal, served_version


# SQLite only (served_v1): the bytes are served from the version's files;
# test_conditional_get_answers_304 and test_nothing_is_downloadable_before_approval keep
# PostgreSQL.
def test_latest_and_versioned_csv_serve_the_published_bytes(served_v1):
    client, version = served_v1, served_version(served_v1)
    data_dir = served_portal(client).config.data_dir
    stored = LocalStorage(data_dir).path(version.file("incidents.csv").path)

    for url in (
        "/datasets/use-of-force/v1/incidents.csv",
        "/datasets/use-of-force/latest/incidents.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == stored.read_bytes()
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        assert "use-of-force-v1-incidents.csv" in response.headers["Content-Disposition"]
        assert response.headers["ETag"].strip('"') == hashlib.sha256(response.data).hexdigest()
        assert response.headers["Last-Modified"]
    assert (
        "immutable"
        in client.get("/datasets/use-of-force/v1/incidents.csv").headers["Cache-Control"]
    )
    assert (
        client.get("/datasets/use-of-force/latest/incidents.csv").headers["Cache-Control"]
        == "no-cache"
    )


def test_conditional_get_answers_304(client, published_uof):
    first = client.get("/datasets/use-of-force/v1/incidents.csv")

    by_etag = client.get(
        "/datasets/use-of-force/v1/incidents.csv", headers={"If-None-Match": first.headers["ETag"]}
    )
    by_date = client.get(
        "/datasets/use-of-force/v1/incidents.csv",
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
    )

    assert by_etag.status_code == 304
    assert by_etag.data == b""
    assert by_date.status_code == 304


# SQLite only (served_v1): ranges are cut from the file by the web server, not by the engine.
def test_range_requests_answer_206_with_the_slice(served_v1):
    client = served_v1
    whole = client.get("/datasets/use-of-force/v1/incidents.csv").data

    partial = client.get(
        "/datasets/use-of-force/v1/incidents.csv", headers={"Range": "bytes=100-199"}
    )

    assert partial.status_code == 206
    assert partial.data == whole[100:200]
    assert partial.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"


# SQLite only (served_v1): the files of a version are served from its folder.
def test_other_files_of_a_version(served_v1):
    client = served_v1

    package = client.get("/datasets/use-of-force/latest/datapackage.json")
    records = client.get("/datasets/use-of-force/v1/incidents.json")
    archive = client.get("/datasets/use-of-force/v1/use-of-force.zip")

    assert package.json["name"] == "use-of-force"
    assert {r["name"] for r in package.json["resources"]} == {"incidents", "monthly-summary"}
    assert records.headers["Content-Type"].startswith("application/json")
    assert records.json[0]["officer_injured"] in (True, False)
    assert archive.headers["Content-Type"] == "application/zip"


# SQLite only (served_v1): a missing version is a plain lookup by number and a missing file
# or a traversal attempt is refused by the path checks, the same on both engines.
def test_unknown_files_versions_and_traversal_attempts_are_404(served_v1):
    client = served_v1

    for url in (
        "/datasets/use-of-force/v2/incidents.csv",
        "/datasets/use-of-force/v1/secrets.csv",
        "/datasets/use-of-force/v1/..%2f..%2fportal.db",
        "/datasets/use-of-force/latest/%2e%2e%2f%2e%2e%2fportal.db",
        "/datasets/nope/latest/incidents.csv",
        "/datasets/use-of-force/v1/../../portal.db",
    ):
        assert client.get(url).status_code == 404, url


def test_nothing_is_downloadable_before_approval(portal, client, uof_source):
    from tests.flow import run

    run(portal)

    assert client.get("/datasets/use-of-force/latest/incidents.csv").status_code == 404
    assert client.get("/datasets/use-of-force/").status_code == 404
