"""The release ledger: a signed hash chain that `portal verify` and any journalist can check."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal import corrections, releases
from portal.cli import main
from portal.config import REPO_ROOT, Config
from portal.db import make_engine
from portal.errors import ConfigurationError
from portal.users import get_user
from tests.accountability.conftest import write_source
from tests.conftest import OFFICER
from tests.flow import publish


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    return request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def history(portal, officer) -> None:
    """tiny: version 1, a correction, version 2 with other rows, version 1 retracted."""
    publish(portal, officer, "tiny")
    with portal.db.session() as session:
        corrections.record(
            session,
            portal.config,
            "tiny",
            1,
            officer,
            "Stops in 2026-09 were double counted.",
            "The count was halved.",
            ["2026-09"],
        )
    write_source(portal.config.data_dir, [("2026-09", 65), ("2026-10", 118)])
    publish(portal, officer, "tiny")
    with portal.db.session() as session:
        releases.retract(session, "tiny", 1, get_user(session, officer), "Double counted")


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


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
    _flip_byte(csv)
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


def test_anyone_can_check_the_published_chain_with_the_published_key(client, history):
    document = client.get("/ledger.json").get_json()
    key = load_pem_public_key(client.get("/ledger/public-key.pem").data)
    assert document["publicKey"] == client.get("/ledger/public-key.pem").get_data(as_text=True)

    previous = "0" * 64
    for item in reversed(document["entries"]):  # served newest first
        data = json.dumps(
            item["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        assert hashlib.sha256(data).hexdigest() == item["hash"]
        assert item["entry"]["prev"] == previous
        key.verify(bytes.fromhex(item["signature"]), data)  # raises if forged
        previous = item["hash"]
    assert document["head"]["hash"] == previous
    kinds = [(i["entry"]["kind"], i["entry"]["version"]) for i in reversed(document["entries"])]
    assert kinds == [("publish", 1), ("correction", 1), ("publish", 2), ("retract", 1)]
    first = document["entries"][-1]["entry"]
    assert first["approved_by"] == OFFICER[0]
    assert {f["name"] for f in first["files"]} >= {
        "stops.csv",
        "stops.json",
        "datapackage.json",
        "tiny.zip",
    }
    page = client.get("/ledger/").get_data(as_text=True)
    assert previous in page and "Double counted" in page


def _readme_one_liner() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Verifying what was published", 1)[1].split("\n## ", 1)[0]
    return re.search(r"^python3 -c '(.+)' \S+ \S+$", section, re.MULTILINE).group(1)


def test_the_readme_one_liner_finds_a_downloaded_file_in_the_ledger(app, client, history, tmp_path):
    from werkzeug.serving import make_server

    download = tmp_path / "tiny-v2-stops.csv"
    download.write_bytes(client.get("/datasets/tiny/v2/stops.csv").data)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    check = [sys.executable, "-c", _readme_one_liner(), base]
    try:
        found = subprocess.run([*check, str(download)], capture_output=True, text=True, timeout=30)
        _flip_byte(download)
        altered = subprocess.run(
            [*check, str(download)], capture_output=True, text=True, timeout=30
        )
    finally:
        server.shutdown()

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "tiny v2 stops.csv"
    assert altered.returncode == 1
    assert "NOT in the ledger" in altered.stdout


def test_outside_demo_a_missing_signing_key_stops_the_app(tmp_path):
    from portal import create_app

    config = Config.from_env({"SECRET_KEY": "k", "PORTAL_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigurationError, match="PORTAL_SIGNING_KEY is not set"):
        create_app(config)


def test_a_configured_key_signs_and_a_demo_portal_makes_its_own(tmp_path):
    import base64

    from portal import ledger

    raw = base64.b64encode(bytes(range(32))).decode()
    configured = Config.from_env(
        {"SECRET_KEY": "k", "PORTAL_SIGNING_KEY": raw, "PORTAL_DATA_DIR": str(tmp_path / "a")}
    )
    demo = Config.from_env({"PORTAL_DEMO": "1", "PORTAL_DATA_DIR": str(tmp_path / "b")})

    assert "BEGIN PUBLIC KEY" in ledger.public_key_pem(configured)
    assert not (tmp_path / "a" / "signing-key.pem").exists()
    ledger.signing_key(demo)
    assert (tmp_path / "b" / "signing-key.pem").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigurationError, match="not a readable key"):
        ledger.signing_key(Config.from_env({"SECRET_KEY": "k", "PORTAL_SIGNING_KEY": "nope"}))
