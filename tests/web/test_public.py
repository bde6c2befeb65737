"""The public site read as a resident or a journalist would, over the demo portal (SQLite)."""

from __future__ import annotations

import csv
import html
import io
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from flask import template_rendered

from portal import create_app
from portal.datasets.context import Portal
from portal.datasets.definitions import sync_dataset
from portal.datasets.labels import dataset_labels, value_label
from portal.models import Dataset, Version, utcnow
from portal.storage import LocalStorage
from portal.web import public
from tests.conftest import csrf_token, login
from tests.support.demo import DemoPortals

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_portals: DemoPortals
) -> Iterator[tuple[Portal, object]]:
    """The demo portal, published once for every test here: these tests only read."""
    folder = tmp_path_factory.mktemp("public-site")
    config = demo_portals.copy(folder, TODAY, "test-secret-key")
    portal = Portal(config)
    app = create_app(config)
    yield portal, app.test_client()
    app.extensions["portal"].db.dispose()
    portal.db.dispose()


def published_rows(portal: Portal, slug: str, resource: str) -> tuple[list[dict], bytes]:
    with portal.db.session() as session:
        dataset = session.query(Dataset).filter_by(slug=slug).one()
        file = session.get(Version, dataset.current_version_id).file(f"{resource}.csv")
        data = LocalStorage(portal.config.data_dir).path(file.path).read_bytes()
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")))), data


def published(portal: Portal) -> list[tuple[str, str, object]]:
    """(slug, title, published_at) of every published dataset."""
    with portal.db.session() as session:
        return [
            (d.slug, d.title, d.current_version.published_at)
            for d in session.query(Dataset).all()
            if d.current_version_id is not None
        ]


