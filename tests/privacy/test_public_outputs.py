"""Never-publish columns of the source never reach a public file, page or API response."""

from __future__ import annotations

import copy
import csv
import html
import io
import re
import zipfile

import polars as pl
import pytest

from portal.storage import LocalStorage

ADDRESS = r"\d+ [NSEW] [A-Z][a-z]+(?: [A-Z][a-z]+)* [A-Z][a-z]+"


def _secrets(source) -> dict[str, set[str]]:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = {r["SubjectName"] for r in rows}
    names |= {n.strip() for r in rows for n in r["OfficerNames"].split(";")}
    badges = {b for r in rows for b in r["BadgeNumbers"].split(";")}
    return {
        "names": names,
        "addresses": {r["StreetAddress"] for r in rows},
        "births": {r["SubjectDOB"] for r in rows},
        "badges": badges,
    }


def _text(name: str, content: bytes) -> str:
    if name.endswith(".parquet"):  # binary: compare its cells as CSV text
        return pl.read_parquet(io.BytesIO(content)).write_csv()
    return content.decode("utf-8")


def _public_texts(portal, client, version) -> dict[str, str]:
    storage = LocalStorage(portal.config.data_dir)
    texts = {}
    for file in version.files:
        content = storage.path(file.path).read_bytes()
        if file.filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(content)) as bundle:
                for name in bundle.namelist():
                    texts[f"zip:{name}"] = _text(name, bundle.read(name))
        else:
            texts[file.filename] = _text(file.filename, content)
    for url in (
        "/",
        "/datasets/",
        "/datasets/use-of-force/",
        "/datasets/use-of-force/versions/",
        "/api/v1/",
        "/api/v1/datasets",
        "/api/v1/datasets/use-of-force",
        "/api/v1/datasets/use-of-force/versions",
        "/api/v1/datasets/use-of-force/resources/incidents/rows?limit=1000",
        "/api/v1/datasets/use-of-force/resources/incidents/rows.csv",
        "/api/v1/datasets/use-of-force/resources/monthly-summary/rows.csv",
        "/api/v1/runs",
        "/data.json",
        "/feed.atom",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = response.get_data(as_text=True)
    return texts


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_name_badge_address_or_birth_date_is_public(portal, client, uof_source, published_uof):
    secrets = _secrets(uof_source)
    assert all(secrets.values())  # the export really carries them
    assert all(re.fullmatch(ADDRESS, address) for address in secrets["addresses"])
    version = published_uof

    for where, text in _public_texts(portal, client, version).items():
        text = html.unescape(text)
        leaked = [name for name in secrets["names"] if name in text]
        assert not leaked, f"names {leaked[:3]} in {where}"
        # Thousands of addresses and dates: compare everything shaped like one instead.
        addresses = set(re.findall(ADDRESS, text))
        assert not addresses & secrets["addresses"], f"addresses in {where}"
        dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
        assert not dates & secrets["births"], f"birth dates in {where}"
        # Badge numbers are 4 digits: look for them as whole tokens, not inside dates or hashes.
        tokens = set(re.findall(r"(?<![\w-])\d{4}(?![\w-])", text))
        assert not tokens & secrets["badges"], f"badge numbers in {where}"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_mapping_that_would_leak_a_secret_column_fails_the_run(portal, uof_source, tmp_path):
    from dataclasses import replace

    from tests.flow import run

    definition = portal.definition("use-of-force")
    incidents = definition.resource("incidents")
    # A careless edit: the incident number now comes from the subject's name, and the schema's
    # pattern that would have caught it was loosened too. Only the guard stands in the way.
    schema = copy.deepcopy(incidents.table_schema)
    schema["fields"][0]["constraints"] = {"required": True}
    schema["primaryKey"] = []
    leaking = replace(
        incidents, table_schema=schema, columns={**incidents.columns, "incident_id": "SubjectName"}
    )
    # In memory only: the files on disk are unchanged, so the loaded catalogue stays in use.
    portal.catalogue.definitions["use-of-force"] = replace(
        definition, resources=(leaking, definition.resource("monthly-summary"))
    )

    result = run(portal)

    assert result.status.value == "failed"
    assert "never-publish" in result.error
    assert not list((portal.config.data_dir / "staging").glob("*/*.csv"))
