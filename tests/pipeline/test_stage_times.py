"""A run and a publish log how long each stage took, so the slowest is visible."""

from __future__ import annotations

import csv
import logging

import pytest

from tests.flow import approve, run


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
        ("run", "validate after the guard"),
        ("run", "diff"),
        ("run", "stage"),
        ("run", "check staged files"),
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
