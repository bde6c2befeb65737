"""A publisher run from the records-management export to a staged candidate."""

from __future__ import annotations

import csv
import hashlib

from sqlalchemy import select

from portal.models import Candidate, CandidateStatus, Dataset
from portal.storage import LocalStorage
from tests.flow import run


def test_a_valid_export_stages_a_candidate_with_hashed_files(portal, uof_source):
    result = run(portal)

    assert result.status.value == "succeeded", result.error
    assert result.report["valid"]
    assert result.row_count > 6000
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate))
        assert candidate.status == CandidateStatus.PENDING
        staged = LocalStorage(portal.config.data_dir).staged(candidate.staged_dir)
        names = {f["filename"] for f in candidate.files}
        assert names == {
            f"{resource}.{kind}"
            for resource in ("incidents", "monthly-summary")
            for kind in ("csv", "json", "parquet")
        }
        for recorded in candidate.files:
            content = (staged / recorded["filename"]).read_bytes()
            assert len(content) == recorded["size"]
            assert hashlib.sha256(content).hexdigest() == recorded["sha256"]


def test_the_normalised_table_uses_the_schema_vocabulary(portal, uof_source):
    run(portal)
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate))
        staged = LocalStorage(portal.config.data_dir).staged(candidate.staged_dir)
    with (staged / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = rows[0]
    assert list(first) == [
        "incident_id",
        "subject_number",
        "incident_date",
        "district",
        "reason_for_contact",
        "force_types",
        "most_serious_force",
        "subject_age_band",
        "subject_sex",
        "subject_race",
        "subject_ethnicity",
        "subject_injury",
        "officer_injured",
        "officers_involved",
        "outcome",
    ]
    assert {row["district"] for row in rows} == {"D1", "D2", "D3", "D4", "D5", "D6"}
    assert all(len(row["incident_date"]) == 10 for row in rows)
    assert all(row["force_types"].split(";")[0] == row["most_serious_force"] for row in rows)


def test_the_monthly_summary_counts_each_force_type_of_a_subject(portal, uof_source):
    run(portal)
    with portal.db.session() as session:
        candidate = session.scalar(select(Candidate))
        staged = LocalStorage(portal.config.data_dir).staged(candidate.staged_dir)
    with (staged / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        incidents = list(csv.DictReader(handle))
    with (staged / "monthly-summary.csv").open(encoding="utf-8", newline="") as handle:
        summary = list(csv.DictReader(handle))
    expected: dict[tuple, int] = {}
    for row in incidents:
        for force in row["force_types"].split(";"):
            key = (row["incident_date"][:7], row["district"], force)
            expected[key] = expected.get(key, 0) + 1
    assert {
        (r["month"], r["district"], r["force_type"]): int(r["subjects"]) for r in summary
    } == expected


def test_the_same_source_again_is_unchanged_and_stages_nothing(portal, uof_source):
    first = run(portal)
    second = run(portal)

    assert first.status.value == "succeeded"
    assert second.status.value == "unchanged"
    assert second.source_hash == first.source_hash
    with portal.db.session() as session:
        assert len(session.scalars(select(Candidate)).all()) == 1


def test_an_invalid_export_fails_with_its_report_and_stages_nothing(portal, uof_source):
    with uof_source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[5][3] = "9"  # a district the department does not have
    with uof_source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    result = run(portal)

    assert result.status.value == "failed"
    assert "does not match its schema" in result.error
    groups = result.report["resources"]["incidents"]["groups"]
    assert [g["type"] for g in groups] == ["constraint-error"]
    assert groups[0]["sample"][0]["fieldName"] == "district"
    with portal.db.session() as session:
        assert session.scalars(select(Candidate)).all() == []
        assert session.scalar(select(Dataset)).current_version_id is None


def test_a_missing_source_fails_with_a_clear_message(portal):
    result = run(portal)

    assert result.status.value == "failed"
    assert "rms-use-of-force-export.csv" in result.error
    assert result.finished_at is not None
