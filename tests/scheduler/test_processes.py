"""Real processes on one PostgreSQL database: two `portal scheduler`s and four gunicorn workers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from portal.config import REPO_ROOT, Config
from portal.datasets.context import Portal
from portal.db import upgrade
from portal.models import Role, Run, RunStatus, SchedulerLease
from portal.scheduler.queue import request_run
from portal.users import create_user
from tests.conftest import OFFICER
from tests.scheduler.conftest import write_source, write_tiny

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LEASE_SECONDS = 4.0
POLL_SECONDS = 0.5
STALE_SECONDS = 10.0
# Takeover is promised within the lease plus one poll; the margin absorbs a busy test machine.
TAKEOVER_LIMIT = LEASE_SECONDS + POLL_SECONDS + 10


def wait_for(what: str, check: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A portal on a fresh PostgreSQL database, and the processes started against it."""

    def __init__(self, root: Path, database_url: str, **tiny: object) -> None:
        publishers, schemas = write_tiny(root / "definitions", **tiny)
        self.config = Config.from_env(
            {},
            data_dir=root / "data",
            database_url=database_url,
            secret_key="process-test-key",
            testing=True,
            publishers_dir=publishers,
            schemas_dir=schemas,
        )
        write_source(self.config.data_dir)
        upgrade(database_url)
        self.portal = Portal(self.config)
        self.root = root
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PORTAL_DATA_DIR": str(self.config.data_dir),
            "SECRET_KEY": self.config.secret_key,
            "PORTAL_PUBLISHERS_DIR": str(publishers),
            "PORTAL_SCHEMAS_DIR": str(schemas),
            "PYTHONPATH": str(REPO_ROOT),
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        process.log_path = self.root / f"{name}.log"
        self.processes.append(process)
        return process

    def scheduler(self, name: str, grace: float = 5) -> subprocess.Popen:
        return self.start(
            name,
            "-m",
            "portal",
            "scheduler",
            "--lease-seconds",
            str(LEASE_SECONDS),
            "--poll-seconds",
            str(POLL_SECONDS),
            "--stale-seconds",
            str(STALE_SECONDS),
            "--grace-seconds",
            str(grace),
        )

    def runs(self) -> list[Run]:
        with self.portal.db.session() as session:
            return list(session.scalars(select(Run).order_by(Run.id)))

    def holder(self) -> str | None:
        with self.portal.db.session() as session:
            lease = session.get(SchedulerLease, "scheduler")
            return lease.holder if lease else None

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        self.portal.db.dispose()


def log_events(process: subprocess.Popen) -> list[dict]:
    """The JSON lines the process has logged so far (a line still being written is left out)."""
    lines = process.log_path.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]
    return [json.loads(line) for line in lines if line.startswith("{")]


def events_of(process: subprocess.Popen) -> list[str]:
    return [event.get("event") for event in log_events(process)]


@pytest.fixture
def site(postgres, tmp_path) -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(**tiny: object) -> Site:
        url = postgres.create_database(f"p_{uuid.uuid4().hex[:12]}")
        made.append(Site(tmp_path / f"site{len(made)}", url, **tiny))
        return made[-1]

    yield make
    for each in made:
        each.stop()


def sign_in(client: httpx.Client) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    answer = client.post(
        "/login", data={"email": OFFICER[0], "password": OFFICER[1], "csrf_token": token.group(1)}
    )
    assert answer.status_code == 302, answer.text


