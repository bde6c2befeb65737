"""The public record in Chromium: every link from `/` leads somewhere, before and after a whole
dataset is withdrawn through the office (with its confirmation step), every public address of
the withdrawn dataset gives the notice, and /status says how each run really ended."""

from __future__ import annotations

import csv
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlsplit

from sqlalchemy import select

from portal.datasets.labels import long_date
from portal.models import Candidate, CandidateStatus, Run, Version
from portal.pipeline.run import run_dataset
from tests.browser.conftest import DEMO_OFFICER, serve_demo, sign_in

NOTICE = "The October extract counted some subjects twice."
HTML = "text/html"


def crawl(page, base: str) -> dict[str, int]:  # noqa: ANN001
    """Every same-site link reachable from `/`, with the status it answered.

    Pages are opened in the browser; files (CSV, JSON, Atom, zip) are fetched with the
    browser context's own client. Links that differ only in query values (sort columns,
    pages, filter values) are followed once per path and set of parameter names.
    """
    statuses: dict[str, int] = {}
    seen_shapes: set[tuple] = set()
    queue = deque([base + "/"])
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        shape = (parts.path, tuple(sorted({k for k, _ in parse_qsl(parts.query)})))
        if url in statuses or shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        head = page.request.get(url, max_redirects=5)
        statuses[url] = head.status
        if HTML not in head.headers.get("content-type", "") or parts.path.startswith("/office"):
            continue
        page.goto(url)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = urldefrag(href)[0]
            if link.startswith(base) and link not in statuses:
                queue.append(link)
    return statuses


def _broken(statuses: dict[str, int]) -> dict[str, int]:
    return {url: status for url, status in statuses.items() if status == 404 or status >= 500}


def _retract_in_the_office(page, url: str, number: int) -> None:  # noqa: ANN001
    page.goto(f"{url}/office/datasets/use-of-force/versions")
    page.get_by_role("link", name=f"Retract version {number}…").click()
    consequences = page.locator("ul.consequences").inner_text()
    assert "410 Gone" in consequences and "Citations" in consequences
    page.get_by_label("Public notice").fill(NOTICE)
    page.get_by_role("button", name=f"Retract version {number}").click()
    # Not confirmed: the browser itself refuses (required checkbox); nothing is retracted.
    assert "/retract" in page.url
    page.get_by_label("I understand").check()
    page.get_by_role("button", name=f"Retract version {number}").click()
    page.get_by_text(f"Version {number} retracted").wait_for()


def test_no_link_leads_to_a_404_before_or_after_a_dataset_is_withdrawn(
    tmp_path, demo_portals, page, console_errors
):
    with serve_demo(tmp_path, demo_portals) as site:
        before = crawl(page, site.url)
        assert len(before) > 40
        assert _broken(before) == {}

        sign_in(page, site.url, *DEMO_OFFICER)
        page.goto(site.url + "/office/")
        page.get_by_role("link", name="Use of force: candidate").click()
        page.get_by_role("button", name="Approve and publish", exact=True).click()
        page.get_by_text("version 2").first.wait_for()
        page.goto(f"{site.url}/office/datasets/use-of-force/versions/1/retract")
        assert "latest/… is not affected: it serves version 2" in page.inner_text("main")
        page.goto(f"{site.url}/office/datasets/use-of-force/versions/2/retract")
        assert "latest/… will serve version 1 instead" in page.inner_text("main")
        _retract_in_the_office(page, site.url, 2)
        page.goto(f"{site.url}/office/datasets/use-of-force/versions/1/retract")
        assert "whole dataset will be withdrawn" in page.inner_text("main")
        _retract_in_the_office(page, site.url, 1)
        page.context.clear_cookies()  # from here on, as the public

        for path in (
            "/datasets/use-of-force/",
            "/datasets/use-of-force/versions/",
            "/datasets/use-of-force/latest/incidents.csv",
            "/datasets/use-of-force/latest/datapackage.json",
            "/datasets/use-of-force/v1/incidents.csv",
        ):
            response = page.goto(site.url + path)
            assert response.status == 410, path
            text = page.inner_text("main")
            assert NOTICE in text and "withdrawn" in text.lower(), path
        page.goto(site.url + "/datasets/use-of-force/")
        tombstone = page.inner_text("main")
        with site.portal.db.session() as session:
            sums = [
                f.sha256
                for v in session.scalars(select(Version))
                if v.retracted_at
                for f in v.files
            ]
        assert sums and all(s in tombstone for s in sums)
        assert "Release ledger entries" in tombstone

        for path in (
            "/api/v1/datasets/use-of-force",
            "/api/v1/datasets/use-of-force/versions",
            "/api/v1/datasets/use-of-force/resources/incidents/rows",
        ):
            answer = page.request.get(site.url + path)
            assert answer.status == 410, path
            assert NOTICE in answer.json()["error"]["message"], path
        listed = page.request.get(site.url + "/api/v1/datasets").json()["datasets"]
        assert next(d for d in listed if d["slug"] == "use-of-force")["withdrawn"]["reason"] == (
            NOTICE
        )
        for path in ("/feed.atom", "/datasets/use-of-force/feed.atom"):
            feed = page.request.get(site.url + path)
            assert feed.status == 200 and "withdrawn on" in feed.text() and NOTICE in feed.text()
        for path in ("/status", "/datasets/"):
            page.goto(site.url + path)
            text = page.inner_text("main")
            assert "Withdrawn on" in text and NOTICE in text, path
            assert (
                "never published" not in text
                and "not yet published" not in text.split("Use of force")[1].split("\n")[0]
            )

        after = crawl(page, site.url)
        assert _broken(after) == {}
        assert after[site.url + "/datasets/use-of-force/"] == 410
        # Chromium logs every 410 it was shown; those are the point here, nothing else may fail.
        assert [e for e in console_errors if "status of 410" not in e] == []


