"""A records officer reviews a candidate in Chromium: the verdict and the decision in view on
a laptop, nothing sideways on a phone, no axe-core violation, and a decision that lands on
exactly the reviewed candidate."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.demo.use_of_force import FILE_NAME
from portal.models import Candidate, CandidateStatus, Dataset, Version
from portal.pipeline.run import run_dataset
from tests.browser.conftest import AXE, DEMO_OFFICER, serve_demo, sign_in
from tests.browser.test_accessibility import TAGS
from tests.flow import revise_history

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _revised(site) -> tuple[int, int, str]:  # noqa: ANN001
    """A new candidate that corrects one published 2023 value; the demo's one is superseded."""
    source = site.portal.config.data_dir / "demo-sources" / "use-of-force" / FILE_NAME
    incident, _ = revise_history(source)
    with site.portal.db.session() as session:
        older = session.scalar(select(func.max(Candidate.id)))
    assert run_dataset(site.portal.db, site.portal.definition("use-of-force")).status.value == (
        "succeeded"
    )
    with site.portal.db.session() as session:
        return older, session.scalar(select(func.max(Candidate.id))), incident


def _latest_version(session) -> int:  # noqa: ANN001
    return session.scalar(
        select(func.max(Version.number))
        .join(Dataset, Version.dataset_id == Dataset.id)
        .where(Dataset.slug == "use-of-force")
    )


def _in_view(page, selector: str) -> bool:  # noqa: ANN001
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] + box["width"] <= size["width"]
    )


def _sideways(page) -> int:  # noqa: ANN001
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_verdict_and_decision_in_view_then_reject_exactly_the_reviewed_candidate(
    tmp_path, demo_portals, browser, console_errors
):
    with serve_demo(tmp_path, demo_portals) as site:
        older, reviewed, incident = _revised(site)
        context = browser.new_context(viewport=LAPTOP)
        page = context.new_page()
        sign_in(page, site.url, *DEMO_OFFICER)
        page.goto(f"{site.url}/office/candidates/{reviewed}")

        verdict = page.locator("section.verdict").inner_text()
        assert re.search(r"Revises published incidents: 2023-\d\d \(1 changed\)", verdict)
        assert incident in verdict and "subject_ethnicity" in verdict
        assert _in_view(page, "section.verdict") and _in_view(page, "aside.decision")
        page.get_by_role("heading", name="Staged files").scroll_into_view_if_needed()
        assert _in_view(page, "aside.decision")  # kept in view while reading the rows
        assert page.get_by_role("heading", name=f"Decision on candidate {reviewed}").is_visible()

        # The superseded candidate's page offers no decision at all.
        page.goto(f"{site.url}/office/candidates/{older}")
        assert page.locator("aside.decision").count() == 0

        page.goto(f"{site.url}/office/candidates/{reviewed}")
        page.get_by_role("button", name="Reject").click()  # no reason: refused, nothing lost
        assert "a rejection needs a note" in page.get_by_role("alert").inner_text()
        page.get_by_label("Note").fill("2023 correction not yet confirmed by the RMS team.")
        page.get_by_role("button", name="Reject").click()
        page.get_by_text("Rejected the candidate").wait_for()
        context.close()

        with site.portal.db.session() as session:
            assert session.get(Candidate, reviewed).status == CandidateStatus.REJECTED
            assert session.get(Candidate, older).status == CandidateStatus.SUPERSEDED
            assert _latest_version(session) == 1
    assert console_errors == []


def test_an_approval_publishes_exactly_the_reviewed_candidate(tmp_path, demo_portals, browser):
    with serve_demo(tmp_path, demo_portals) as site:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        sign_in(page, site.url, *DEMO_OFFICER)
        page.goto(site.url + "/office/")
        page.get_by_role("link", name="Use of force: candidate").click()
        reviewed = int(re.search(r"candidates/(\d+)", page.url).group(1))
        # On a phone the form comes right after the verdict, before the rows.
        assert (
            page.locator("aside.decision").bounding_box()["y"]
            < (page.get_by_role("heading", name="Changes against", exact=False).bounding_box()["y"])
        )
        page.get_by_label("Note").fill("October incidents checked.")
        page.get_by_role("button", name="Approve and publish", exact=True).click()
        page.get_by_text("Published Use of force version 2").wait_for()
        context.close()

        with site.portal.db.session() as session:
            assert _latest_version(session) == 2
            version = session.scalar(
                select(Version)
                .join(Dataset, Version.dataset_id == Dataset.id)
                .where(Dataset.slug == "use-of-force", Version.number == 2)
            )
            assert version.candidate_id == reviewed
            assert version.note == "October incidents checked."


OFFICE_PAGES = ("/office/", "/office/audit/", "/office/corrections/")


def test_office_pages_fit_a_phone_and_pass_axe(demo_site, browser):
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    sign_in(page, demo_site.url, *DEMO_OFFICER)
    page.goto(demo_site.url + "/office/")
    page.get_by_role("link", name="Use of force: candidate").click()
    candidate = page.url.split(demo_site.url, 1)[1]
    run = page.get_by_role("link", name=re.compile(r"^run \d+$")).first.get_attribute("href")
    paths = (*OFFICE_PAGES, candidate, f"{candidate}/files/incidents", run)

    for path in paths:
        page.goto(demo_site.url + path)
        assert _sideways(page) == 0, path
    for path in (candidate, f"{candidate}/files/incidents"):
        page.goto(demo_site.url + path)
        page.add_script_tag(path=str(AXE / "axe.min.js"))
        found = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            [*TAGS, "best-practice"],
        )["violations"]
        assert [f"{v['id']} at {[n['target'] for n in v['nodes'][:3]]}" for v in found] == [], path
    context.close()
