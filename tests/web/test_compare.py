"""The public diff between two versions of a table, its JSON and CSV twins, and the
per-table change counts of the version history."""

from __future__ import annotations

import csv
import html
import io
from datetime import date

import pytest

from portal.demo import use_of_force
from portal.releases import retractions
from portal.users import get_user
from tests.flow import publish

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PAGE = "/datasets/use-of-force/compare/incidents"


@pytest.fixture
def two_versions(portal, uof_source, officer):  # noqa: ANN001, ANN201
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    with uof_source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    column = header.index("SubjectEthnicity")
    body[5][column] = "H" if body[5][column] != "H" else "N"  # one cell corrected
    del body[0]  # one subject removed after review
    with uof_source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([header, *body])
    publish(portal, officer)
    return uof_source


def test_the_diff_page_shows_added_removed_and_changed_rows_with_the_changed_cells(
    client, two_versions
):
    changed = client.get(f"{PAGE}?from=1&to=2&show=changed")
    text = html.unescape(changed.get_data(as_text=True))
    api = client.get(
        "/api/v1/datasets/use-of-force/resources/incidents/compare?from=1&to=2&show=changed"
    ).json

    assert changed.status_code == 200
    assert api["counts"]["changed"] == 1 and api["counts"]["removed"] == 1
    assert api["counts"]["added"] > 0
    assert f"Added ({api['counts']['added']:,})" in text and "Removed (1)" in text
    assert text.count('<td class="changed">') == 1
    assert list(api["rows"][0]["before"]) == ["subject_ethnicity"]
    old = api["rows"][0]["before"]["subject_ethnicity"]
    new = api["rows"][0]["values"]["subject_ethnicity"]
    assert f'<del><span class="visually-hidden">was </span>{old}</del>' in text
    assert f'<ins><span class="visually-hidden">now </span>{new}</ins>' in text

    added = client.get(f"{PAGE}?from=1&to=2&show=added")
    pages = -(-api["counts"]["added"] // 50)
    assert f"Page 1 of {pages}" in added.get_data(as_text=True) or pages == 1
    if pages > 1:
        last = client.get(f"{PAGE}?from=1&to=2&show=added&page={pages}")
        assert last.status_code == 200 and "Next page" not in last.get_data(as_text=True)

    exported = client.get(f"{PAGE}.csv?from=1&to=2")
    lines = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert exported.status_code == 200
    assert [r["change"] for r in lines].count("added") == api["counts"]["added"]
    assert [r["change"] for r in lines].count("removed") == 1
    fixed = next(r for r in lines if r["change"] == "changed")
    assert fixed["changed_fields"] == "subject_ethnicity"
    assert fixed["subject_ethnicity before"] == old and fixed["subject_ethnicity"] == new


def test_the_history_counts_changes_per_table_and_links_the_diff(client, two_versions):
    history = html.unescape(client.get("/datasets/use-of-force/versions/").get_data(as_text=True))

    assert "Use-of-force incidents:" in history and "1 row removed, 1 row changed" in history
    assert "Monthly summary by district and force type:" in history
    assert f'href="{PAGE}?from=1&amp;to=2"' in client.get(
        "/datasets/use-of-force/versions/"
    ).get_data(as_text=True)


def test_comparisons_that_cannot_be_made_say_why(portal, client, two_versions, officer):
    assert client.get(f"{PAGE}?from=2&to=2").status_code == 400
    assert client.get(f"{PAGE}?from=x").status_code == 400
    assert client.get(f"{PAGE}?from=1&to=9").status_code == 404
    assert client.get("/datasets/use-of-force/compare/nothing?from=1&to=2").status_code == 400
    with portal.db.session() as session:
        retractions.retract(session, "use-of-force", 1, get_user(session, officer), "Wrong extract")
    gone = client.get(f"{PAGE}?from=1&to=2")
    assert gone.status_code == 410 and "Wrong extract" in gone.get_data(as_text=True)
    api = client.get("/api/v1/datasets/use-of-force/resources/incidents/compare?from=1&to=2")
    assert api.status_code == 410 and "Wrong extract" in api.json["error"]["message"]
    assert client.get(f"{PAGE}.csv?from=1&to=2").status_code == 410
