"""What is published in every format is checked, and the officer reads what was checked."""

from __future__ import annotations

import html

import polars as pl
import pytest
from sqlalchemy import select

from portal import create_app
from portal.models import Candidate
from portal.pipeline.guard import Guarded
from portal.pipeline.stage import PARQUET, write_json_rows
from portal.privacy.leaks import gather
from portal.privacy.rules import PrivacyGuardFailed
from tests.conftest import login
from tests.flow import run
from tests.privacy.corpus import dataset
from tests.privacy.test_corpus import ROWS, TEXT, narratives, source

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def badge_guard(portal, tmp_path) -> Guarded:  # noqa: ANN001
    """The guard of a dataset whose source's badge numbers must never be published."""
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT],
        columns={"incident_id": "IncidentNo"},
        source=source(),
        never_publish=["Badge"],
    )
    secrets = gather(pl.LazyFrame({"Badge": [r[2] for r in ROWS]}), ["Badge"], {})
    return Guarded(case.definition("case"), {"records": {}}, {"records": secrets})


def staged_csv_and_json(rows: int) -> list[dict]:
    """The staged-file entries of records.csv (the checked table) and its JSON rendering."""
    return [
        {"filename": f"records.{ext}", "resource": "records", "media_type": media, "rows": rows}
        for ext, media in (("csv", "text/csv"), ("json", "application/json"))
    ]


def test_a_staged_parquet_file_holding_a_secret_is_refused(portal, tmp_path):
    guard = badge_guard(portal, tmp_path)
    # A rendering that differs from the checked CSV (a typed column cast the wrong way).
    pl.DataFrame({"incident_id": [10757, 2]}).write_parquet(tmp_path / "records.parquet")
    files = [
        {"filename": "records.parquet", "resource": "records", "media_type": PARQUET, "rows": 2}
    ]

    with pytest.raises(PrivacyGuardFailed, match=r"staged Parquet file .*records.incident_id"):
        guard.check_staged(files, tmp_path)


def test_a_staged_json_cell_that_differs_from_the_checked_csv_is_checked_again(portal, tmp_path):
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "note", "type": "string"}],
        columns={"incident_id": "IncidentNo", "note": "Notes"},
        source=source(),
        never_publish=["Badge", "SubjectName"],
    )
    definition = case.definition("case")
    secrets = gather(
        pl.LazyFrame({"Badge": [r[2] for r in ROWS], "SubjectName": [r[4] for r in ROWS]}),
        ["Badge", "SubjectName"],
        {"SubjectName": [r[4] for r in ROWS]},
    )
    guard = Guarded(definition, {"records": {}}, {"records": secrets})
    # The checked CSV, and a JSON rendering equal to it but for one cell of each column.
    checked = {"incident_id": ["UOF-1", "UOF-2", "UOF-3"], "note": ["ok", "'=fine", "ok"]}
    pl.DataFrame(checked).write_csv(tmp_path / "records.csv")
    rendered = {"incident_id": ["UOF-1", "UOF-2", "10757.0"], "note": ["ok", "=Tom's", "ok"]}
    write_json_rows(pl.DataFrame(rendered), tmp_path / "records.json")
    files = staged_csv_and_json(rows=3)

    with pytest.raises(PrivacyGuardFailed) as refused:
        guard.check_staged(files, tmp_path)

    message = str(refused.value)
    assert "staged JSON file" in message
    assert "records.incident_id holds values of the never-publish column Badge" in message
    assert "of 1 cell (rows 3)" in message
    assert "records.note holds values of the never-publish column SubjectName" in message
    assert "inside the text of 1 cell (rows 2)" in message


def test_a_staged_json_file_that_cannot_be_read_back_row_by_row_fails_closed(portal, tmp_path):
    guard = badge_guard(portal, tmp_path)
    pl.DataFrame({"incident_id": ["UOF-1", "UOF-2"]}).write_csv(tmp_path / "records.csv")
    # Valid JSON, but all on one line: its cells are not checked as if they had been.
    (tmp_path / "records.json").write_text('[{"incident_id":"UOF-1"},{"incident_id":"10757"}]')
    files = staged_csv_and_json(rows=2)

    with pytest.raises(PrivacyGuardFailed, match="staged JSON file could not be read back"):
        guard.check_staged(files, tmp_path)


def test_the_officer_sees_what_was_checked_what_was_not_and_scrubbed_cells(
    portal, tmp_path, officer
):
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT, {"name": "narrative", "type": "string", "free_text": True}],
        columns={"incident_id": "IncidentNo", "narrative": "Notes"},
        source=source(narratives()),
        never_publish=["Badge", "OfficerName", "SubjectName", "DOB", "Address"],
        privacy={"scrub": {"fields": ["narrative"], "names_from": ["OfficerName", "SubjectName"]}},
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    with case.db.session() as session:
        candidate_id = session.scalars(select(Candidate.id)).one()
    app = create_app(case.config)
    client = app.test_client()
    login(client)

    page = html.unescape(client.get(f"/office/candidates/{candidate_id}").get_data(as_text=True))

    assert "Every cell of this table (CSV and JSON and Parquet) was compared" in page
    assert (
        "looked for as whole words inside the text of incident_id, narrative: none appears" in page
    )
    assert "Names that are not in the declared name columns or roster are not detected" in page
    assert "First scrubbed cells of narrative (3), as they will be published" in page
    assert "[name] and Officer [name] met [name]'s sister" in page
    assert "Berrios" not in page
    app.extensions["portal"].db.dispose()


def test_with_nothing_declared_the_report_claims_no_comparison(portal, tmp_path, officer):
    # No never-publish column and no names: there is nothing to compare any cell with, so
    # the report says what is declared and claims no search of any format.
    case = dataset(
        portal,
        tmp_path,
        fields=[TEXT],
        columns={"incident_id": "IncidentNo"},
        source=source(),
    )
    result = run(case, "case")
    assert result.status.value == "succeeded", result.error
    with case.db.session() as session:
        candidate_id = session.scalars(select(Candidate.id)).one()
    client = create_app(case.config).test_client()
    login(client)

    page = html.unescape(client.get(f"/office/candidates/{candidate_id}").get_data(as_text=True))

    assert "No never-publish columns are declared for this table's source." in page
    assert "No name columns or roster are declared: names are not looked for." in page
    assert "was compared" not in page and "none appears" not in page
