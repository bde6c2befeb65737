"""axe-core finds no serious or critical WCAG 2.1 A/AA violation on the main pages.

axe-core comes from npm (scripts/test.sh installs it under .cache/node, which git ignores)
and is injected into each page; the context that runs it bypasses the site's CSP
(`script-src 'self'`) for that alone: the site itself never loads a script from elsewhere.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE, DEMO_OFFICER, sign_in

PUBLIC = (
    "/",
    "/datasets/",
    "/datasets/use-of-force/",
    "/login",
    "/policies/",
    "/policies/use-of-force/",
    "/policies/use-of-force/v3/",
    "/policies/use-of-force/compare?from=1&to=3",
    "/policies/use-of-force/compare?from=2&to=3&view=inline",
)
OFFICE = ("/office/", "/office/policies/")
# The same pages, and the survey's, read in Spanish (its words are longer; its lang is set).
SPANISH = (
    "/?lang=es",
    "/datasets/?lang=es",
    "/datasets/use-of-force/?lang=es&table=incidents&district=D1&sort=-incident_date",
    "/policies/?lang=es",
    "/policies/use-of-force/?lang=es",
    "/trust/?lang=es",
    "/surveys/?lang=es",
    "/login?lang=es",
    "/no-such-page?lang=es",
)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def audited(browser):  # noqa: ANN001, ANN201
    script = AXE / "axe.min.js"
    if not script.exists():
        pytest.fail(
            f"{script} is missing: scripts/test.sh installs axe-core with "
            "`npm install --no-save --prefix .cache/node axe-core@4.14.1`"
        )
    context = browser.new_context(bypass_csp=True)
    yield context.new_page(), script
    context.close()


def violations(page, script) -> list[str]:  # noqa: ANN001
    page.add_script_tag(path=str(script))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_have_no_serious_accessibility_violations(demo_site, audited, path):
    page, script = audited
    page.goto(demo_site.url + path)

    assert violations(page, script) == []


def test_a_filtered_preview_has_no_serious_accessibility_violations(demo_site, audited):
    page, script = audited
    page.goto(
        demo_site.url + "/datasets/use-of-force/?table=incidents&district=D1&sort=-incident_date"
    )

    assert violations(page, script) == []


@pytest.mark.parametrize("path", SPANISH)
def test_spanish_pages_have_no_serious_accessibility_violations(demo_site, audited, path):
    page, script = audited
    page.goto(demo_site.url + path)
    assert page.evaluate("document.documentElement.lang") == "es"

    assert violations(page, script) == []


def test_the_spanish_survey_has_no_serious_accessibility_violations(demo_site, audited):
    page, script = audited
    page.goto(demo_site.url + "/surveys/?lang=es")
    # Until the survey's page has loaded: axe added while the list is being replaced found
    # no document head ("Cannot read properties of null (reading 'appendChild')").
    with page.expect_navigation():
        page.locator("ul.datasets a").first.click()

    assert violations(page, script) == []


@pytest.mark.parametrize("path", OFFICE)
def test_office_pages_have_no_serious_accessibility_violations(demo_site, audited, path):
    page, script = audited
    sign_in(page, demo_site.url, *DEMO_OFFICER)
    page.goto(demo_site.url + path)

    assert violations(page, script) == []
