"""A new dataset from a messy real-world export, added with only YAML and JSON.

Every published format (CSV, JSON, Parquet, the API rows) must hold exactly what a person
reading the source would expect, or the run fails naming each cell it cannot read.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import polars as pl
import pytest

from portal.cli import main
from portal.datasets.context import Portal
from portal.models import Run
from portal.pipeline.cells import findings_path, read_findings
from tests.conftest import login
from tests.flow import approve, run

DATASET_YAML = """\
name: police-shootings
title: Police shootings
family: police-shootings
description: Every shooting by an officer, one row per person shot at.
publisher: {name: Example City Police Department}
license: {name: ODC-PDDL-1.0, path: "https://opendatacommons.org/licenses/pddl/1-0/"}
update_frequency: monthly
resources:
  shootings: {title: Shootings}
"""
SCHEMA = {
    "fields": [
        {"name": "case_id", "type": "string", "constraints": {"required": True}},
        {"name": "occurred_on", "type": "date", "constraints": {"required": True}},
        {"name": "reported_at", "type": "datetime"},
        {"name": "weapons", "type": "string"},
        {"name": "shots_fired", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "zip", "type": "string", "constraints": {"pattern": "[0-9]{5}"}},
        {"name": "age_band", "type": "string"},
        {"name": "armed_with", "type": "string"},
    ],
    "primaryKey": ["case_id"],
    "missingValues": [""],
}
ENTRY = """\
dataset: police-shootings
resources:
  shootings:
    source: {type: file, path: imports/shootings.csv, missing_values: ["NULL", "NA"]}
    columns:
      case_id: Case
      occurred_on: {from: Date, function: date, formats: ["%m/%d/%y"], pivot: 1950}
      reported_at: {from: Reported, function: datetime, formats: ["%m/%d/%Y %I:%M:%S %p"]}
      weapons: {from: Weapons, function: list, separator: "|"}
      shots_fired: {from: Shots, function: integer}
      zip: {from: Zip, pad: 5}
      age_band: {from: Age, function: age_band}
      armed_with: Armed
