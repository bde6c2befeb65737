"""What residents read: Markdown rendered, codes in words, money with its currency, one
vocabulary for districts, colours that match the news they carry."""

from __future__ import annotations

import re

GREEN, RED, AMBER = "rgb(17, 94, 43)", "rgb(138, 17, 17)", "rgb(154, 91, 0)"


def test_the_api_page_renders_its_markdown(demo_site, page):
    page.goto(demo_site.url + "/api/")
    text = page.locator("main").inner_text()
    assert "`" not in text
    assert page.locator("main section code", has_text="sort").count() >= 1


def test_the_preview_shows_force_types_in_words(demo_site, page):
    page.goto(demo_site.url + "/datasets/use-of-force/?table=incidents")
    preview = page.locator("table.preview").first
    headers = preview.locator("thead th").all_inner_texts()
    column = next(i for i, h in enumerate(headers) if h.startswith("Force types used"))
    cells = preview.locator(f"tbody tr td:nth-child({column + 1})").all_inner_texts()
    assert cells and not [c for c in cells if ";" in c or re.search(r"\b[a-z]+-[a-z]+", c)]
    assert any(c in {"Hands, fists or feet", "Takedown"} or ", " in c for c in cells)


def test_money_carries_its_currency(demo_site, page):
    page.goto(demo_site.url + "/datasets/resource-allocation/?table=budget")
    preview = page.locator("table.preview").first
    headers = preview.locator("thead th").all_inner_texts()
    column = next(i for i, h in enumerate(headers) if h.startswith("Adopted budget (USD)"))
    cells = preview.locator(f"tbody tr td:nth-child({column + 1})").all_inner_texts()
    assert cells and all(re.fullmatch(r"\$\d{1,3}(,\d{3})*(\.\d\d)?", c) for c in cells), cells


def test_the_trust_page_names_districts_as_the_rest_of_the_site_does(demo_site, page):
    page.goto(demo_site.url + "/trust/")
    rows = page.locator(
        "#by-district ~ div table tbody th, section[aria-labelledby=by-district] tbody th"
    )
    names = rows.all_inner_texts()
    assert names and all(re.fullmatch(r"District \d|Not known", n) for n in names), names


def test_colours_match_the_news(demo_site, page):
    page.goto(demo_site.url + "/datasets/use-of-force/")
    assert page.locator(".on-time").first.evaluate("e => getComputedStyle(e).color") == GREEN
    page.goto(demo_site.url + "/datasets/use-of-force/?table=incidents&incident_date__min=soon")
    warning = page.locator(".notice[role=alert]").first
    assert warning.evaluate("e => getComputedStyle(e).borderLeftColor") == AMBER
    page.goto(demo_site.url + "/trust/")
    invitation = page.locator("p.notice", has_text="Have your say")
    assert invitation.evaluate("e => getComputedStyle(e).borderLeftColor") not in {RED, AMBER}
