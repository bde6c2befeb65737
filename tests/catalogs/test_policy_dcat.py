"""Policies in /data.json: DCAT-US datasets with their text and original as distributions."""

from __future__ import annotations

from portal.demo import policies as policies_demo
from portal.users import get_user
from tests.catalogs import sqlite_only
from tests.conftest import OFFICER

BASE = "http://127.0.0.1:8000"


@sqlite_only
def test_policies_are_dcat_us_datasets_with_the_right_media_types(
    portal, client, published_uof, dcat_validator
):
    with portal.db.session() as session:
        user = get_user(session, OFFICER[0])
    list(policies_demo.load(portal, user))

    catalogue = client.get("/data.json").json

    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in dcat_validator.iter_errors(catalogue)
    ]
    assert errors == []
    entries = {d["identifier"]: d for d in catalogue["dataset"]}
    uof = entries[f"{BASE}/policies/use-of-force/"]
    assert uof["title"] == "Policy 300: Use of force"
    assert uof["references"] == [f"{BASE}/datasets/use-of-force/"]
    assert uof["contactPoint"]["hasEmail"] == "mailto:records@police.example.gov"
    assert [(d["mediaType"], d["format"], d["downloadURL"]) for d in uof["distribution"]] == [
        ("text/markdown", "Markdown", f"{BASE}/policies/use-of-force/v3/text.md"),
        ("text/markdown", "Markdown", f"{BASE}/policies/use-of-force/v3/original.md"),
    ]
    for distribution in uof["distribution"]:
        path = distribution["downloadURL"].removeprefix(BASE)
        assert client.get(path).status_code == 200
    assert f"{BASE}/policies/vehicle-pursuits/" in entries