"""
# An empty-named column (a row counter some exports add), NULL and NA markers, a repeated
# list item, two-digit years, 12-hour clock times, 4-digit ZIP codes and a child of 7.
EXPORT = (
    "Case,Date,Reported,Weapons,Shots,Zip,Age,Armed,\r\n"
    'S-1,7/15/18,02/10/2015 12:00:00 AM,gun|gun|knife,"1,204",2134,7,NULL,1\r\n'
    "S-2,12/31/99,11/25/2020 01:30:05 PM,NA,0,60614,34,knife,2\r\n"
)


@pytest.fixture
def shootings(portal: Portal, tmp_path: Path) -> Portal:
    schemas, publishers = tmp_path / "schemas", tmp_path / "publishers"
    (schemas / "police-shootings").mkdir(parents=True)
    publishers.mkdir()
    (schemas / "police-shootings" / "dataset.yaml").write_text(DATASET_YAML)
    (schemas / "police-shootings" / "shootings.schema.json").write_text(json.dumps(SCHEMA))
    (publishers / "police-shootings.yaml").write_text(ENTRY)
    config = dataclasses.replace(portal.config, schemas_dir=schemas, publishers_dir=publishers)
    return Portal(config)


def _export(portal: Portal, text: str) -> None:
    path = portal.config.data_dir / "imports" / "shootings.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


EXPECTED = [
    ["S-1", "2018-07-15", "2015-02-10T00:00:00", "gun;gun;knife", "1204", "02134", "under-18", ""],
    ["S-2", "1999-12-31", "2020-11-25T13:30:05", "", "0", "60614", "25-34", "knife"],
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_published_format_holds_what_the_source_says(shootings, client, officer, runner):
    _export(shootings, EXPORT)

    result = run(shootings, "police-shootings")
    assert result.status.value == "succeeded", result.error
    version = approve(shootings, officer, "police-shootings")

    base = "/datasets/police-shootings/latest"
    csv = client.get(f"{base}/shootings.csv").get_data(as_text=True).splitlines()
    assert csv[0].split(",") == [f["name"] for f in SCHEMA["fields"]]
    assert [line.split(",") for line in csv[1:]] == EXPECTED

    rows = json.loads(client.get(f"{base}/shootings.json").get_data())
    as_text = [[("" if v is None else str(v)) for v in row.values()] for row in rows]
    assert as_text == EXPECTED

    assert version.file("shootings.parquet").row_count == 2
    frame = pl.read_parquet(io.BytesIO(client.get(f"{base}/shootings.parquet").get_data()))
    assert [str(d) for d in frame["occurred_on"]] == ["2018-07-15", "1999-12-31"]
    assert frame["reported_at"].to_list() == ["2015-02-10T00:00:00", "2020-11-25T13:30:05"]
    assert frame["shots_fired"].to_list() == [1204, 0]
    assert frame["armed_with"].to_list() == [None, "knife"]

    api = client.get("/api/v1/datasets/police-shootings/resources/shootings/rows").get_json()
    first = api["rows"][0]
    assert first["occurred_on"] == "2018-07-15"
    assert first["reported_at"] == "2015-02-10T00:00:00"
    assert first["zip"] == "02134" and first["weapons"] == "gun;gun;knife"
    assert first["armed_with"] is None and first["age_band"] == "under-18"

    page = client.get("/datasets/police-shootings/").get_data(as_text=True)  # the preview
    assert "2018-07-15" in page and "02134" in page and "gun;gun;knife" in page
    assert "NULL" not in page and "7/15/18" not in page

    with shootings.db.session() as session:
        cells = session.get(Run, result.id).report["cells"]["shootings"]
    assert cells["ignoredColumns"] == ["(column 9, no name)"]  # listed, never published
    shown = runner.invoke(main, ["report", str(result.id)]).output
    assert "every cell was read and is valid" in shown
    assert "source columns ignored: (column 9, no name)" in shown
    assert "privacy guard\n  shootings: dropped: " in shown
    assert cells["source"] == "file imports/shootings.csv"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_cell_no_mapping_can_read_fails_the_run_naming_it(shootings, client):
    messy = EXPORT.replace('"1,204"', '"1, 1"').replace("12/31/99", "12/31/1999")
    _export(shootings, messy)

    result = run(shootings, "police-shootings")

    assert result.status.value == "failed"
    assert "shootings.shots_fired: 1 cell cannot be read ('1, 1' on line 2)" in result.error
    assert "shootings.occurred_on: 1 cell cannot be read ('12/31/1999' on line 3)" in result.error
    assert client.get("/datasets/police-shootings/latest/shootings.csv").status_code == 404
    with shootings.db.session() as session:
        fields = session.get(Run, result.id).report["cells"]["shootings"]["fields"]
    assert fields["shots_fired"]["failed"] == 1
    sample = fields["shots_fired"]["samples"][0]
    assert (sample["value"], sample["line"]) == ("1, 1", 2)
    assert "not a whole number" in sample["note"]
    page, total = read_findings(
        findings_path(shootings.config.reports_dir, result.id, "shootings"), kind="failed"
    )
    assert total == 2
    assert [(p["field"], p["value"], p["line"]) for p in page] == [
        ("shots_fired", "1, 1", 2),
        ("occurred_on", "12/31/1999", 3),
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_portal_report_pages_through_every_offending_cell(shootings, runner):
    rows = ["Case,Date,Reported,Weapons,Shots,Zip,Age,Armed,"]
    rows += [f"S-{n},1/{n}/{n:02d},,,x{n},2134,7,,{n}" for n in range(1, 26)]
    rows.append("S-3,1/3/03,,,3,2134,7,,26")  # a duplicate key: both lines are named
    _export(shootings, "\r\n".join(rows) + "\r\n")
    result = run(shootings, "police-shootings")
    assert result.status.value == "failed"

    shown = runner.invoke(
        main, ["report", str(result.id), "--field", "shots_fired", "--limit", "30"]
    )
    assert shown.exit_code == 0, shown.output
    assert "shots_fired                       25        0        0" in shown.output
    assert "findings 1–25 of 25:" in shown.output
    assert (
        "line 2 of imports/shootings.csv: shots_fired 'x1' — failed: 'x1' is not a whole number"
        in shown.output
    )
    assert "line 26 of imports/shootings.csv: shots_fired 'x25'" in shown.output

    page = runner.invoke(
        main, ["report", str(result.id), "--json", "--limit", "5", "--offset", "5"]
    )
    data = json.loads(page.output)["resources"]["shootings"]
    assert data["total"] == 26 and len(data["findings"]) == 5 and data["offset"] == 5
    duplicate = runner.invoke(main, ["report", str(result.id), "--kind", "primary-key"])
    assert "line 27 of imports/shootings.csv: (row) (empty) — primary-key" in duplicate.output
    assert "(the same key as line 4 of imports/shootings.csv)" in duplicate.output
    missing = runner.invoke(main, ["report", "999"])
    assert missing.exit_code == 1 and "no run number 999" in missing.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_office_run_page_shows_counts_and_pages_of_source_cells(shootings, client, officer):
    rows = ["Case,Date,Reported,Weapons,Shots,Zip,Age,Armed,"]
    rows += [f"S-{n},1/{n}/{n:02d},,,x{n},2134,7,,{n}" for n in range(1, 26)]
    _export(shootings, "\r\n".join(rows) + "\r\n")
    result = run(shootings, "police-shootings")
    login(client)

    page = client.get(f"/office/runs/{result.id}").get_data(as_text=True)
    assert "from file imports/shootings.csv" in page
    assert "(column 9, no name)" in page
    assert "<td>25</td><td>0</td><td>0</td>" in page
    assert (
        "Cells 1–20 of 25" in page and "<code>x1</code>" in page and "<code>x21</code>" not in page
    )

    more = client.get(f"/office/runs/{result.id}?resource=shootings&limit=5&offset=20")
    text = more.get_data(as_text=True)
    assert "Cells 21–25 of 25" in text and "<code>x21</code>" in text
    assert client.get(f"/office/runs/{result.id}?limit=abc&offset=-4").status_code == 200


DERIVED_ENTRY = """\
dataset: police-shootings
resources:
  shootings:
    source: {type: file, path: imports/shootings.csv, missing_values: ["NULL", "NA"]}
    columns:
      case_id: Case
      occurred_on: {from: Date, function: date, formats: ["%m/%d/%y"], pivot: 1950}
      reported_at: {from: Reported, function: datetime, formats: ["%m/%d/%Y %I:%M:%S %p"]}
      weapons: {from: Weapons, function: list, separator: "|"}
      shots_fired: {from: Shots, function: integer}
      zip: {from: Zip, pad: 5}
      hired_on: {from: Hired, function: date, formats: ["%m/%d/%Y"]}
      armed_with: Armed
    select:
      # Years of service on the day, from a hire date that is itself never published.
      age_band: >-
        CAST(date_diff('year', CAST(hired_on AS DATE), CAST(occurred_on AS DATE)) AS VARCHAR)
        || ' years'
