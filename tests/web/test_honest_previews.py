"""Honest previews: what cannot match is said (400, in words, with the allowed values) in the
page and the API alike; counts, order and download links tell the truth about the rows."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.migrated import MigratedDatabases
from tests.support.published import use_of_force_v1

PAGE = "/datasets/use-of-force/?table=incidents"
ROWS = "/api/v1/datasets/use-of-force/resources/incidents/rows"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, migrated: MigratedDatabases):  # noqa: ANN201
    """Use of force version 1 on SQLite, published once: every test here only reads."""
    with use_of_force_v1(tmp_path_factory.mktemp("previews"), migrated) as served:
        yield served


def _page(client, query: str):  # noqa: ANN001, ANN202
    response = client.get(f"{PAGE}&{query}")
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_an_unknown_value_is_a_400_naming_the_field_and_its_values(client):
    status, text = _page(client, "district=D99")
    api = client.get(f"{ROWS}?district=D99")

    assert status == 400
    assert "District: 'D99' is not one of its values; choose from" in text
    assert "District 1 (D1)" in text
    assert "0 rows match" not in text
    assert api.status_code == 400
    assert api.json["error"]["fields"]["district"][0].startswith("District: 'D99' is not one")
    assert client.get(f"{ROWS}.csv?district=D99").status_code == 400


def test_a_range_that_ends_before_it_starts_is_a_400(client):
    query = "incident_date__min=2025-06-01&incident_date__max=2024-01-01"
    status, text = _page(client, query)
    api = client.get(f"{ROWS}?{query}")

    assert status == 400
    assert "Date, to (2024-01-01) is before Date, from (2025-06-01): no row can match" in text
    assert api.status_code == 400
    assert "is before Date, from" in api.json["error"]["fields"]["incident_date__max"][0]


def test_a_bad_date_is_named_in_words(client):
    status, text = _page(client, "incident_date__min=yesterday")
    api = client.get(f"{ROWS}?incident_date__min=yesterday")

    assert status == 400 and "Date, from: 'yesterday' is not a date" in text
    assert api.json["error"]["fields"]["incident_date__min"][0].startswith("Date, from:")


def test_a_sort_the_table_cannot_do_is_an_error_in_both(client):
    status, text = _page(client, "sort=height")
    assert status == 400 and "cannot be sorted by 'height'" in text
    assert client.get(f"{ROWS}?sort=height").status_code == 400


def test_filter_counts_reflect_the_other_active_filters(client):
    everything = client.get(f"{ROWS}?district=D2&limit=1").json["total"]
    status, text = _page(client, "district=D2")
    injuries = text[text.index('id="incidents-subject_injury"') :]
    injuries = injuries[: injuries.index("</select>")]
    counts = [int(n.replace(",", "")) for n in re.findall(r"\(([\d,]+)\)</option>", injuries)]

    assert status == 200
    assert sum(counts) == everything  # each injury count is within district D2
    serious = client.get(f"{ROWS}?district=D2&subject_injury=serious&limit=1").json["total"]
    assert f"Serious ({serious:,})" in injuries or f"serious ({serious:,})" in injuries.lower()


def test_the_preview_is_newest_first_by_default(client):
    status, text = _page(client, "")
    newest = client.get(f"{ROWS}?sort=-incident_date&limit=1&fields=incident_date").json
    first_row = text[text.index("<tbody>", text.index('id="incidents-caption"')) :]

    assert status == 200
    assert "sorted by date, newest first" in text
    assert newest["rows"][0]["incident_date"] in first_row[: first_row.index("</tr>")]


def test_no_download_is_offered_for_zero_rows(client):
    status, text = _page(client, "q=no-such-words-anywhere")
    section = text[text.index('id="incidents-count"') :]
    section = section[: section.index("</p>")]

    assert status == 200 and "<strong>0</strong> rows match" in section
    assert "Download" not in section and "as JSON" not in section
