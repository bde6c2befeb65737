"""Dataset pages embed a schema.org Dataset as JSON-LD, allowed by the page's CSP."""

from __future__ import annotations

import json
import re

from portal.models import Dataset
from tests.catalogs import sqlite_only
from tests.support.published import served_version

BASE = "http://127.0.0.1:8000"
SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def test_the_dataset_page_describes_itself_as_a_schema_org_dataset(served_v1):
    client, version = served_v1, served_version(served_v1)

    response = client.get("/datasets/use-of-force/")

    blocks = SCRIPT.findall(response.get_data(as_text=True))
    assert len(blocks) == 1
    described = json.loads(blocks[0])
    assert described["@context"] == "https://schema.org"
    assert described["@type"] == "Dataset"
    assert described["name"] == "Use of force"
    assert described["description"].startswith("Every reported use of force")
    assert described["url"] == f"{BASE}/datasets/use-of-force/"
    assert described["version"] == "1"
    assert described["dateModified"] == version.published_at.isoformat(timespec="seconds")
    assert described["license"] == "https://opendatacommons.org/licenses/pddl/1-0/"
    assert described["creator"] == {
        "@type": "Organization",
        "name": "Example City Police Department",
        "email": "records@police.example.gov",
    }
    assert "use of force" in described["keywords"]
    start, end = described["temporalCoverage"].split("/")
    assert start < end
    downloads = {d["contentUrl"]: d for d in described["distribution"]}
    assert set(downloads) == {
        f"{BASE}/datasets/use-of-force/v1/{f.filename}" for f in version.files
    }
    parquet = downloads[f"{BASE}/datasets/use-of-force/v1/incidents.parquet"]
    assert parquet["@type"] == "DataDownload"
    assert parquet["encodingFormat"] == "application/vnd.apache.parquet"
    for url, item in downloads.items():
        served = client.get(url.removeprefix(BASE))
        assert served.headers["Content-Type"].split(";")[0] == item["encodingFormat"]
    # A JSON-LD data block is never run, so the strict script policy stays as it is.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@sqlite_only
def test_text_from_the_definition_cannot_close_the_script_element(portal, client, published_uof):
    hostile = 'Counts </script><script>alert("x")</script> & <!-- more'
    with portal.db.session() as session:
        dataset = session.query(Dataset).filter_by(slug="use-of-force").one()
        dataset.meta = {**dataset.meta, "description": hostile}

    page = client.get("/datasets/use-of-force/").get_data(as_text=True)

    blocks = SCRIPT.findall(page)
    assert len(blocks) == 1
    assert json.loads(blocks[0])["description"] == hostile
    assert "<script>alert" not in page
