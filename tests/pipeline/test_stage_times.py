"""A run and a publish log how long each stage took, so the slowest is visible."""

from __future__ import annotations

import csv
import logging
from dataclasses import replace

import pytest

from portal.datasets.context import Portal
from tests.flow import approve, run


def declare_privacy(portal: Portal, privacy: dict) -> None:
    """Add privacy actions to the incidents of use-of-force (in memory, as an officer's edit)."""
    definition = portal.definition("use-of-force")
    incidents = definition.resource("incidents")
    changed = replace(incidents, privacy={**incidents.privacy, **privacy})
    portal.catalogue.definitions["use-of-force"] = replace(
        definition, resources=(changed, definition.resource("monthly-summary"))
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_and_approve_log_every_stage_with_its_seconds(portal, uof_source, officer, caplog):
    caplog.set_level(logging.INFO, logger="portal.timing")

    result = run(portal)
    version = approve(portal, officer)

    assert result.status.value == "succeeded", result.error
    laps = [r for r in caplog.records if r.name == "portal.timing"]
    assert [(r.job, r.stage) for r in laps] == [
        ("run", "fetch"),
        ("run", "normalise"),
        ("run", "validate"),
        ("run", "guard"),
        # The demo's guard looks for names and finds none: the tables keep their bytes, so
        # they are not validated a second time.
        ("run", "diff"),
        ("run", "stage"),
        ("run", "check staged files"),
        # Built on another thread during the two stages above; what was left is waited for.
        ("run", "waiting for the zip and query index"),
        ("publish", "publish"),
        ("publish", "query index"),
        ("publish", "figures"),
        ("publish", "changelog"),
        ("publish", "ledger and notices"),
    ]
    assert all(r.dataset == "use-of-force" and r.seconds >= 0 for r in laps)
    assert {r.run for r in laps if r.job == "run"} == {result.id}
    assert laps[0].getMessage().startswith("run: fetch took ")
    assert version.number == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_invalid_run_logs_the_stages_it_reached(portal, uof_source, caplog):
    with uof_source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[5][3] = "9"  # a district the department does not have
    with uof_source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    caplog.set_level(logging.INFO, logger="portal.timing")

    result = run(portal)

    assert result.status.value == "failed"
    stages = [r.stage for r in caplog.records if r.name == "portal.timing"]
    assert stages == ["fetch", "normalise", "validate"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_tables_the_guard_changed_are_validated_again(portal, uof_source, caplog):
    declare_privacy(portal, {"coarsen": {"incident_date": "month"}})
    caplog.set_level(logging.INFO, logger="portal.timing")

    result = run(portal)

    assert result.status.value == "succeeded", result.error
    assert result.report["privacy"]["incidents"]["coarsened"]["incident_date"]["cells"] > 0
    stages = [r.stage for r in caplog.records if r.name == "portal.timing"]
    assert stages[3:5] == ["guard", "validate after the guard"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_guard_change_that_breaks_the_schema_fails_the_run(portal, uof_source):
    # Whole numbers binned into words: no longer integers, as the schema says they are.
    declare_privacy(
        portal, {"bin": {"officers_involved": {"breaks": [3], "labels": ["few", "many"]}}}
    )

    result = run(portal)

    assert result.status.value == "failed"
    assert result.error.startswith(
        "after the privacy guard the data no longer matches its schema (incidents: "
    )
    assert "check the privacy declaration" in result.error
    assert not list((portal.config.data_dir / "staging").glob("*/*.csv"))
