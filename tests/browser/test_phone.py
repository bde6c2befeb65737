"""Every page type on a phone (320 and 390 px wide) and on a desktop: no sideways scrolling.

Wide content (code, tables) scrolls inside its own focusable, labelled container; the page
itself never does. When a page is too wide, the test names the elements that stick out.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Candidate, Run
from tests.browser.conftest import sign_in

PUBLIC = (
    "/",
    "/datasets/",
    "/datasets/?q=force",
    "/datasets/use-of-force/",
    "/datasets/use-of-force/?table=incidents&district=D2&sort=-incident_date&page=3",
    "/datasets/body-worn-cameras/",
    "/datasets/resource-allocation/",
    "/datasets/community-trust/",
    "/datasets/use-of-force/versions/",
    "/api/",
    "/ledger/",
    "/trust/",
    "/status",
    "/surveys/",
    "/login",
    "/policies/",
    "/policies/use-of-force/",
    "/policies/use-of-force/v3/",
    "/policies/use-of-force/compare?from=1&to=3",
    "/policies/use-of-force/compare?from=2&to=3&view=inline",
)
OFFICE = (
    "/office/",
    "/office/audit/",
    "/office/datasets/use-of-force/runs",
    "/office/corrections/",
    "/office/moderation/",
    "/office/users/",
    "/office/surveys/",
    "/office/watches/",
    "/office/policies/",
    "/office/datasets/use-of-force/versions",
)
DEMO_ADMIN = ("admin@example.org", "demo-admin-password")  # portal.demo's account

# Elements whose right edge passes the viewport, outside any container that scrolls itself.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll'].includes(style.overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !inScroller(el))
    .slice(0, 8)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`
      + ` (${Math.round(el.getBoundingClientRect().right)} px)`);
}"""
# Every container that scrolls sideways must be reachable by keyboard and say what it holds.
SCROLLERS = """() => [...document.querySelectorAll('*')]
  .filter((el) => el.scrollWidth > el.clientWidth + 1
    && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
  .filter((el) => el.tabIndex < 0
    || !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)"""


def _fits(page, url: str) -> tuple[int, int, list[str], list[str]]:  # noqa: ANN001
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return widths[0], widths[1], page.evaluate(STICKING_OUT), page.evaluate(SCROLLERS)


def _report(problems: dict) -> str:
    return "\n".join(
        f"{path}: {scroll} px wide in {client} px; sticking out: {', '.join(out)}; "
        f"scrolling without a label or keyboard focus: {', '.join(unlabelled) or 'none'}"
        for path, (scroll, client, out, unlabelled) in problems.items()
    )


def _office_pages(site) -> list[str]:  # noqa: ANN001
    with site.portal.db.session() as session:
        run = session.scalars(select(Run).order_by(Run.id.desc())).first()
        candidate = session.scalars(select(Candidate).order_by(Candidate.id.desc())).first()
    return [*OFFICE, f"/office/runs/{run.id}", f"/office/candidates/{candidate.id}"]


