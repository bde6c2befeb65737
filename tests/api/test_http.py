"""What every API answer shares: CORS, ETag and 304, OpenAPI, and runs that leak nothing."""

from __future__ import annotations

import json

import pytest

from tests.flow import run

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ROWS = "/api/v1/datasets/use-of-force/resources/incidents/rows"


def test_any_origin_may_read_the_api_and_the_downloads(served_v1):
    client = served_v1

    for url in (
        "/api/v1/datasets",
        f"{ROWS}?district=D1",
        f"{ROWS}.csv",
        "/datasets/use-of-force/latest/incidents.csv",
        "/api/v1/nothing-here",
    ):
        response = client.get(url, headers={"Origin": "https://news.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        ROWS, headers={"Origin": "https://news.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get("/datasets/").headers


def test_etag_and_304_on_json_and_csv(served_v1):
    client = served_v1

    for url in ("/api/v1/datasets/use-of-force", f"{ROWS}?district=D4&limit=3", f"{ROWS}.csv?q=d4"):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert first.status_code == 200 and first.headers["ETag"]
        assert again.status_code == 304, url
        assert again.data == b""
    other = client.get(f"{ROWS}?district=D5&limit=3")
    assert other.headers["ETag"] != client.get(f"{ROWS}?district=D4&limit=3").headers["ETag"]


@sqlite_only
def test_runs_say_how_updates_went_without_error_text(
    portal, client, uof_source, officer, published_uof
):
    original = uof_source.read_text(encoding="utf-8")
    uof_source.write_text(original.replace("District,", "Dist,", 1), encoding="utf-8")
    failed = run(portal)
    assert failed.status.value == "failed" and failed.error

    body = client.get("/api/v1/runs").get_data(as_text=True)

    runs = json.loads(body)["datasets"][0]
    assert runs["dataset"] == "use-of-force"
    assert [r["outcome"] for r in runs["runs"]] == ["failed", "published"]
    assert runs["runs"][1]["summary"].startswith("published as version 1 (")
    for leak in (failed.error, "Dist", "SubjectName", "column", str(uof_source), officer):
        assert leak not in body, leak


@sqlite_only
def test_openapi_document_covers_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").json

    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {
        "/api/v1/datasets",
        "/api/v1/datasets/{slug}",
        "/api/v1/datasets/{slug}/versions",
        "/api/v1/datasets/{slug}/resources",
        "/api/v1/datasets/{slug}/resources/{resource}",
        "/api/v1/datasets/{slug}/resources/{resource}/rows",
        "/api/v1/datasets/{slug}/resources/{resource}/rows.csv",
        "/api/v1/runs",
    }
    rows = document["paths"]["/api/v1/datasets/{slug}/resources/{resource}/rows"]["get"]
    assert {p["name"] for p in rows["parameters"]} >= {
        "limit",
        "offset",
        "sort",
        "fields",
        "q",
        "version",
        "slug",
        "resource",
    }
    assert set(document["components"]["schemas"]["RowsPage"]["required"]) >= {
        "total",
        "limit",
        "offset",
        "next",
        "rows",
    }


@sqlite_only
def test_api_page_lists_endpoints_and_every_page_footer_links_it(client):
    page = client.get("/api/")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "GET /api/v1/datasets/{slug}/resources/{resource}/rows" in text
    assert "incident_date__min" in text and "/api/v1/openapi.json" in text
    assert "<script" not in text
    footer = text[text.index("<footer") :]
    assert 'href="/api/"' in footer
