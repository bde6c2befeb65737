"""Fixtures for the release tests: a tiny dataset, a fake clock, local receivers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal.config import Config
from portal.datasets.context import Portal
from portal.releases import corrections, retractions
from portal.scheduler.service import Scheduler
from portal.users import get_user
from tests.flow import publish
from tests.scheduler.conftest import FakeClock, tiny_config, write_source

# Once a year on 2 January: never due while a test runs, so ticks queue no runs.
QUIET_CRON = "0 6 2 1 *"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite only here, to keep these tests quick; test_ledger.py adds PostgreSQL."""
    return f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    """A portal whose only dataset is `tiny` (three rows of traffic stops)."""
    return tiny_config(tmp_path, database_url, QUIET_CRON)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(portal: Portal, clock: FakeClock) -> Scheduler:
    return Scheduler(portal, clock=clock, holder="test-accountability", inline=True)


def catch_up(clock: FakeClock) -> datetime:
    """Move the fake clock to just after the real time (deliveries are queued at real times)."""
    clock.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return clock.now


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent and answers `statuses`."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def json(self, index: int) -> dict:
        return json.loads(self.requests[index]["body"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Answers 500 to the first delivery, then 200."""
    found = Receiver([500])
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


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
        retractions.retract(session, "tiny", 1, get_user(session, officer), "Double counted")


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
