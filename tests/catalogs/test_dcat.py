"""/data.json: a DCAT-US v1.1 catalogue that passes the official non-federal JSON Schemas."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date

from tests.flow import publish
from tests.support.published import served_version

BASE = "http://127.0.0.1:8000"


def test_data_json_passes_the_official_dcat_us_schemas(
    portal, client, published_uof, bwc_source, officer, dcat_validator
):
    publish(portal, officer, "body-worn-cameras")

    response = client.get("/data.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    catalogue = response.json
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in dcat_validator.iter_errors(catalogue)
    ]
    assert errors == []
    assert catalogue["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert {d["identifier"] for d in catalogue["dataset"]} == {
        f"{BASE}/datasets/use-of-force/",
        f"{BASE}/datasets/body-worn-cameras/",
    }


def test_a_dataset_entry_says_who_what_when_and_where_to_download(served_v1):
    client, version = served_v1, served_version(served_v1)

    entry = client.get("/data.json").json["dataset"][0]

    assert entry["title"] == "Use of force"
    assert entry["accessLevel"] == "public"
    assert entry["publisher"]["name"] == "Example City Police Department"
    assert entry["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "Example City Police Department",
        "hasEmail": "mailto:records@police.example.gov",
    }
    assert entry["modified"] == version.published_at.isoformat(timespec="seconds")
    assert entry["license"] == "https://opendatacommons.org/licenses/pddl/1-0/"
    assert entry["accrualPeriodicity"] == "R/P1M"
    assert "use of force" in entry["keyword"]
    assert entry["spatial"] == "Example City (the department's six patrol districts)"
    assert entry["landingPage"] == f"{BASE}/datasets/use-of-force/"
    assert entry["describedBy"] == f"{BASE}/datasets/use-of-force/latest/datapackage.json"
    downloads = {d["downloadURL"]: d for d in entry["distribution"]}
    assert set(downloads) == {
        f"{BASE}/datasets/use-of-force/latest/{f.filename}" for f in version.files
    }
    csv_entry = downloads[f"{BASE}/datasets/use-of-force/latest/incidents.csv"]
    assert csv_entry["mediaType"] == "text/csv"
    assert csv_entry["format"] == "CSV"
    assert csv_entry["title"] == "Use-of-force incidents (CSV)"
    assert f"{version.file('incidents.csv').row_count:,} rows" in csv_entry["description"]
    # Every download address answers with the file and the media type the catalogue names.
    for url, item in downloads.items():
        served = client.get(url.removeprefix(BASE))
        assert served.status_code == 200, url
        assert served.headers["Content-Type"].split(";")[0] == item["mediaType"]


def test_temporal_coverage_is_the_span_of_the_published_dates(served_v1):
    client = served_v1
    days = _column("/datasets/use-of-force/latest/incidents.csv", client, "incident_date")
    months = _column("/datasets/use-of-force/latest/monthly-summary.csv", client, "month")
    first_month = date.fromisoformat(min(months) + "-01")
    year, month = map(int, max(months).split("-"))
    last_month = date(year, month, calendar.monthrange(year, month)[1])
    start = min(date.fromisoformat(min(days)), first_month)
    end = max(date.fromisoformat(max(days)), last_month)

    entry = client.get("/data.json").json["dataset"][0]

    assert entry["temporal"] == f"{start.isoformat()}/{end.isoformat()}"


def test_a_new_version_updates_modified_but_keeps_the_identifier(
    portal, client, two_versions, dcat_validator
):
    first, second = two_versions

    entry = client.get("/data.json").json["dataset"][0]

    assert entry["identifier"] == f"{BASE}/datasets/use-of-force/"
    assert entry["modified"] == second.published_at.isoformat(timespec="seconds")
    assert entry["issued"] == first.published_at.isoformat(timespec="seconds")
    assert list(dcat_validator.iter_errors(client.get("/data.json").json)) == []


def test_an_empty_portal_serves_a_valid_empty_catalogue(client, dcat_validator):
    catalogue = client.get("/data.json").json

    assert catalogue["dataset"] == []
    assert list(dcat_validator.iter_errors(catalogue)) == []


def test_the_schemas_catch_an_entry_without_a_contact(served_v1, dcat_validator):
    # The check has teeth: the same catalogue, less a required field, fails.
    catalogue = served_v1.get("/data.json").json
    del catalogue["dataset"][0]["contactPoint"]
    catalogue["dataset"][0]["distribution"][0]["downloadURL"] = "not a url"

    messages = [error.message for error in dcat_validator.iter_errors(catalogue)]

    assert any("contactPoint" in message for message in messages)
    assert any("not a url" in message for message in messages)


def test_pages_link_the_catalogue_which_answers_conditional_requests(served_v1):
    client = served_v1
    page = client.get("/datasets/use-of-force/").get_data(as_text=True)
    first = client.get("/data.json")
    again = client.get("/data.json", headers={"If-None-Match": first.headers["ETag"]})

    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/feed.atom"' in page
    assert 'href="/data.json"' in page
    assert again.status_code == 304
    assert again.data == b""


def _column(url: str, client, name: str) -> list[str]:  # noqa: ANN001
    text = client.get(url).get_data(as_text=True)
    return [row[name] for row in csv.DictReader(io.StringIO(text)) if row[name]]
