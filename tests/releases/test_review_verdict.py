"""The verdict strip's sentences: revised periods, changed cells spelled out, privacy actions."""

from __future__ import annotations

import polars as pl

from portal.datasets.labels import typed_number
from portal.figures.numbers import number_text
from portal.privacy.report import sentences
from portal.releases.diff import row_changes
from portal.releases.review_verdict import (
    Revision,
    period_field,
    privacy_totals,
    revisions,
)

SUMMARY = {
    "fields": [
        {"name": "month", "type": "yearmonth"},
        {"name": "district", "type": "string"},
        {"name": "incidents", "type": "integer"},
    ],
    "primaryKey": ["month", "district"],
}


def _table(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["month", "district", "incidents"], orient="row")


def test_one_revised_value_names_its_period_and_cell():
    old = _table([("2023-04", "D3", "12"), ("2026-09", "D3", "1200")])
    new = _table([("2023-04", "D3", "13"), ("2026-09", "D3", "1200"), ("2026-10", "D3", "4")])

    revised, cells = revisions(row_changes(old, new, SUMMARY), SUMMARY)

    assert revised == [Revision("2023-04", changed=1, removed=0)]
    assert cells == ["2023-04, D3: incidents 12 → 13"]


def test_removed_rows_count_as_revisions_and_dates_group_by_month():
    schema = {
        "fields": [{"name": "id", "type": "string"}, {"name": "day", "type": "date"}],
        "primaryKey": "id",
    }
    old = pl.DataFrame({"id": ["a", "b", "c"], "day": ["2023-04-02", "2023-04-30", "2024-01-09"]})
    new = pl.DataFrame({"id": ["a", "c"], "day": ["2023-04-03", "2024-01-09"]})

    revised, cells = revisions(row_changes(old, new, schema), schema)

    assert period_field(schema) == "day"
    assert revised == [Revision("2023-04", changed=1, removed=1)]
    assert cells == ["a: day 2023-04-02 → 2023-04-03"]


def test_many_changes_are_not_spelled_out_and_big_numbers_get_separators():
    old = _table([(f"2020-{m:02}", "D1", "1000") for m in range(1, 6)])
    new = _table([(f"2020-{m:02}", "D1", "12345") for m in range(1, 6)])

    revised, cells = revisions(row_changes(old, new, SUMMARY), SUMMARY)

    assert [r.period for r in revised] == [f"2020-{m:02}" for m in range(1, 6)]
    assert cells == []
    _, one = revisions(row_changes(old.head(1), new.head(1), SUMMARY), SUMMARY)
    assert one == ["2020-01, D1: incidents 1,000 → 12,345"]


def test_numbers_are_written_as_the_public_pages_write_them():
    assert number_text(typed_number("1234567", "integer"), "integer") == "1,234,567"
    assert number_text(typed_number("3.0", "number"), "number") == "3"
    assert number_text(typed_number("1234.5", "number"), "number") == "1,234.5"
    assert number_text(typed_number("2025", "year"), "year") == "2025"
    assert number_text(typed_number("n/a", "integer"), "integer") == "n/a"
    assert number_text(None) == ""


def test_privacy_totals_read_the_privacy_reports_own_format():
    # The report as portal.privacy writes it (#15): "cells" is the number of scrubbed
    # cells, the other keys what was replaced inside them; an address already a block
    # is not changed.
    guard = {
        "dropped": ["SubjectName", "BadgeNumbers"],
        "coarsened": {"incident_date": {"to": "month", "cells": 1200}},
        "addresses": {
            "location": {
                "block": 25,
                "alreadyBlock": 7,
                "intersection": 3,
                "streetOnly": 1,
                "blanked": 1,
            }
        },
        "binned": {"age": {"cells": 40, "labels": ["under 18", "18 and over"]}},
        "scrubbed": {"narrative": {"cells": 3, "names": 4, "phone numbers": 2}},
        "suppressed": {"k": 10, "primary": 3, "complementary": 2},
        "coincidences": [
            {"field": "reporting_area", "column": "CURRENT_BADGE_NO", "cells": 2, "rows": [4, 9]}
        ],
    }

    totals = privacy_totals([guard, {}])
    lines = " ".join(sentences({"complaints": guard})["complaints"])

    assert totals == {
        "dropped": 2,
        "reduced": 1200 + 25 + 3 + 1 + 1 + 40,
        "scrubbed": 3,
        "suppressed": 5,
        "coincidence": 1,
    }
    # The strip's counts are the counts the report's own sentences state.
    assert "narrative: 3 cells scrubbed (4 names, 2 phone numbers replaced)." in lines
    assert "incident_date: 1,200 dates coarsened to the month." in lines
    assert "suppressed: 3, plus 2 complementary cells" in lines
    assert "in 2 cells (rows 4, 9)" in lines
