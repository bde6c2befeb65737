"""A resident checks a downloaded policy document against the ledger with the README's
one-liner, as for any published file."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date

import pytest

from portal.policies import review
from portal.users import get_user
from tests.conftest import OFFICER
from tests.policies.documents import pdf
from tests.releases.test_ledger_public import _readme_one_liner


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_readme_one_liner_finds_a_downloaded_policy_document(
    app, client, portal, officer, tmp_path
):
    from werkzeug.serving import make_server

    with portal.db.session() as session:
        policy = review.ensure_policy(session, "vehicle-pursuits", "314", "Vehicle pursuits")
        candidate = review.submit(
            session, portal.config, policy, "p.pdf", pdf(["Pursuits need a supervisor."]),
            date(2026, 5, 1), source="upload", actor=OFFICER[0],
        )  # fmt: skip
        review.approve(session, portal.config, candidate.id, get_user(session, OFFICER[0]), "New")
    download = tmp_path / "vehicle-pursuits-v1.pdf"
    download.write_bytes(client.get("/policies/vehicle-pursuits/v1/original.pdf").data)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        found = subprocess.run(
            [sys.executable, "-c", _readme_one_liner(), base, str(download)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    finally:
        server.shutdown()

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "policy:vehicle-pursuits v1 original.pdf"
