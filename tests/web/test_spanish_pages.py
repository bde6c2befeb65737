"""Every public page in Spanish: no English string of the catalogue is left on it.

The walk takes every GET route of the app's url_map that answers a public HTML page (the
records office and the API are left out: the office may stay English, the API is
language-neutral), fills its parameters from the demo portal, and reads each page in Spanish
as a screen reader would: text, and the labels of controls and regions. Text the page marks
as another language (`lang="en"`: a dataset's English-only words, codes, residents' own
comments) is not Spanish and is not read. A catalogue string whose translation differs and
that shows on the page untranslated fails the test, naming the page and the string.

A new route with a parameter this walk cannot fill fails it too: give the parameter a value
in PARAMETERS (or the route a reason in NOT_PAGES).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from portal import create_app, languages
from portal.datasets.context import Portal
from tests.support.demo import DemoPortals
from tests.test_translations import office_only

TODAY = date(2026, 11, 24)
# Blueprints whose pages the public reads (the office's and the API's are not walked).
PUBLIC_BLUEPRINTS = {
    "public",
    "community",
    "accountability",
    "catalogs",
    "compare",
    "api_docs",
    "policies",
}
PUBLIC_ENDPOINTS = {"auth.login"}
# Routes that answer something other than a page to read, and why they are not walked.
NOT_PAGES = {
    "community.comment_form": "redirects to the dataset page's form",
    "compare.as_csv": "a CSV file",
    "policies.comment_post": "the comment form's own address leads back to the policy page",
    "policies.version_file": "a file of a policy version",
}
SKIPPED_TAGS = {"script", "style", "code", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class Reader(HTMLParser):
    """The words a Spanish reader meets: text and labels, minus what is marked as another
    language or is code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.words: list[str] = []
        self.html_lang: str | None = None

    @property
    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_lang = found.get("lang")
        lang = found.get("lang")
        skip = tag in SKIPPED_TAGS or (lang is not None and not lang.startswith("es"))
        # people's own words (comments, the office's answers and notes) are shown as written
        skip = skip or bool({"comment-body", "written"} & set((found.get("class") or "").split()))
        if not self.skipping and not skip:
            self.words += [found[name] or "" for name in READ_ATTRIBUTES if name in found]
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.words.append(data)


def read(page: str) -> tuple[str | None, str]:
    reader = Reader()
    reader.feed(page)
    return reader.html_lang, " " + re.sub(r"\s+", " ", " ".join(reader.words)) + " "


def english_patterns() -> list[tuple[str, re.Pattern]]:
    """Each catalogue string whose Spanish differs, as the parts of it a page would show.

    A part that is a single word also found in the Spanish catalogue ("no", "UTC") says
    nothing about the page's language and is left out; a part is matched as words, never
    inside a code, a file name or an address (`use-of-force`, `monthly-summary.csv`)."""
    with open(languages.TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    office = office_only()
    spanish = {
        word
        for message in catalogue
        if message.id
        for text in ([message.string] if isinstance(message.string, str) else message.string)
        for word in re.findall(r"\w+", text)
    }
    found = []
    for message in catalogue:
        ids = [message.id] if isinstance(message.id, str) else list(message.id or [])
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not ids or not ids[0] or ids[0] in office or ids[0] in strings:
            continue
        for msgid in ids:
            parts = re.split(r"%\(\w+\)[sdr]", msgid.replace("%%", "%"))
            for part in parts:
                words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)).strip(" ,.;:()")
                if len(re.findall(r"[A-Za-z]", words)) < 2 or words in spanish:
                    continue
                left = r"(?<![\w/.-])" if words[0].isalnum() else ""
                right = r"(?![\w/-])(?!\.\w)" if words[-1].isalnum() else ""
                found.append((msgid, re.compile(left + re.escape(words) + right)))
    return found


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_portals: DemoPortals
) -> Iterator[tuple[Portal, object]]:
    folder = tmp_path_factory.mktemp("spanish-site")
    config = demo_portals.copy(folder, TODAY, "test-secret-key")
    portal = Portal(config)
    app = create_app(config)
    yield portal, app
    app.extensions["portal"].db.dispose()
    portal.db.dispose()