def test_two_schedulers_and_four_web_workers_run_every_job_exactly_once(site):
    tiny = site(cron="*/2 * * * * *")  # every two seconds
    with tiny.portal.db.session() as session:
        create_user(session, OFFICER[0], OFFICER[1], Role.OFFICER)
    port = free_port()
    tiny.start("gunicorn", "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app")
    first, second = tiny.scheduler("scheduler-1"), tiny.scheduler("scheduler-2")
    schedulers = {first.pid: first, second.pid: second}
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def healthy() -> bool:
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    wait_for("gunicorn to answer", healthy, 60)
    wait_for(
        "two scheduled runs",
        lambda: (
            sum(r.trigger == "schedule" and r.finished_at is not None for r in tiny.runs()) >= 2
        ),
        30,
    )

    # A records officer asks for a run now, with a file standing in for the source.
    sign_in(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/office/").text)
    upload = b"Month,Stops\n2026-11,99\n2026-12,98\n"
    answer = client.post(
        "/office/datasets/tiny/run",
        data={"csrf_token": token.group(1)},
        files={"upload-stops": ("november.csv", upload, "text/csv")},
    )
    assert answer.status_code == 302, answer.text
    office_run = wait_for(
        "the office run to finish",
        lambda: next((r for r in tiny.runs() if r.trigger == "office" and r.finished_at), None),
        30,
    )

    # The active scheduler dies without a word; the standby takes over.
    leader = tiny.holder()
    killed = schedulers[int(leader.split(":")[1])]
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    survivor = next(p for p in schedulers.values() if p is not killed)
    new_leader = wait_for(
        "the standby to take over",
        lambda: (h := tiny.holder()) and h != leader and h,
        TAKEOVER_LIMIT,
    )
    assert int(new_leader.split(":")[1]) == survivor.pid
    wait_for(
        "a scheduled run by the new leader",
        lambda: any(
            r.worker == new_leader and r.trigger == "schedule" and r.finished_at
            for r in tiny.runs()
        ),
        STALE_SECONDS + 15,
    )

    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=20) == 0

    runs = tiny.runs()
    started = Counter(
        event["run"]
        for process in schedulers.values()
        for event in log_events(process)
        if event.get("event") == "run.start"
    )
    assert started, "the schedulers logged no run.start lines"
    assert max(started.values()) == 1, f"runs started twice: {started}"
    assert started[office_run.id] == 1
    assert office_run.status == RunStatus.SUCCEEDED, office_run.error
    assert office_run.row_count == 2  # the uploaded file, not the configured source
    assert office_run.requested_by == OFFICER[0]
    assert {r.worker.split(":")[1] for r in runs if r.worker} == {str(p) for p in schedulers}
    assert not [r.id for r in runs if r.status in (RunStatus.RUNNING,)]
    scheduled = [r.scheduled_for for r in runs if r.trigger == "schedule"]
    assert len(scheduled) == len(set(scheduled)) >= 3
    executed = sorted((r for r in runs if r.started_at), key=lambda r: r.started_at)
    for before, after in zip(executed, executed[1:], strict=False):
        # One dataset, never two runs at once (a killed run ends when it is marked stale).
        assert (
            before.finished_at is not None
            and before.finished_at <= after.started_at
            or before.status == RunStatus.INTERRUPTED
        )


class _SlowSource(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self.release.wait(30)
        body = b"Month,Stops\n2026-10,1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def slow_source() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSource)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stops.csv"
    _SlowSource.release.set()
    server.shutdown()
    server.server_close()


def test_sigterm_interrupts_a_run_that_outlives_the_grace_period(site, slow_source):
    slow = site(
        source={"type": "http", "url": slow_source, "format": "csv", "timeout": 60, "retries": 0}
    )
    with slow.portal.db.session() as session:
        queued = request_run(
            session, slow.config, slow.portal.definition("tiny"), requested_by=OFFICER[0]
        ).id
    scheduler = slow.scheduler("scheduler", grace=1)
    wait_for(
        "the run to start",
        lambda: any(
            r.id == queued and r.status == RunStatus.RUNNING and r.heartbeat_at for r in slow.runs()
        ),
        30,
    )
    # The claim marks the run running before its thread logs run.start: wait for both.
    wait_for("run.start in the log", lambda: "run.start" in events_of(scheduler), 30)

    scheduler.send_signal(signal.SIGTERM)

    assert scheduler.wait(timeout=20) == 0
    [run] = slow.runs()
    assert run.status == RunStatus.INTERRUPTED
    assert "did not finish within 1 s" in run.error
    assert run.finished_at is not None
    events = events_of(scheduler)
    assert (
        events.index("run.start")
        < events.index("scheduler.stopping")
        < events.index("run.interrupted")
        < events.index("scheduler.stopped")
    )
