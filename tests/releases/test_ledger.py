"""The release ledger: a signed hash chain that `portal verify` and any journalist can check."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.cli import main
from portal.db import make_engine
from tests.releases.conftest import flip_byte


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    return request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")


def _tamper_with_entry(database_url: str, seq: int) -> None:
    """What someone with database access could do: get round the triggers, change one byte."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            body = connection.execute(
                text("SELECT body FROM ledger_entries WHERE seq = :seq"), {"seq": seq}
            ).scalar_one()
            i = body.index('"size":') + len('"size":')
            forged = body[:i] + str((int(body[i]) + 1) % 10) + body[i + 1 :]
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
            else:
                connection.exec_driver_sql("DROP TRIGGER ledger_entries_no_update")
            connection.execute(
                text("UPDATE ledger_entries SET body = :body WHERE seq = :seq"),
                {"body": forged, "seq": seq},
            )
    finally:
        engine.dispose()


def test_verify_passes_untouched_and_names_a_flipped_byte_in_a_published_file(
    portal, runner, history
):
    intact = runner.invoke(main, ["verify"])
    assert intact.exit_code == 0, intact.output
    files = len(list(portal.config.versions_dir.glob("tiny/v*/*")))
    assert f"ledger intact: 4 entries, signatures valid, {files} files match" in intact.output

    csv = portal.config.versions_dir / "tiny" / "v2" / "stops.csv"
    flip_byte(csv)
    broken = runner.invoke(main, ["verify", "tiny"])

    assert broken.exit_code == 1
    assert "tiny version 2: stops.csv does not match its SHA-256 in ledger entry 3" in broken.output


def test_verify_names_a_flipped_byte_in_a_ledger_entry(portal, runner, history, database_url):
    _tamper_with_entry(database_url, 3)

    broken = runner.invoke(main, ["verify"])

    assert broken.exit_code == 1
    assert "ledger entry 3: its content does not match its hash" in broken.output


def test_verify_notices_a_database_row_changed_behind_the_ledgers_back(
    portal, runner, history, database_url
):
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE version_files SET sha256 = '" + "0" * 64 + "' WHERE filename = 'stops.json'"
        )
    engine.dispose()

    broken = runner.invoke(main, ["verify"])

    assert broken.exit_code == 1
    assert "the database's files differ from ledger entry 1" in broken.output


def test_the_database_refuses_to_change_or_delete_ledger_entries(portal, history, database_url):
    engine = make_engine(database_url)
    try:
        for statement in ("UPDATE ledger_entries SET kind = 'x'", "DELETE FROM ledger_entries"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
