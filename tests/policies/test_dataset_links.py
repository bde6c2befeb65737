"""Datasets name the policies that govern them: the page shows the one in effect for the
period the charts show and marks each change's effective date on their time axes."""

from __future__ import annotations

import re

import pytest

from portal.demo import policies as policies_demo
from portal.users import get_user
from tests.conftest import OFFICER

only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@only_sqlite
def test_the_dataset_page_shows_the_policy_in_effect_and_marks_its_changes(
    portal, client, published_uof
):
    page = client.get("/datasets/use-of-force/").get_data(as_text=True)
    assert "Policies that govern this data" not in page  # no policy published yet

    with portal.db.session() as session:
        user = get_user(session, OFFICER[0])
    list(policies_demo.load(portal, user))
    page = client.get("/datasets/use-of-force/").get_data(as_text=True)

    assert "Policies that govern this data" in page
    # The charts show the 12 months to October 2026 (the demo source's last full month).
    assert "version 3 in effect on 31 October 2026, the end of the period shown" in page
    assert "in effect from <strong>1 September 2026</strong>" in page
    assert "in effect from <strong>1 February 2026</strong>" in page
    assert "2019" not in re.search(r"Changed during the period shown:(.*?)</li>", page, re.S)[1]
    marks = re.findall(r'<g class="policy-mark" data-date="([\d-]+)">', page)
    assert set(marks) == {"2026-02-01", "2026-09-01"}
    assert "Use of force policy version 3 in effect from 1 September 2026" in page


def test_chart_marks_sit_at_the_start_of_their_period_and_outside_ones_are_left_out():
    from datetime import date

    from portal.figures.charts import chart_period, with_marks

    chart = {
        "kind": "columns",
        "gutter": 10.0,
        "right": 90.0,
        "table": {"rows": [{"key": f"2026-{m:02d}"} for m in range(1, 9)]},
    }
    marked = with_marks(
        chart,
        [
            (date(2026, 3, 15), "v2", "v2 from 15 March"),
            (date(2025, 1, 1), "v1", "too early"),
            (date(2026, 7, 1), "v3", "v3 from 1 July"),
        ],
    )
    # Labels in the right half sit left of their line, so they stay inside the chart.
    assert marked["marks"] == [
        {"x": 30.0, "short": "v2", "label": "v2 from 15 March", "date": "2026-03-15",
         "anchor": "start"},
        {"x": 70.0, "short": "v3", "label": "v3 from 1 July", "date": "2026-07-01",
         "anchor": "end"},
    ]  # fmt: skip
    assert "marks" not in chart  # the cached drawing is never changed
    assert chart_period([chart]) == (date(2026, 1, 1), date(2026, 8, 31))


@only_sqlite
def test_the_dataset_api_names_its_policies(portal, client, published_uof):
    with portal.db.session() as session:
        user = get_user(session, OFFICER[0])
    list(policies_demo.load(portal, user))

    found = client.get("/api/v1/datasets/use-of-force").get_json()["policies"]

    assert [(p["slug"], p["title"]) for p in found] == [("use-of-force", "Use of force")]
    assert found[0]["url"].endswith("/policies/use-of-force/")
    assert found[0]["in_effect"] == 3
