"""The policy library in Chromium: a resident compares two versions and sees the changed
sentences highlighted (phone and laptop); the dataset page shows the policy in effect and its
effective date on the chart; an uploaded PDF is reviewed, approved, signed and verified."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import violations
from tests.conftest import OFFICER
from tests.policies.documents import pdf


@pytest.mark.parametrize("width", [390, 1366])
def test_a_resident_compares_two_versions_and_sees_the_changes_highlighted(
    demo_site, browser, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_site.url + "/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.wait_for_url("**/policies/")
        page.get_by_role("link", name="300 · Use of force").click()
        page.wait_for_url("**/policies/use-of-force/")
        assert "Version 3 is in effect since 1 September 2026" in page.inner_text("main")
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Policies").get_attribute("aria-current") == "true"

        page.get_by_label("From version").select_option("2")
        page.get_by_label("To version").select_option("3")
        page.get_by_role("button", name="Compare").click()
        page.wait_for_url("**/compare?from=2&to=3")

        added = page.locator(".diff-new ins", has_text="officers shall attempt to de-escalate")
        assert added.is_visible()
        changed = page.locator(".diff-new ins", has_text="three")
        removed = page.locator(".diff-old del", has_text="seven")
        assert changed.is_visible() and removed.is_visible()
        # Highlighted: a coloured background, not only a text decoration.
        colour = changed.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        old_box = page.locator(".diff-section.reworded .diff-old").first.bounding_box()
        new_box = page.locator(".diff-section.reworded .diff-new").first.bounding_box()
        if width < 700:  # stacked on a phone, side by side on a laptop
            assert new_box["y"] > old_box["y"] and abs(new_box["x"] - old_box["x"]) < 1
        else:
            assert new_box["x"] > old_box["x"] + 300 and abs(new_box["y"] - old_box["y"]) < 1
        for box in (changed.bounding_box(), removed.bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_role("link", name="Inline").click()
        inline = page.locator("p.row.changed", has_text="reviews every report within")
        assert inline.locator("del").inner_text() == "seven"
        assert inline.locator("ins").inner_text() == "three"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_the_dataset_page_shows_the_policy_in_effect_and_marks_it_on_the_chart(demo_site, page):
    page.goto(demo_site.url + "/datasets/use-of-force/")

    section = page.locator("section.governing-policies")
    assert section.is_visible()
    text = section.inner_text()
    assert "Use of force (policy 300): version 3 in effect" in text
    assert "version 3 in effect from 1 September 2026" in text
    mark = page.locator("#chart-incidents g.policy-mark[data-date='2026-09-01'] line")
    assert mark.count() == 1
    box = mark.bounding_box()
    chart = page.locator("#chart-incidents svg").bounding_box()
    assert box is not None and chart["x"] < box["x"] < chart["x"] + chart["width"]
    label = page.locator("#chart-incidents p.policy-marks")
    assert "Use of force policy version 3 in effect from 1 September 2026" in label.inner_text()


def test_an_uploaded_pdf_is_approved_signed_and_verified(
    live_server, page, officer, runner, tmp_path, browser
):
    document = tmp_path / "use-of-force-2026.pdf"
    document.write_bytes(
        pdf(
            [
                "Use of force",
                "",
                "1. De-escalation",
                "Officers shall attempt to de-escalate before using force.",
            ]
        )
    )
    sign_in(page, live_server, *OFFICER)
    page.goto(live_server + "/office/policies/")
    page.get_by_label("Policy", exact=True).select_option("new")
    page.get_by_label("Short name for its address").fill("use-of-force")
    page.get_by_label("Number in the policy manual").fill("300")
    page.get_by_label("Title", exact=True).fill("Use of force")
    page.get_by_label("In effect from").fill("2026-08-01")
    page.get_by_label("Document", exact=True).set_input_files(str(document))
    page.get_by_role("button", name="Upload as a candidate").click()
    page.wait_for_url("**/office/policies/candidates/*")
    assert "Officers shall attempt to de-escalate" in page.locator(".policy-diff").inner_text()

    context = browser.new_context(bypass_csp=True)  # axe-core on the candidate page
    try:
        audited = context.new_page()
        sign_in(audited, live_server, *OFFICER)
        audited.goto(page.url)
        from tests.browser.test_accessibility import AXE

        assert violations(audited, AXE / "axe.min.js") == []
    finally:
        context.close()

    page.get_by_label("Summary of changes").fill("Adds the de-escalation requirement.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/office/policies/")
    assert "Published Use of force version 1." in page.inner_text("main")

    page.goto(live_server + "/ledger/")
    assert "policy-publish of policy:use-of-force version 1" in page.inner_text("main")
    page.goto(live_server + "/policies/use-of-force/v1/")
    sha = page.locator("table.files code.hash").nth(1).inner_text()

    from portal.cli import main

    result = runner.invoke(main, ["verify"])
    assert result.exit_code == 0, result.output
    assert "policies intact: 1 versions, 2 files match" in result.output
    stored = runner.env["PORTAL_DATA_DIR"] + "/policies/use-of-force/v1/original.pdf"
    import hashlib
    from pathlib import Path

    assert hashlib.sha256(Path(stored).read_bytes()).hexdigest() == sha
    Path(stored).write_bytes(Path(stored).read_bytes() + b"%tampered")
    tampered = runner.invoke(main, ["verify"])
    assert tampered.exit_code == 1
    assert "original.pdf does not match its SHA-256" in tampered.output