def parameters(portal: Portal) -> dict[str, list[str]]:
    """Values for each route parameter, from the demo portal."""
    from portal.community.models import Survey
    from portal.models import Dataset
    from portal.policies.models import Policy

    with portal.db.session() as session:
        datasets = [d for d in session.query(Dataset).all() if d.current_version_id]
        slugs = [d.slug for d in datasets]
        first = next(d for d in datasets if d.slug == "use-of-force")
        surveys = [str(s.id) for s in session.query(Survey).all()]
        policies = [p.slug for p in session.query(Policy).all()]
        return {
            # the department's policies have English titles only (policy.yaml): their titles,
            # where a page names them, are its own words, not the catalogue's
            "written": [p.title for p in session.query(Policy).all()],
            # a blueprint's own meaning of a parameter first: a policy's slug is not a dataset's
            "policies:slug": policies,
            "policies:number": ["1"],
            "slug": slugs,
            "resource": [first.resources[0].name],
            "survey_id": surveys,
            # for `<slug>/<resource>` routes: the resource belongs to use-of-force
            "slug+resource": ["use-of-force"],
        }


def public_pages(app, values: dict[str, list[str]]) -> list[str]:  # noqa: ANN001
    """Every public GET route of the url_map, its parameters filled."""
    addresses = []
    unknown = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if blueprint not in PUBLIC_BLUEPRINTS and rule.endpoint not in PUBLIC_ENDPOINTS:
            continue
        names = sorted(rule.arguments)
        if not names:
            addresses.append(rule.rule)
            continue
        if names == ["resource", "slug"]:
            choices = [
                {"slug": s, "resource": r}
                for s in values["slug+resource"]
                for r in values["resource"]
            ]
        elif all(f"{blueprint}:{name}" in values or name in values for name in names):
            own = {name: values.get(f"{blueprint}:{name}", values.get(name)) for name in names}
            choices = [{}]
            for name in names:
                choices = [{**c, name: value} for c in choices for value in own[name]]
        else:
            unknown.append(f"{rule.endpoint} {rule.rule}")
            continue
        for choice in choices:
            address = rule.rule
            for name, value in choice.items():
                address = re.sub(rf"<(?:\w+:)?{name}>", value, address)
            addresses.append(address)
    assert not unknown, f"give these parameters a value in PARAMETERS: {unknown}"
    return sorted(set(addresses))


EXTRA_PAGES = [
    "/datasets/use-of-force/?table=incidents&district=D3&sort=-incident_date",  # filtered
    "/datasets/use-of-force/?table=incidents&district=D99",  # a filter it cannot take: 400
    "/datasets/?q=force&family=use-of-force",
    "/datasets/?sort=nonsense",  # an order it cannot give: 400
    "/no-such-page",  # 404
    "/datasets/no-such-dataset/",  # 404
    "/datasets/use-of-force/v99/incidents.csv",  # 404 with the current version
    "/policies/use-of-force/compare?from=1&to=3",
    "/policies/use-of-force/compare?from=2&to=3&view=inline",
]


def test_every_public_page_in_spanish_leaves_no_english_catalogue_string(demo):
    portal, app = demo
    patterns = english_patterns()
    client = app.test_client()
    values = parameters(portal)
    addresses = public_pages(app, values) + EXTRA_PAGES
    leftovers: dict[str, list[str]] = {}
    read_pages = 0
    for address in addresses:
        joiner = "&" if "?" in address else "?"
        answer = client.get(f"{address}{joiner}lang=es")
        if answer.mimetype != "text/html":
            continue
        read_pages += 1
        html_lang, words = read(answer.get_data(as_text=True))
        assert html_lang == "es", address
        for title in values["written"]:
            words = words.replace(title, " ")
        found = sorted({msgid for msgid, pattern in patterns if pattern.search(words)})
        if found:
            leftovers[address] = found
    assert leftovers == {}
    assert read_pages >= 20  # the walk really walked


def test_a_page_read_in_spanish_writes_numbers_and_dates_the_spanish_way(demo):
    _, app = demo
    page = app.test_client().get("/?lang=es").get_data(as_text=True)
    _, words = read(page)

    assert re.search(r"\b\d{1,3}(?:\.\d{3})+\b", words)  # 1.234
    assert re.search(r"\b\d+,\d %", words)  # 12,5 %
    assert re.search(r"\b\d{1,2} de [a-z]+ de 20\d\d\b", words)  # 24 de noviembre de 2026
    english = app.test_client().get("/?lang=en").get_data(as_text=True)
    assert re.search(r"\b\d{1,3}(?:,\d{3})+\b", re.sub(r"<[^>]+>", " ", english))  # 1,234