def _expected_outcome(session, run: Run) -> str:  # noqa: ANN001
    """What /status must say, worked out from the database on its own."""
    candidate = session.scalar(select(Candidate).where(Candidate.run_id == run.id))
    if run.status.value == "unchanged":
        return "unchanged"
    if run.status.value == "failed":
        problems = sum(r["errorCount"] for r in run.report["resources"].values())
        return f"failed validation ({problems:,} problems)"
    version = session.scalar(select(Version).where(Version.candidate_id == candidate.id))
    if version is not None:
        said = f"published as version {version.number} ({long_date(version.published_at)})"
        if version.retracted_at:
            said += f"; withdrawn on {long_date(version.retracted_at)}"
        return said
    if candidate.status == CandidateStatus.REJECTED:
        return f"rejected on {long_date(candidate.decided_at)} ({candidate.note})"
    return "awaits review"


def test_status_outcomes_match_the_database(tmp_path, demo_portals, page, console_errors):
    with serve_demo(tmp_path, demo_portals) as site:
        portal = site.portal
        sign_in(page, site.url, *DEMO_OFFICER)
        page.goto(site.url + "/office/")
        page.get_by_role("link", name="Use of force: candidate").click()
        page.get_by_label("Note: shown in the version history").fill("October is incomplete.")
        page.get_by_role("button", name="Reject").click()
        page.get_by_text("Rejected the candidate").wait_for()
        unchanged = run_dataset(portal.db, portal.definition("body-worn-cameras"))
        assert unchanged.status.value == "unchanged"
        source = next((portal.config.data_dir / "demo-sources" / "use-of-force").glob("*.csv"))
        broken = tmp_path / "broken.csv"
        with source.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:4]:
            row[2] = "not a date"
        with broken.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        failed = run_dataset(
            portal.db, portal.definition("use-of-force"), uploads={"incidents": broken}
        )
        assert failed.status.value == "failed"
        page.goto(f"{site.url}/office/datasets/resource-allocation/versions/1/retract")
        page.get_by_label("Public notice").fill(NOTICE)
        page.get_by_label("I understand").check()
        page.get_by_role("button", name="Retract version 1").click()
        page.get_by_text("Version 1 retracted").wait_for()
        page.context.clear_cookies()

        page.goto(site.url + "/status")
        kinds = set()
        with portal.db.session() as session:
            for row in page.locator("tbody tr").all():
                title = row.locator("td").first.inner_text()
                said = row.locator("td").last.locator("li").all_inner_texts()
                dataset = next(d for d in portal.definitions.values() if d.title == title)
                runs = session.scalars(
                    select(Run)
                    .join(Run.dataset)
                    .where(Run.dataset.has(slug=dataset.slug))
                    .order_by(Run.id.desc())
                    .limit(5)
                ).all()
                assert len(said) == len(runs), title
                for line, run in zip(said, runs, strict=True):
                    expected = _expected_outcome(session, run)
                    assert expected in line, (title, line, expected)
                    kinds.add(expected.split(" ")[0])
        assert {"published", "rejected", "failed", "unchanged"} <= kinds
        assert "withdrawn on" in page.inner_text("main")
        assert console_errors == []
