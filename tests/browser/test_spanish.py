"""A resident reads the portal in Spanish in Chromium: the switcher on `/`, a dataset page with
a filtered preview, the survey (answered), the trust page and a 404. Every visible string is
Spanish (no English catalogue string left), `lang="es"` is set and numbers are written the
Spanish way (1.234,5)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from portal.community.models import SurveyResponse
from tests.browser.conftest import DemoSite, serve_demo
from tests.support.demo import DemoPortals
from tests.web.test_spanish_pages import english_patterns

# The words a Spanish reader sees: visible text nodes, minus code, text marked as another
# language and people's own words (comments, the office's answers and notes).
VISIBLE_SPANISH_TEXT = """() => {
  const skipped = (el) => el.closest('code, pre, script, style, .comment-body, .written')
    || (el.closest('[lang]') && !el.closest('[lang]').lang.startsWith('es'));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const words = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skipped(el) || !node.textContent.trim()) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    words.push(node.textContent);
  }
  return ' ' + words.join(' ').replace(/\\s+/g, ' ') + ' ';
}"""
SPANISH_THOUSANDS = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b")  # 1.061
SPANISH_DECIMAL = re.compile(r"\b\d+,\d\b")  # 63,8


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_portals: DemoPortals) -> Iterator[DemoSite]:
    """A demo portal of its own: this test answers the survey."""
    with serve_demo(tmp_path_factory.mktemp("spanish-browser"), demo_portals) as served:
        yield served


@pytest.fixture(scope="module")
def patterns() -> list:
    return english_patterns()


def english_left(page, patterns) -> list[str]:  # noqa: ANN001
    """Each English catalogue string still on the page, with the words around it."""
    words = page.evaluate(VISIBLE_SPANISH_TEXT)
    found = {}
    for msgid, pattern in patterns:
        if msgid not in found and (hit := pattern.search(words)):
            found[msgid] = words[max(hit.start() - 40, 0) : hit.end() + 40]
    return sorted(f"{msgid!r} in …{around}…" for msgid, around in found.items())


def follow(page, locator) -> None:  # noqa: ANN001
    """Click a link or button that loads a new page, and wait until that page has loaded."""
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")


def assert_spanish(page, patterns) -> str:  # noqa: ANN001
    assert page.evaluate("document.documentElement.lang") == "es", page.url
    assert english_left(page, patterns) == [], page.url
    return page.evaluate(VISIBLE_SPANISH_TEXT)


def test_a_resident_reads_and_answers_in_spanish(site, page, patterns, console_errors):
    page.goto(site.url + "/")
    assert page.evaluate("document.documentElement.lang") == "en"  # Chromium asks for en-US
    follow(
        page, page.get_by_role("navigation", name="Language").get_by_role("link", name="Español")
    )

    words = assert_spanish(page, patterns)
    assert "Datos policiales, publicados abiertamente" in words
    assert SPANISH_THOUSANDS.search(words) and SPANISH_DECIMAL.search(words)
    assert page.get_by_role("link", name="English").get_attribute("hreflang") == "en"

    # A dataset page, the language kept by the cookie; a filtered preview.
    follow(page, page.get_by_role("heading", name="Uso de la fuerza").get_by_role("link"))
    assert "lang=" not in page.url
    preview = page.get_by_role("form", name="Filtrar Incidentes de uso de la fuerza")
    preview.get_by_label("Distrito", exact=True).select_option("D3")
    follow(page, preview.get_by_role("button", name="Mostrar las filas que coinciden"))
    words = assert_spanish(page, patterns)
    count = page.locator("#incidents-count").inner_text()
    assert re.search(r"^\d{1,3}(\.\d{3})* filas coinciden \(de \d{1,3}(\.\d{3})+\)\.", count)
    assert "Diccionario de datos" in words and "Distrito 3" in words

    # The survey, from the trust page's invitation; answered in Spanish.
    principal = page.get_by_role("navigation", name="Principal")
    follow(page, principal.get_by_role("link", name="Confianza comunitaria"))
    words = assert_spanish(page, patterns)
    assert SPANISH_DECIMAL.search(words)  # the index, 63,8
    assert "Según el idioma en que se respondió la encuesta" in words
    follow(page, page.locator("p.notice").get_by_role("link").first)
    words = assert_spanish(page, patterns)
    assert "0 = totalmente en desacuerdo" in words
    for group in page.locator("fieldset.question").all():
        group.get_by_label("7", exact=True).check()
    page.get_by_label("¿En qué distrito policial vive usted?").select_option("D2")
    follow(page, page.get_by_role("button", name="Enviar mis respuestas"))
    words = assert_spanish(page, patterns)
    assert "Gracias" in words
    with site.portal.db.session() as session:
        latest = session.scalars(select(SurveyResponse).order_by(SurveyResponse.id.desc())).first()
        assert (latest.language, latest.district) == ("es", "D2")

    assert console_errors == []

    # An address with nothing at it (the browser logs the 404 itself).
    answer = page.goto(site.url + "/no-hay-nada-aqui")
    assert answer is not None and answer.status == 404
    words = assert_spanish(page, patterns)
    assert "No encontrado" in words and "No hay nada en esta dirección." in words
