"""The tables API: resources, rows with filters, sort and pages, filtered CSV, versions, errors."""

from __future__ import annotations

import csv
import io

import pytest

from portal.releases import retractions
from portal.storage import LocalStorage
from portal.users import get_user
from tests.flow import approve, run
from tests.support.published import served_portal, served_version

ROWS = "/api/v1/datasets/use-of-force/resources/incidents/rows"
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def published_rows(portal, version, filename="incidents.csv") -> list[dict]:
    path = LocalStorage(portal.config.data_dir).path(version.file(filename).path)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def publish_a_second_version(portal, officer, uof_source) -> None:
    lines = uof_source.read_bytes().split(b"\r\n")
    uof_source.write_bytes(b"\r\n".join(lines[:-200] + [b""]))  # some reports were withdrawn
    assert run(portal).status.value == "succeeded"
    approve(portal, officer)


def test_rows_filtered_sorted_and_counted(portal, client, published_uof):
    published = published_rows(portal, published_uof)
    expected = [
        r for r in published if r["district"] == "D3" and r["incident_date"] >= "2024-01-01"
    ]
    expected.sort(key=lambda r: r["incident_date"], reverse=True)

    response = client.get(
        f"{ROWS}?district=D3&incident_date__min=2024-01-01&sort=-incident_date&limit=5"
    )

    assert response.status_code == 200
    body = response.json
    assert body["total"] == len(expected) > 5
    assert (body["limit"], body["offset"], body["version"]) == (5, 0, 1)
    assert [r["incident_id"] for r in body["rows"]] == [r["incident_id"] for r in expected[:5]]
    first = body["rows"][0]
    assert isinstance(first["subject_number"], int)
    assert isinstance(first["officers_involved"], int)
    assert first["officer_injured"] in (True, False)
    assert first["incident_date"] == expected[0]["incident_date"]


def test_next_links_walk_every_matching_row_once(served_v1):
    client, version = served_v1, served_version(served_v1)
    expected = [
        r["incident_id"] + r["subject_number"]
        for r in published_rows(served_portal(client), version)
        if r["subject_injury"] == "serious"
    ]

    seen, url, pages = (
        [],
        f"{ROWS}?subject_injury=serious&limit=40&fields=incident_id,subject_number",
        0,
    )
    while url:
        body = client.get(url.replace("http://127.0.0.1:8000", "")).json
        assert body["fields"] == ["incident_id", "subject_number"]
        seen += [r["incident_id"] + str(r["subject_number"]) for r in body["rows"]]
        url, pages = body["next"], pages + 1
        if url:
            assert "version=1" in url and "subject_injury=serious" in url

    assert seen == expected
    assert pages == -(-len(expected) // 40)


def test_text_search_and_several_values_of_one_field(served_v1):
    client, version = served_v1, served_version(served_v1)
    published = published_rows(served_portal(client), version)
    an_id = published[100]["incident_id"]

    found = client.get(f"{ROWS}?q={an_id.lower()}").json
    either = client.get(f"{ROWS}?outcome=arrested&outcome=cited&limit=1").json

    assert {r["incident_id"] for r in found["rows"]} == {an_id}
    assert either["total"] == sum(r["outcome"] in ("arrested", "cited") for r in published)


def test_filtered_csv_export_equals_the_filtered_rows(served_v1):
    client, version = served_v1, served_version(served_v1)
    query = "district=D2&officer_injured=true&sort=-incident_date,incident_id"

    exported = client.get(f"{ROWS}.csv?{query}")
    page = client.get(f"{ROWS}?{query}&limit=1000").json

    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        exported.headers["Content-Disposition"]
        == 'attachment; filename="use-of-force-v1-incidents-filtered.csv"'
    )
    text = exported.get_data(as_text=True)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    published = {
        (r["incident_id"], r["subject_number"]): r
        for r in published_rows(served_portal(client), version)
    }
    assert len(parsed) == page["total"] > 0
    assert [r["incident_id"] for r in parsed] == [r["incident_id"] for r in page["rows"]]
    assert all(r == published[(r["incident_id"], r["subject_number"])] for r in parsed)


