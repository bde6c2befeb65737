"""The ledger as the public sees it: /ledger.json, the key, the README one-liner, key config."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from portal.config import REPO_ROOT, Config
from portal.errors import ConfigurationError
from tests.conftest import OFFICER
from tests.releases.conftest import flip_byte


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
    # Named by role (no public name was set), never by e-mail address (#19).
    assert first["approved_by"] == "Records officer"
    assert OFFICER[0] not in json.dumps(document)
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
        flip_byte(download)
        altered = subprocess.run(
            [*check, str(download)], capture_output=True, text=True, timeout=30
        )
    finally:
        server.shutdown()

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "tiny v2 stops.csv"
    assert altered.returncode == 1
    assert "NOT in the ledger" in altered.stdout


def test_without_a_key_a_fresh_portal_refuses_to_publish_and_a_signed_one_to_start(
    portal, officer, monkeypatch
):
    from portal import config as config_module
    from portal import create_app
    from portal.datasets.context import Portal
    from portal.releases import review
    from portal.users import get_user
    from tests.flow import approve, run

    production = Config.from_env(
        {
            "SECRET_KEY": "k",
            "PORTAL_DATA_DIR": str(portal.config.data_dir),
            "DATABASE_URL": portal.config.database_url,
        },
        publishers_dir=portal.config.publishers_dir,
        schemas_dir=portal.config.schemas_dir,
    )
    monkeypatch.setattr(
        config_module, "_THROWAWAY_FOLDERS", set()
    )  # as in production: no test folders
    create_app(production)  # nothing signed yet: it starts (and warns)
    run(portal, "tiny")
    unkeyed = Portal(production)
    with (
        pytest.raises(ConfigurationError, match="PORTAL_SIGNING_KEY is not set"),
        unkeyed.db.session() as session,
    ):
        review.approve(session, production, "tiny", get_user(session, officer))
    unkeyed.db.dispose()
    assert not (portal.config.versions_dir / "tiny" / "v1").exists()  # nothing half-published
    assert not (portal.config.data_dir / "signing-key.pem").exists()

    approve(portal, officer, "tiny")  # a testing portal makes its key: now a chain exists
    (portal.config.data_dir / "signing-key.pem").unlink()

    with pytest.raises(ConfigurationError, match="PORTAL_SIGNING_KEY is not set"):
        create_app(production)


def test_a_configured_key_signs_and_a_demo_portal_makes_its_own(tmp_path):
    import base64

    from portal.releases import ledger

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
