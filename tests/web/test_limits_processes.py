"""Rate limits behind a TLS proxy, with two gunicorn workers: one budget per real client.

The proxy (PORTAL_TRUSTED_PROXIES=1) names the client in X-Forwarded-For; the counters live
in the database, so both workers count against the same budget.
"""

from __future__ import annotations

import re

import httpx
import pytest

from portal.models import Role
from portal.users import create_user
from tests.conftest import OFFICER
from tests.scheduler.test_processes import Site, free_port, wait_for

pytestmark = pytest.mark.slow


def _client(port: int, address: str) -> httpx.Client:
    # A new connection per client, so requests spread over both workers.
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        # What the TLS proxy adds; a browser on https sends the Referer CSRF checks.
        headers={
            "X-Forwarded-For": address,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{port}/login",
        },
        timeout=20,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def _sign_in(port: int, address: str, email: str, password: str) -> int:
    with _client(port, address) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        ).status_code


def test_limits_count_each_client_once_across_two_workers_behind_a_proxy(tmp_path, database_url):
    site = Site(tmp_path / "site", database_url)
    try:
        with site.portal.db.session() as session:
            create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
        site.env["PORTAL_TRUSTED_PROXIES"] = "1"
        port = free_port()
        site.start("gunicorn", "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app")

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for("gunicorn to answer", healthy, 60)
        guesses = [
            _sign_in(port, "198.51.100.23", f"guess{i}@example.org", "wrong password")
            for i in range(10)
        ]
        assert guesses == [401] * 10
        # The eleventh guess from that client is refused, whichever worker takes it ...
        assert _sign_in(port, "198.51.100.23", "guess@example.org", "wrong password") == 429
        # ... while the officer, another client of the same proxy, signs in.
        assert _sign_in(port, "203.0.113.40", OFFICER[0], OFFICER[1]) == 302
    finally:
        site.stop()
