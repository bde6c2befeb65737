"""A resident and a journalist use the public site in real headless Chromium (no mocks)."""

from __future__ import annotations

import csv
import hashlib
import io
import re

from portal.models import Dataset, Version
from portal.storage import LocalStorage

PAGES = (
    "/",
    "/datasets/",
    "/datasets/?q=camera",
    "/datasets/use-of-force/",
    "/datasets/use-of-force/?table=incidents&district=D2&sort=-incident_date&page=3",
    "/datasets/body-worn-cameras/",
    "/datasets/resource-allocation/",
    "/datasets/use-of-force/versions/",
    "/login",
)


def _published(site, slug: str, filename: str) -> bytes:  # noqa: ANN001
    with site.portal.db.session() as session:
        dataset = session.query(Dataset).filter_by(slug=slug).one()
        file = session.get(Version, dataset.current_version_id).file(filename)
        return LocalStorage(site.portal.config.data_dir).path(file.path).read_bytes()


def test_the_index_answers_what_is_there_how_fresh_and_what_it_says(demo_site, page):
    page.goto(demo_site.url + "/")

    assert page.get_by_role("heading", level=1).inner_text() == "Police data, published openly"
    card = page.locator(
        "section.card", has=page.get_by_role("link", name="Use of force", exact=True)
    )
    assert "Hands, fists or feet" in card.inner_text()
    assert "Last published" in card.inner_text() and "Next release" in card.inner_text()
    assert card.locator("svg[role=img]").count() >= 1

    card.get_by_role("link", name="Use of force", exact=True).click()
    page.wait_for_url("**/datasets/use-of-force/")
    assert page.get_by_role("heading", level=1).inner_text() == "Use of force"


def test_a_resident_searches_and_ticks_a_facet_without_any_script(demo_site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(demo_site.url + "/datasets/")
        page.get_by_label("Search datasets").fill("camera")
        page.get_by_role("button", name="Search").click()
        assert "q=camera" in page.url
        assert "1 dataset matching “camera”" in page.get_by_role("status").inner_text()

        page.goto(demo_site.url + "/datasets/")
        page.get_by_label(re.compile(r"^Use of force \(\d+\)")).check()
        page.get_by_role("button", name="Apply filters").click()
        assert "family=use-of-force" in page.url
        titles = page.locator("ul.datasets h2").all_inner_texts()
        assert titles == ["Use of force"]
    finally:
        context.close()


def test_the_preview_filters_sorts_and_pages_on_the_server(demo_site, page):
    rows = list(
        csv.DictReader(io.StringIO(_published(demo_site, "use-of-force", "incidents.csv").decode()))
    )
    in_d3 = [r for r in rows if r["district"] == "D3"]
    page.goto(demo_site.url + "/datasets/use-of-force/")
    form = page.get_by_role("form", name="Filter Use-of-force incidents")

    form.get_by_label("District").select_option("D3")
    form.get_by_role("button", name="Show matching rows").click()
    status = page.locator("#incidents-count")
    assert f"{len(in_d3):,} rows match (of {len(rows):,})" in status.inner_text()
    table = page.locator("table.preview").first
    districts = table.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert districts == ["District 3"] * 20

    table.get_by_role("link", name=re.compile("^Date")).click()  # ascending
    page.locator("table.preview").first.get_by_role("link", name=re.compile("^Date")).click()
    date_header = page.locator("table.preview").first.locator("th[aria-sort]")
    assert date_header.get_attribute("aria-sort") == "descending"
    first_date = page.locator("table.preview").first.locator("tbody tr td:nth-child(3)").first
    assert first_date.inner_text() == max(r["incident_date"] for r in in_d3)

    page.get_by_role("link", name="Next page").first.click()
    assert "Showing rows 21 to 40." in page.locator("#incidents-count").inner_text()
    assert page.locator("#incidents-district").input_value() == "D3"  # the filter stays


def test_downloads_deliver_the_published_bytes_and_the_filtered_rows(demo_site, page):
    published = _published(demo_site, "use-of-force", "incidents.csv")
    page.goto(demo_site.url + "/datasets/use-of-force/")
    row = page.locator(
        "table.files tr", has=page.get_by_role("link", name="incidents.csv", exact=True)
    )
    shown_hash = row.locator("code.hash").inner_text()

    with page.expect_download() as whole:
        row.get_by_role("link", name="incidents.csv", exact=True).click()
    data = whole.value.path().read_bytes()
    assert data == published
    assert hashlib.sha256(data).hexdigest() == shown_hash
    assert whole.value.suggested_filename == "use-of-force-v1-incidents.csv"

    form = page.get_by_role("form", name="Filter Use-of-force incidents")
    form.get_by_label("Subject injury").select_option("serious")
    form.get_by_role("button", name="Show matching rows").click()
    link = page.get_by_role("link", name=re.compile(r"^Download these [\d,]+ rows as CSV"))
    count = int(re.search(r"[\d,]+", link.inner_text()).group().replace(",", ""))
    with page.expect_download() as filtered:
        link.click()
    text = filtered.value.path().read_bytes().decode("utf-8")
    got = list(csv.DictReader(io.StringIO(text)))
    assert len(got) == count > 0
    assert {r["subject_injury"] for r in got} == {"serious"}
    lines = set(published.decode().split("\r\n"))
    assert all(line in lines for line in text.split("\r\n"))  # cells exactly as published


def test_no_page_logs_an_error_in_the_console(demo_site, page, console_errors):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for path in PAGES:
        page.goto(demo_site.url + path)
        page.wait_for_load_state("load")
    assert console_errors == []
    assert failed == []


def test_keyboard_reaches_the_preview_and_sees_where_it_is(demo_site, page):
    page.goto(demo_site.url + "/datasets/use-of-force/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    search = page.locator("#incidents-q")
    search.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.type("traffic")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=traffic"))
    assert "rows match" in page.locator("#incidents-count").inner_text()
