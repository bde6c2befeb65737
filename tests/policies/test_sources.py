"""Policy versions from the department's own site: a file or HTTP source checked on its cron
by the scheduler (a real local HTTP server), and the definitions folder's refusals."""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal.datasets.context import Portal
from portal.policies import library, sources
from portal.policies.models import PolicyStatus
from portal.scheduler.service import Scheduler
from tests.policies.documents import pdf
from tests.scheduler.conftest import FakeClock

only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Site:
    """The department's web site on 127.0.0.1, serving one document that can change."""

    def __init__(self) -> None:
        self.body, self.status = b"", 200
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — the name http.server calls
                self.send_response(site.status)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/policies/pursuits.pdf"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site():  # noqa: ANN201
    found = Site()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _definitions(folder: Path, source: str) -> Path:
    policy = folder / "vehicle-pursuits"
    policy.mkdir(parents=True)
    (policy / "policy.yaml").write_text(
        f'number: "314"\ntitle: Vehicle pursuits\nsource:\n{source}', encoding="utf-8"
    )
    return folder


@only_sqlite
def test_a_change_on_the_departments_site_becomes_a_candidate_on_the_schedule(
    portal, officer, site, tmp_path
):
    folder = _definitions(
        tmp_path / "policies",
        f"  url: {site.url}\n  schedule: '0 6 * * *'\n  effective: 2026-05-01\n",
    )
    sited = Portal(replace(portal.config, policies_dir=folder))
    clock = FakeClock()
    clock.now = clock.now.replace(hour=5, minute=59, second=0)
    scheduler = Scheduler(sited, clock=clock, holder="test-policies", inline=True)
    site.body = pdf(["Vehicle pursuits", "", "Officers may pursue any vehicle."])

    scheduler.tick()  # a scheduler starting checks a source whose cron fired in the last day
    with sited.db.session() as session:
        assert len(library.candidates(session)) == 1
    clock.advance(minutes=2)
    scheduler.tick()  # 06:00 fired again: the same document is "unchanged"
    with sited.db.session() as session:
        [candidate] = library.candidates(session)
        assert (candidate.source, candidate.source_ref) == ("http", site.url)
        assert candidate.original_media_type == "application/pdf"
        assert str(candidate.effective_on) == "2026-05-01"

    clock.advance(days=1)
    scheduler.tick()  # the same document again: unchanged, nothing new
    with sited.db.session() as session:
        assert len(library.candidates(session)) == 1

    site.body = pdf(["Vehicle pursuits", "", "Officers may pursue violent felons only."])
    clock.advance(days=1)
    scheduler.tick()
    with sited.db.session() as session:
        [newer] = library.candidates(session)
        assert "violent felons only" in newer.text
        statuses = {v.status for v in library.get_policy(session, "vehicle-pursuits").versions}
        assert statuses == {PolicyStatus.CANDIDATE, PolicyStatus.SUPERSEDED}

    site.status = 503
    clock.advance(days=1)
    assert scheduler.tick()  # an unreachable site harms nothing: logged, the tick goes on


def test_definitions_that_cannot_load_say_which_file_and_why(tmp_path):
    folder = tmp_path / "policies"
    (folder / "Bad Name").mkdir(parents=True)
    (folder / "no-title").mkdir()
    (folder / "no-title" / "policy.yaml").write_text("number: 1\n", encoding="utf-8")
    (folder / "undated").mkdir()
    (folder / "undated" / "policy.yaml").write_text("title: Undated\n", encoding="utf-8")
    (folder / "undated" / "v1.md").write_text("---\nsummary: x\n---\n# Text\n", encoding="utf-8")
    (folder / "two-sources").mkdir()
    (folder / "two-sources" / "policy.yaml").write_text(
        "title: T\nsource: {url: 'https://a.example/p.pdf', path: p.pdf}\n", encoding="utf-8"
    )

    found, broken = sources.load_definitions(folder)

    assert found == []
    assert "lower-case-with-hyphens" in broken["Bad Name"]
    assert "`title:` is required" in broken["no-title"]
    assert "undated/v1.md: front matter needs `effective: YYYY-MM-DD`" in broken["undated"]
    assert "exactly one of `url:` or `path:`" in broken["two-sources"]
