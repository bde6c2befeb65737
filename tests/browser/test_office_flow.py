"""A records officer approves the pending candidate in the browser and the public sees it."""

from __future__ import annotations

from tests.browser.conftest import DEMO_OFFICER, serve_demo, sign_in


def test_an_officer_approves_the_pending_candidate_and_it_is_public(
    tmp_path, demo_portals, page, console_errors
):
    with serve_demo(tmp_path, demo_portals) as site:
        page.goto(site.url + "/datasets/use-of-force/")
        assert "Version 1," in page.locator("main").inner_text()

        sign_in(page, site.url, *DEMO_OFFICER)
        page.goto(site.url + "/office/")
        page.get_by_role("link", name="Use of force: candidate").click()
        page.get_by_label("Note").fill("October incidents added.")
        page.get_by_role("button", name="Approve and publish", exact=True).click()
        page.get_by_text("version 2").first.wait_for()

        page.goto(site.url + "/datasets/use-of-force/")
        main = page.locator("main").inner_text()
        assert "Version 2," in main and "Version 2 (current)" in main
        page.goto(site.url + "/datasets/use-of-force/versions/")
        assert "October incidents added." in page.locator("main").inner_text()
        with page.expect_download() as download:
            page.goto(site.url + "/datasets/use-of-force/")
            page.get_by_role("link", name="incidents.csv", exact=True).click()
        assert download.value.suggested_filename == "use-of-force-v2-incidents.csv"
        assert console_errors == []