def text_of(page: str) -> str:
    """The page's words, tags removed, the way a screen reader would run through them."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def hrefs(page: str, pattern: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'href="({pattern}[^"]*)"', page)]


def test_the_index_speaks_plain_words_and_says_how_fresh_each_dataset_is(site):
    portal, client = site
    page = client.get("/").get_data(as_text=True)
    words = text_of(page)
    figures = {
        f["key"]: f for figs in client.get("/api/v1/").json["figures"].values() for f in figs
    }

    assert "Hands, fists or feet" in words  # the top force type, not its code
    assert "hands-fists-feet" not in words
    assert f"{figures['incidents']['label']} {figures['incidents']['display']} incidents" in words
    assert figures["incidents"]["period"] in words  # its window, written beside it
    freshness = page.split('<dl class="freshness">')[1:]
    assert len(freshness) == len(published(portal))
    assert all("Last published" in f and "expected by" in f for f in freshness)
    assert page.count('<svg viewBox="0 0 240 56"') >= 4  # the small trend charts
    assert '<link rel="alternate" type="application/json"' in page
    assert 'href="/api/v1/"' in page


def test_the_catalogue_searches_and_narrows_by_facets_without_javascript(site):
    portal, client = site

    everything = client.get("/datasets/").get_data(as_text=True)
    force = client.get("/datasets/?q=force").get_data(as_text=True)
    by_family = client.get("/datasets/?family=body-worn-cameras").get_data(as_text=True)
    either = client.get("/datasets/?family=body-worn-cameras&family=use-of-force")
    nothing = client.get("/datasets/?q=zeppelin").get_data(as_text=True)

    assert f"{len(published(portal))} datasets." in text_of(everything)
    assert text_of(force).count("1 dataset matching “force”") == 1
    assert 'href="/datasets/use-of-force/"' in force
    assert 'href="/datasets/body-worn-cameras/"' not in force
    assert "1 dataset" in text_of(by_family)
    assert 'name="family" value="body-worn-cameras" checked' in by_family
    # Counts of a facet ignore its own selection, so the other family still says (1).
    assert re.search(r'value="use-of-force">\s*<label[^>]*>Use of force <span', by_family)
    assert "2 datasets" in text_of(either.get_data(as_text=True))
    assert "No dataset matches" in nothing


def test_the_catalogue_sorts_by_title_or_by_most_recent_publication(site):
    portal, client = site
    datasets = published(portal)

    def order(page: str) -> list[str]:
        return re.findall(r'<h2><a href="/datasets/([a-z-]+)/">', page)

    by_title = order(client.get("/datasets/").get_data(as_text=True))
    recent = order(client.get("/datasets/?sort=recent").get_data(as_text=True))

    assert by_title == [slug for slug, title, _ in sorted(datasets, key=lambda d: d[1].lower())]
    assert recent == [slug for slug, _, at in sorted(datasets, key=lambda d: d[2], reverse=True)]
    assert by_title != recent  # the demo does not publish in title order


def test_the_preview_filters_sorts_and_pages_on_the_server(site):
    portal, client = site
    rows, _ = published_rows(portal, "use-of-force", "incidents")
    in_d3 = [r for r in rows if r["district"] == "D3"]
    newest = max(r["incident_date"] for r in in_d3)

    response = client.get("/datasets/use-of-force/?table=incidents&district=D3&sort=-incident_date")
    page = response.get_data(as_text=True)
    words = text_of(page)
    second = client.get(
        "/datasets/use-of-force/?table=incidents&district=D3&sort=-incident_date&page=2"
    ).get_data(as_text=True)

    assert response.status_code == 200
    assert f"{len(in_d3):,} rows match (of {len(rows):,})" in words
    assert "Showing rows 1 to 20." in words
    assert '<option value="D3" selected>District 3' in page
    table = page.split('<table class="preview">')[1].split("</table>")[0]
    assert 'aria-sort="descending"' in table and table.count("aria-sort=") == 1
    assert table.count("<td>District 3</td>") == 20
    assert f"<td>{newest}</td>" in table.split("</tr>")[1]
    assert "Showing rows 21 to 40." in text_of(second)
    assert hrefs(page, r"\?table=incidents")  # next page, sort links: plain links
    assert any("page=2" in h for h in hrefs(page, r"\?table=incidents"))


def test_the_filtered_csv_link_downloads_exactly_the_matching_published_rows(site):
    portal, client = site
    rows, data = published_rows(portal, "use-of-force", "incidents")
    lines = data.decode("utf-8").split("\r\n")
    wanted = [
        (row["incident_date"], line)
        for line, row in zip(lines[1:], rows, strict=False)
        if row["district"] == "D1" and row["subject_injury"] == "serious"
    ]
    # In the preview's order, newest first (#19); rows of one day keep the file's order.
    wanted = [line for _, line in sorted(wanted, key=lambda pair: pair[0], reverse=True)]

    page = client.get(
        "/datasets/use-of-force/?table=incidents&district=D1&subject_injury=serious"
    ).get_data(as_text=True)
    (link,) = hrefs(page, "/api/v1/datasets/use-of-force/resources/incidents/rows.csv")
    export = client.get(link)

    assert "district=D1" in link and "subject_injury=serious" in link and "version=1" in link
    assert "sort=-incident_date" in link
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    assert export.get_data(as_text=True) == "\r\n".join([lines[0], *wanted]) + "\r\n"
    assert f"Download these {len(wanted):,} rows as CSV" in text_of(page)


def test_a_filter_the_table_cannot_take_is_explained_and_every_row_shown(site):
    portal, client = site
    rows, _ = published_rows(portal, "use-of-force", "incidents")

    response = client.get("/datasets/use-of-force/?table=incidents&incident_date__min=soon")
    words = text_of(response.get_data(as_text=True))

    assert response.status_code == 400
    assert "Some filters could not be used" in words and "is not a date" in words
    assert f"{len(rows):,} rows match." in words


def test_the_incidents_chart_counts_distinct_incidents_per_month_as_the_file_does(site):
    portal, client = site
    rows, _ = published_rows(portal, "use-of-force", "incidents")
    per_month: dict[str, set] = {}
    for r in rows:
        per_month.setdefault(r["incident_date"][:7], set()).add(r["incident_id"])

    page = client.get("/datasets/use-of-force/").get_data(as_text=True)
    chart = page.split('<figure class="chart" id="chart-incidents">')[1].split("</figure>")[0]
    shown = dict(re.findall(r'data-figure="incidents" data-key="(\d{4}-\d{2})">([\d,]+)<', chart))

    assert 'role="img"' in chart and "Use-of-force incidents per month" in chart
    assert shown and all(
        int(n.replace(",", "")) == len(per_month.get(m, ())) for m, n in shown.items()
    )
    assert "provisional" in chart  # the latest month may still change


def test_the_dataset_page_explains_codes_downloads_and_versions(site):
    _, client = site
    page = client.get("/datasets/use-of-force/").get_data(as_text=True)
    words = text_of(page)

    assert "<code>hands-fists-feet</code> Hands, fists or feet" in page
    assert "Methodology" in words and "Caveats" in words
    assert re.search(r"incidents\.csv.*?[0-9a-f]{64}", page, re.S)
    assert "Cite as: Example City Police Department, “Use of force”, version 1" in words
    assert "Versions and changes" in words and "Version 1 (current)" in words


def test_every_page_names_its_json_twin_which_answers(site):
    _, client = site
    for path in ("/", "/datasets/", "/datasets/use-of-force/", "/datasets/use-of-force/versions/"):
        page = client.get(path).get_data(as_text=True)
        twin = re.search(r'<link rel="alternate" type="application/json"[^>]*href="([^"]+)"', page)
        assert twin, path
        answer = client.get(twin.group(1))
        assert answer.status_code == 200 and answer.is_json, (path, twin.group(1))


def test_unknown_datasets_are_404_and_browsers_get_an_icon(site):
    _, client = site
    assert client.get("/datasets/no-such-thing/").status_code == 404
    assert client.get("/datasets/no-such-thing/versions/").status_code == 404
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_codes_become_words_and_a_dataset_can_name_its_own():
    labels = dataset_labels({"labels": {"district": {"D1": "Downtown"}}, "title": "x"})

    assert value_label("hands-fists-feet") == "Hands, fists or feet"
    assert value_label("D4") == "District 4"
    assert value_label("D1", "district", labels) == "Downtown"
    assert value_label("25-34") == "25 to 34"
    assert value_label("traffic-stop") == "Traffic stop"
    assert value_label(True) == "Yes" and value_label(None) == "Not recorded"
    assert value_label("UOF-2026-000001") == "UOF-2026-000001"


def test_the_summary_is_rendered_once_per_publication_state(portal, officer, published_uof):
    app = create_app(replace(portal.config, testing=False))  # as served: the cache is on
    client = app.test_client()

    first = client.get("/").get_data(as_text=True)
    again = client.get("/").get_data(as_text=True)
    with portal.db.session() as session:  # the last release was 40 days ago; cadence P1M
        version = session.query(Version).one()
        version.published_at = utcnow() - timedelta(days=40)
    time.sleep(public.RECHECK_SECONDS + 0.2)  # how long a worker may answer from its copy
    later = client.get("/").get_data(as_text=True)
    login(client)
    signed_in = client.get("/").get_data(as_text=True)
    app.extensions["portal"].db.dispose()

    assert again == first and "Overdue" not in first
    assert client.get("/").headers["Content-Type"] == "text/html; charset=utf-8"  # kept encoded
    assert "Overdue" in later  # a changed release shows within a second, not in a minute
    assert "Records office" in signed_in and "Records office" not in later


def test_the_shared_summary_is_the_same_with_or_without_a_session(portal, officer, published_uof):
    # A visitor without cookies gets the shared summary without a user look-up; one whose
    # browser holds a session (the sign-in form made one) gets the same page until signed in.
    app = create_app(replace(portal.config, testing=False))  # as served: the cache is on
    bare, visitor = app.test_client(), app.test_client()
    visitor.get("/login")
    has_session = visitor.get_cookie("session") is not None

    plain = bare.get("/")
    with_session = visitor.get("/")
    login(visitor)
    signed_in = visitor.get("/").get_data(as_text=True)
    visitor.post("/logout", data={"csrf_token": csrf_token(visitor, "/office/")})
    signed_out = visitor.get("/").get_data(as_text=True)
    app.extensions["portal"].db.dispose()

    assert has_session
    assert plain.status_code == with_session.status_code == 200
    assert plain.get_data(as_text=True) == with_session.get_data(as_text=True) == signed_out
    assert "Records office" in signed_in and "Records office" not in signed_out


def test_a_dataset_page_renders_its_shared_parts_once_per_generation(
    portal, officer, published_uof, client
):
    rendered: list[str] = []

    def record(_app, template, **_context):
        rendered.append(template.name)

    url = "/datasets/use-of-force/"
    with template_rendered.connected_to(record, client.application):
        client.get(url)
        first, rendered[:] = list(rendered), []
        filtered = client.get(f"{url}?table=incidents&district=D3").get_data(as_text=True)
        again, rendered[:] = list(rendered), []
        with portal.db.session() as session:  # the definition gains a caveat (a sync, audited)
            definition = portal.definition("use-of-force")
            meta = {**definition.meta, "caveats": "Counts before **2024** are incomplete."}
            sync_dataset(session, replace(definition, meta=meta))
        changed = client.get(url).get_data(as_text=True)

    shared = {"dataset/published.html", "dataset/history.html", "community/published_comments.html"}
    assert shared <= set(first) and not shared & set(again)
    assert "dataset.html" in again and "District 3" in filtered  # the preview is per request
    assert shared <= set(rendered) and "<strong>2024</strong> are incomplete" in changed
