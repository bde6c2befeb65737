"""Rate limits behind a TLS proxy, with two gunicorn workers: one budget per real client.

The proxy (PORTAL_TRUSTED_PROXIES=1) names the client in X-Forwarded-For; the counters live
in the database (or in Redis when PORTAL_RATELIMIT_URL names one), so both workers count
against the same budget.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import text

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


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real Redis server on a free loopback port (scripts/test.sh installs redis-server)."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed: run scripts/test.sh, which installs it"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for("redis-server to answer", answers, 30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _proxied_site(tmp_path: Path, database_url: str) -> tuple[Site, int]:
    site = Site(tmp_path / "site", database_url)
    with site.portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    site.env["PORTAL_TRUSTED_PROXIES"] = "1"
    return site, free_port()


def _limits_hold(site: Site, port: int) -> None:
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


def test_limits_count_each_client_once_across_two_workers_behind_a_proxy(tmp_path, database_url):
    site, port = _proxied_site(tmp_path, database_url)
    try:
        _limits_hold(site, port)
    finally:
        site.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_limits_kept_in_redis_are_shared_by_the_workers(tmp_path, database_url, redis_url):
    site, port = _proxied_site(tmp_path, database_url)
    site.env["PORTAL_RATELIMIT_URL"] = redis_url
    try:
        _limits_hold(site, port)
    finally:
        site.stop()
    # The counters are in Redis, not in the database's table.
    assert redis.Redis.from_url(redis_url).keys("*198.51.100.23*")
    with site.portal.db.session() as session:
        assert session.execute(text("select count(*) from rate_limits")).scalar() == 0
