"""Choosing the language: `?lang=` (kept in a cookie), the cookie, then Accept-Language; the
switcher on every page keeps the address; `<html lang>` and hreflang alternates; the API
stays English."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def database_url(tmp_path) -> str:  # noqa: ANN001
    """Choosing a language touches no database: SQLite only."""
    return f"sqlite:///{tmp_path / 'portal.db'}"


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)">', page).group(1)


def h1(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()


def test_lang_in_the_address_chooses_the_language_and_a_cookie_keeps_it(client) -> None:
    first = client.get("/no-such-page?lang=es")
    page = first.get_data(as_text=True)
    assert (first.status_code, html_lang(page), h1(page)) == (404, "es", "No encontrado")
    assert first.headers["Content-Language"] == "es"
    assert "lang=es" in first.headers["Set-Cookie"]
    # the next page, without ?lang=, stays Spanish: the cookie remembers
    later = client.get("/no-such-page").get_data(as_text=True)
    assert (html_lang(later), h1(later)) == ("es", "No encontrado")
    back = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert (html_lang(back), h1(back)) == ("en", "Not found")
    assert h1(client.get("/no-such-page").get_data(as_text=True)) == "Not found"


def test_without_a_choice_the_browser_language_decides_then_english(app) -> None:
    spanish = app.test_client().get("/nowhere", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert html_lang(spanish.get_data(as_text=True)) == "es"
    assert "Set-Cookie" not in spanish.headers  # only an explicit choice is remembered
    assert "Accept-Language" in spanish.headers["Vary"]
    french = app.test_client().get("/nowhere", headers={"Accept-Language": "fr-FR"})
    assert html_lang(french.get_data(as_text=True)) == "en"
    # a chosen language (cookie) beats the browser's
    chooser = app.test_client()
    chooser.get("/nowhere?lang=en")
    page = chooser.get("/nowhere", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert html_lang(page) == "en"


def test_a_language_the_site_does_not_speak_is_ignored(client) -> None:
    answer = client.get("/nowhere?lang=xx")
    assert html_lang(answer.get_data(as_text=True)) == "en"
    assert "Set-Cookie" not in answer.headers


def test_every_page_offers_the_switcher_and_alternates_keeping_the_address(client, config) -> None:
    page = client.get("/datasets/?q=force&family=use-of-force&lang=es").get_data(as_text=True)
    switcher = re.search(r'<nav class="languages" aria-label="Idioma">(.*?)</nav>', page, re.S)
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"', switcher.group(1))
    assert [code for _href, code in links] == ["en", "es"]
    english = dict((code, href) for href, code in links)["en"]
    assert english == "/datasets/?q=force&amp;family=use-of-force&amp;lang=en"
    here = f"{config.base_url}/datasets/?q=force&amp;family=use-of-force"
    assert 'aria-current="true">Español</a>' in switcher.group(1)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"', page))
    assert alternates == {
        "en": f"{here}&amp;lang=en",
        "es": f"{here}&amp;lang=es",
        "x-default": here,
    }


@pytest.mark.parametrize("path", ["/", "/datasets/", "/no-such-page"])
def test_a_forged_host_header_never_reaches_a_page(client, config, path) -> None:
    # Pages are kept and shared between readers (the index summary, dataset pages): an
    # address built from the Host header would hand one request's host to everyone.
    page = client.get(path, headers={"Host": "attacker.example"}).get_data(as_text=True)
    assert "attacker.example" not in page
    assert f'<link rel="alternate" hreflang="es" href="{config.base_url}{path}?lang=es">' in page
    assert f'<a href="{path}?lang=es" lang="es"' in page


def test_the_api_stays_english_whatever_the_reader_chose(client) -> None:
    client.get("/?lang=es")
    answer = client.get("/api/v1/datasets/nothing-here", headers={"Accept-Language": "es"})
    assert answer.status_code == 404
    assert answer.get_json()["error"]["title"] == "Not found"


def test_a_refused_body_is_explained_in_the_chosen_language(client) -> None:
    answer = client.post("/login?lang=es", data={"email": "x" * 8000})
    page = answer.get_data(as_text=True)
    assert (answer.status_code, h1(page)) == (413, "Demasiado grande")
    assert "no se guardó nada" in page


def test_feeds_and_catalogues_stay_english_whatever_the_reader_chose(client) -> None:
    client.get("/nowhere?lang=es")  # the reader chose Spanish for pages
    feed = client.get("/feed.atom", headers={"Accept-Language": "es"})
    catalogue = client.get("/data.json?lang=es")
    assert feed.status_code == catalogue.status_code == 200
    assert "Content-Language" not in feed.headers
    assert "Set-Cookie" not in catalogue.headers
    assert html_lang(client.get("/nowhere").get_data(as_text=True)) == "es"  # pages: Spanish