def test_unfiltered_export_is_the_published_file(served_v1):
    client = served_v1

    exported = client.get(f"{ROWS}.csv").data

    assert exported == client.get("/datasets/use-of-force/v1/incidents.csv").data


def test_resource_list_and_detail_with_schema_files_and_facets(served_v1):
    client, version = served_v1, served_version(served_v1)
    published = published_rows(served_portal(client), version)

    listed = client.get("/api/v1/datasets/use-of-force/resources").json
    detail = client.get("/api/v1/datasets/use-of-force/resources/incidents").json

    assert [r["name"] for r in listed["resources"]] == ["incidents", "monthly-summary"]
    assert listed["resources"][0]["rows"] == len(published)
    assert detail["rows"] == len(published)
    assert detail["schema"]["fields"][0]["name"] == "incident_id"
    assert {f["filename"] for f in detail["files"]} >= {"incidents.csv"}
    assert all(len(f["sha256"]) == 64 for f in detail["files"])
    districts = {item["value"]: item["count"] for item in detail["facets"]["district"]}
    assert districts == {
        d: sum(r["district"] == d for r in published) for d in ["D1", "D2", "D3", "D4", "D5", "D6"]
    }
    assert "incident_id" not in detail["facets"]


@sqlite_only
def test_older_versions_answer_with_version_n(portal, client, uof_source, officer, published_uof):
    publish_a_second_version(portal, officer, uof_source)

    latest = client.get(f"{ROWS}?limit=1").json
    first = client.get(f"{ROWS}?limit=1&version=1").json
    exported = client.get(f"{ROWS}.csv?version=1")

    assert latest["version"] == 2 and first["version"] == 1
    assert first["total"] > latest["total"]
    assert exported.headers["Content-Disposition"].endswith('v1-incidents-filtered.csv"')
    assert client.get(f"{ROWS}?version=3").status_code == 404


@sqlite_only
def test_a_retracted_version_answers_410(portal, client, uof_source, officer, published_uof):
    publish_a_second_version(portal, officer, uof_source)
    with portal.db.session() as session:
        retractions.retract(
            session, "use-of-force", 1, get_user(session, officer), "Wrong districts"
        )

    response = client.get(f"{ROWS}?version=1")

    assert response.status_code == 410
    assert "Wrong districts" in response.json["error"]["message"]
    assert client.get(f"{ROWS}.csv?version=1").status_code == 410
    assert client.get(f"{ROWS}?version=2").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("nope=1", "nope"),
        ("officers_involved=many", "officers_involved"),
        ("incident_date__min=yesterday", "incident_date__min"),
        ("district__min=D1", "district__min"),
        ("sort=-nope", "sort"),
        ("fields=incident_id,nope", "fields"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("version=0", "version"),
        ("version=99999999999999999999", "version"),
    ],
)
def test_bad_parameters_answer_400_naming_them(served_v1, query, parameter):
    for url in (f"{ROWS}?{query}", f"{ROWS}.csv?{query}"):
        response = served_v1.get(url)
        assert response.status_code == 400, url
        error = response.json["error"]
        assert error["status"] == 400 and error["title"] == "Bad request"
        assert parameter in error["fields"], error


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/datasets/no-such-thing/resources",
        "/api/v1/datasets/no-such-thing/resources/incidents/rows",
        "/api/v1/datasets/use-of-force/resources/no-such-table",
        "/api/v1/datasets/use-of-force/resources/no-such-table/rows.csv",
        "/api/v1/datasets/use-of-force/resources/incidents.csv/rows",
        "/api/v1/datasets/NO%00SUCH/versions",
        "/api/v1/datasets/use-of-force/resources?version=7",
        "/api/v1/no/such/address",
    ],
)
def test_unknown_things_answer_404_in_the_error_shape(served_v1, url):
    response = served_v1.get(url)

    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
    assert response.json["error"]["fields"] == {}
