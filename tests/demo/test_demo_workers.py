"""A PORTAL_DEMO site served by two real gunicorn workers: every sign-in works, whichever
worker sends the form and whichever one receives it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from portal.config import REPO_ROOT, Config
from portal.db import Database, upgrade
from portal.models import Role
from portal.users import create_user
from tests.conftest import OFFICER

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_demo_workers_share_one_secret_key_so_sign_ins_never_expire(tmp_path: Path):
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade(database_url)
    db = Database(
        Config.from_env(
            {}, data_dir=data_dir, database_url=database_url, secret_key="x", testing=True
        )
    )
    with db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    db.dispose()
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "PORTAL_DEBUG"} and not name.startswith("PORTAL_")
    }
    environment |= {
        "PORTAL_DEMO": "1",
        "PORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=REPO_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)

        outcomes = []
        for _ in range(8):  # the login limit is 10 a minute per address
            # A fresh connection per request, so the two workers take turns at random.
            with httpx.Client(base_url=base, timeout=10) as browser:
                form = browser.get("/login", headers={"Connection": "close"}).text
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
                answer = browser.post(
                    "/login",
                    data={"email": OFFICER[0], "password": OFFICER[1], "csrf_token": token[1]},
                    headers={"Connection": "close"},
                )
                outcomes.append((answer.status_code, "Form expired" in answer.text))
        assert outcomes == [(302, False)] * 8
        key_file = data_dir / "secret-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        log.close()