"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_derived_field_is_computed_by_the_entrys_select(shootings, client, officer):
    entry = shootings.config.publishers_dir / "police-shootings.yaml"
    entry.write_text(DERIVED_ENTRY)
    _export(
        shootings,
        "Case,Date,Reported,Weapons,Shots,Zip,Hired,Armed\r\n"
        "S-1,7/15/18,,gun,1,2134,03/01/2009,knife\r\n"
        "S-2,1/02/20,,,0,60614,NULL,\r\n",
    )

    result = run(Portal(shootings.config), "police-shootings")
    assert result.status.value == "succeeded", result.error
    approve(shootings, officer, "police-shootings")

    csv = client.get("/datasets/police-shootings/latest/shootings.csv").get_data(as_text=True)
    assert csv.splitlines()[1:] == [
        "S-1,2018-07-15,,gun,1,02134,9 years,knife",
        "S-2,2020-01-02,,,0,60614,,",
    ]
    assert "2009" not in csv  # the helper field is never published


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cells_of_combined_files_are_named_by_their_own_file_and_line(shootings):
    entry = shootings.config.publishers_dir / "police-shootings.yaml"
    entry.write_text(ENTRY.replace("imports/shootings.csv", "imports/shootings-*.csv"))
    imports = shootings.config.data_dir / "imports"
    imports.mkdir(parents=True)
    header = "Case,Date,Reported,Weapons,Shots,Zip,Age,Armed\r\n"
    (imports / "shootings-a.csv").write_text(
        header + "S-1,7/15/18,,,1,2134,7,\r\nS-2,7/16/18,,,x,2134,7,\r\n", newline=""
    )
    (imports / "shootings-b.csv").write_text(
        header + "S-3,7/17/18,,,2,2134,7,\n\nS-4,7/18/18,,,1 1,2134,7,\n", newline=""
    )

    result = run(Portal(shootings.config), "police-shootings")

    assert result.status.value == "failed"
    assert "'x' on line 3 of shootings-a.csv" in result.error
    assert "'1 1' on line 4 of shootings-b.csv" in result.error