@pytest.mark.parametrize("width", [320, 390, 1366])
def test_no_public_page_scrolls_sideways(demo_site, browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_site.url + "/surveys/")
        survey = page.locator("ul.datasets a").first.get_attribute("href")  # the demo's survey
        pages = [*PUBLIC, survey]
        problems = {}
        for path in pages:
            scroll, client, sticking_out, unlabelled = _fits(page, demo_site.url + path)
            if scroll > client or unlabelled:
                problems[path] = (scroll, client, sticking_out, unlabelled)
        assert problems == {}, _report(problems)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_no_public_page_scrolls_sideways_in_spanish(demo_site, browser, width: int):
    """Spanish words are longer: the same pages, read in Spanish, still fit a phone."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_site.url + "/surveys/?lang=es")  # the cookie keeps Spanish from here
        survey = page.locator("ul.datasets a").first.get_attribute("href")
        problems = {}
        for path in [*PUBLIC, survey, "/no-such-page"]:
            response = page.goto(demo_site.url + path)
            assert response is not None
            if path == "/no-such-page":
                assert response.status == 404
                widths = page.evaluate(
                    "() => [document.documentElement.scrollWidth,"
                    " document.documentElement.clientWidth]"
                )
                found = (*widths, page.evaluate(STICKING_OUT), page.evaluate(SCROLLERS))
            else:
                found = _fits(page, demo_site.url + path)
            assert page.evaluate("document.documentElement.lang") == "es", path
            scroll, client, sticking_out, unlabelled = found
            if scroll > client or unlabelled:
                problems[path] = found
        assert problems == {}, _report(problems)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390, 1366])
def test_no_office_page_scrolls_sideways(demo_site, browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, demo_site.url, *DEMO_ADMIN)
        problems = {}
        for path in _office_pages(demo_site):
            scroll, client, sticking_out, unlabelled = _fits(page, demo_site.url + path)
            if scroll > client or unlabelled:
                problems[path] = (scroll, client, sticking_out, unlabelled)
        assert problems == {}, _report(problems)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_filters_wait_behind_a_disclosure_on_a_phone_and_stay_open_on_a_desktop(
    demo_site, browser, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    phone = width < 700
    try:
        page.goto(demo_site.url + "/datasets/")
        first_facet = page.locator(".facets input[type=checkbox]").first
        assert first_facet.is_visible() is not phone
        results = page.locator("ul.datasets h2").first.bounding_box()
        if phone:
            assert results["y"] < 800  # the first result is on the first screen
            page.locator(".facets summary").click()
            assert first_facet.is_visible()

        page.goto(demo_site.url + "/datasets/use-of-force/")
        filters = page.locator("form.filters").first
        district = filters.get_by_label("District", exact=True)
        assert filters.get_by_label("Text search").is_visible()
        assert district.is_visible() is not phone
        if phone:
            filters.locator("summary", has_text="Filters").click()
            district.select_option(index=1)
            filters.get_by_role("button", name="Show matching rows").click()
            # With a filter in use the disclosure opens by itself, showing what was chosen.
            assert (
                page.locator("form.filters").first.get_by_label("District", exact=True).is_visible()
            )
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 900, 1366])
def test_index_cards_come_in_declared_order_and_none_is_left_alone_on_a_row(
    demo_site, browser, width: int
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_site.url + "/")
        cards = page.locator(".cards").first.locator(":scope > section.card")
        titles = [t.strip() for t in cards.locator("h2").all_inner_texts()]
        assert titles == [
            "Use of force",
            "Body-worn cameras",
            "Resource allocation",
            "Community trust survey",
        ]
        boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
        rows: dict[int, list[dict]] = {}
        for box in boxes:
            rows.setdefault(round(box["y"]), []).append(box)
        columns = max(len(row) for row in rows.values())
        assert columns == (1 if width < 700 else 2)
        # No row with one card beside empty columns: a lone card spans the whole row.
        widest = max(box["width"] for box in boxes)
        for row in rows.values():
            if len(row) == 1:
                assert row[0]["width"] >= widest - 1
    finally:
        context.close()


def test_the_header_offers_search_api_and_status_and_marks_the_current_page(demo_site, page):
    page.goto(demo_site.url + "/status")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Status").get_attribute("aria-current") == "page"
    assert nav.get_by_role("link", name="Summary").get_attribute("aria-current") is None
    nav.get_by_role("link", name="API").click()
    page.wait_for_url("**/api/")
    assert nav.get_by_role("link", name="API").get_attribute("aria-current") == "page"
    page.goto(demo_site.url + "/datasets/use-of-force/")
    assert nav.get_by_role("link", name="Datasets").get_attribute("aria-current") == "true"
    search = page.get_by_role("search").first
    search.get_by_label("Search datasets").fill("camera")
    search.get_by_role("button", name="Search").click()
    page.wait_for_url("**/datasets/?q=camera")
    assert "1 dataset matching “camera”" in page.get_by_role("status").inner_text()
