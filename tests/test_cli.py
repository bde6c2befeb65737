"""The `portal` command, as an operator uses it."""

from __future__ import annotations

import json

import pytest

from portal.cli import main
from tests.conftest import OFFICER


def _create_officer(runner):
    return runner.invoke(
        main,
        ["users", "create", OFFICER[0], "--role", "officer", "--password-stdin"],
        input=OFFICER[1] + "\n",
    )


def test_db_upgrade_then_users_create(runner):
    upgraded = runner.invoke(main, ["db", "upgrade"])
    created = _create_officer(runner)
    again = _create_officer(runner)
    listed = runner.invoke(main, ["users", "list"])

    assert upgraded.exit_code == 0, upgraded.output
    assert "database at revision" in upgraded.output
    assert created.exit_code == 0, created.output
    assert f"created officer {OFFICER[0]}" in created.output
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert OFFICER[0] in listed.output


def test_a_short_password_is_refused(runner):
    runner.invoke(main, ["db", "upgrade"])
    result = runner.invoke(
        main, ["users", "create", "x@example.org", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_run_candidates_approve_from_the_shell(runner, portal, uof_source):
    _create_officer(runner)

    ran = runner.invoke(main, ["run", "use-of-force"])
    listed = runner.invoke(main, ["candidates"])
    approved = runner.invoke(main, ["approve", "use-of-force", "--by", OFFICER[0], "--note", "ok"])
    again = runner.invoke(main, ["run", "use-of-force"])
    nothing = runner.invoke(main, ["approve", "use-of-force", "--by", OFFICER[0]])

    assert ran.exit_code == 0, ran.output
    assert "use-of-force: run 1 succeeded" in ran.output
    assert "use-of-force\tcandidate 1" in listed.output
    assert approved.exit_code == 0, approved.output
    assert "published version 1" in approved.output
    assert "unchanged" in again.output
    assert nothing.exit_code == 1
    assert "no candidate awaiting review" in nothing.output


def test_reject_from_the_shell_needs_a_note(runner, portal, uof_source):
    _create_officer(runner)
    runner.invoke(main, ["run", "use-of-force"])

    missing = runner.invoke(main, ["reject", "use-of-force", "--by", OFFICER[0]])
    rejected = runner.invoke(
        main, ["reject", "use-of-force", "--by", OFFICER[0], "--note", "wrong month"]
    )

    assert missing.exit_code == 2
    assert rejected.exit_code == 0
    assert "rejected candidate 1" in rejected.output


def test_a_failed_run_exits_non_zero_with_the_reason(runner, portal):
    result = runner.invoke(main, ["run", "use-of-force"])

    assert result.exit_code == 1
    assert "failed" in result.output
    assert "rms-use-of-force-export.csv" in result.output


def test_unknown_dataset_and_usage_errors(runner, portal):
    assert runner.invoke(main, ["run", "nope"]).exit_code == 1
    assert "no publisher entry" in runner.invoke(main, ["run", "nope"]).output
    assert runner.invoke(main, ["run"]).exit_code == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_run_with_a_given_file(runner, portal, uof_source, tmp_path):
    copy = tmp_path / "upload.csv"
    copy.write_bytes(uof_source.read_bytes())
    uof_source.unlink()

    result = runner.invoke(main, ["run", "use-of-force", "--file", f"incidents={copy}"])
    wrong = runner.invoke(main, ["run", "use-of-force", "--file", f"victims={copy}"])

    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    assert wrong.exit_code == 1
    assert "no resource named 'victims'" in wrong.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_validate_a_file_against_a_schema(runner, tmp_path):
    from portal.config import REPO_ROOT

    schema = REPO_ROOT / "schemas" / "use-of-force" / "monthly-summary.schema.json"
    good = tmp_path / "good.csv"
    good.write_text("month,district,force_type,incidents,subjects\n2024-01,D1,canine,1,1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("month,district,force_type,incidents,subjects\n2024-01,D9,canine,x,1\n")

    ok = runner.invoke(main, ["validate", str(schema), str(good)])
    failed = runner.invoke(main, ["validate", str(schema), str(bad)])

    assert ok.exit_code == 0
    assert "1 rows, valid" in ok.output
    assert failed.exit_code == 1
    assert "Constraint Error" in failed.output and "Type Error" in failed.output
    assert "row 2, field district" in failed.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_validate_lists_as_many_findings_as_asked(runner, tmp_path):
    from portal.config import REPO_ROOT

    schema = REPO_ROOT / "schemas" / "use-of-force" / "monthly-summary.schema.json"
    bad = tmp_path / "bad.csv"
    rows = "".join(f"{2000 + n}-01,D9,canine,1,1\n" for n in range(30))
    bad.write_text("month,district,force_type,incidents,subjects\n" + rows)

    default = runner.invoke(main, ["validate", str(bad.parent / "x"), str(bad)])
    short = runner.invoke(main, ["validate", "--json", "--sample-size", "2", str(schema), str(bad)])
    every = runner.invoke(
        main, ["validate", "--json", "--sample-size", "50", str(schema), str(bad)]
    )

    assert default.exit_code == 2  # no such schema file
    (group,) = json.loads(short.output)["groups"]
    assert group["count"] == 30 and len(group["sample"]) == 2
    (group,) = json.loads(every.output)["groups"]
    assert group["count"] == 30 and len(group["sample"]) == 30
    assert [s["rowNumber"] for s in group["sample"]] == list(range(2, 32))
