"""Declarations are checked, numbers written one way, ticks round, labels never collide."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal.errors import DefinitionError
from portal.figures import charts, numbers
from portal.figures.spec import declared

SCHEMAS = {
    "calls": {
        "fields": [
            {"name": "month", "type": "yearmonth"},
            {"name": "district", "type": "string"},
            {"name": "calls", "type": "integer"},
        ]
    },
    "notes": {"fields": [{"name": "text", "type": "string"}]},
}


def test_a_dataset_that_declares_nothing_gets_its_rows_counted_and_labelled_as_rows():
    found = declared({"name": "x"}, SCHEMAS)

    assert [(f.key, f.label, f.unit, f.measure.kind) for f in found] == [
        ("calls_rows", "Rows in calls", "rows", "count"),
        ("notes_rows", "Rows in notes", "rows", "count"),
    ]
    assert found[0].time.field == "month" and found[0].chart is not None
    assert found[1].time is None and found[1].chart is None  # no time field: no chart


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ({"resource": "nope"}, "no table named 'nope'"),
        ({"measure": {"sum": "cals"}}, "sum 'cals' is not a field of calls"),
        ({"measure": {"count": "people"}}, "write `count: rows`"),
        ({"measure": {"sum": "calls", "count": "rows"}}, "exactly one of"),
        ({"time": {"field": "month", "period": "week"}}, "a period in"),
        ({"filters": {"distrct": "D1"}}, "filter field 'distrct'"),
        ({"window": -1}, "whole number of periods"),
        ({"by": "precinct"}, "category field 'precinct'"),
        ({"chart": {"split": "unit"}}, "split field 'unit'"),
        ({"label": ""}, "`label` is required"),
    ],
)
def test_a_declaration_that_does_not_fit_its_table_is_refused_naming_the_place(figure, message):
    base = {
        "key": "calls",
        "label": "Calls",
        "resource": "calls",
        "measure": {"sum": "calls"},
        "time": {"field": "month", "period": "month"},
    }
    with pytest.raises(DefinitionError, match="figures\\[0\\]") as error:
        declared({"name": "x", "figures": [{**base, **figure}]}, SCHEMAS)
    assert message in str(error.value)


def test_numbers_are_written_once_one_way():
    assert numbers.display(numbers.rounded(0.93456, "share", 1), "share", 1) == "93.5%"
    assert numbers.rounded(0.93456, "share", 1) == 0.935  # the API gives what the page shows
    assert numbers.display(361294300, "USD", 0) == "$361,294,300"
    assert numbers.short(361294300.0, "USD") == "$361.29M"
    assert numbers.short(400_000_000.0, "USD") == "$400M"
    assert numbers.short(1500.0, "calls") == "1.5K" and numbers.short(0.25, "share") == "25%"
    assert numbers.display(None, "share", 1) == "–"


@given(st.floats(min_value=0.001, max_value=1e10), st.booleans())
@example(11.0, True)  # once 0, 2.5, 5 … 12.5: no chart counts half a person
def test_ticks_are_3_to_6_round_numbers_from_zero_that_cover_the_top(top, whole):
    ticks = numbers.nice_ticks(top, whole=whole)

    assert 3 <= len(ticks) <= 6
    assert ticks[0] == 0 and ticks[-1] >= top * (1 - 1e-9)  # rounded to 10 digits
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    if whole:
        assert all(float(t).is_integer() for t in ticks)


def _months(count: int) -> list[dict]:
    out = []
    for i in range(count):
        y, m = divmod(2020 * 12 + i, 12)
        key = f"{y}-{m + 1:02d}"
        out.append({"x": key, "label": key, "value": i, "display": str(i), "provisional": False})
    return out


@given(st.integers(min_value=2, max_value=60), st.sampled_from(["month", "year", "snapshot"]))
def test_labels_under_the_bars_never_touch_at_the_narrowest_chart(count, kind):
    points = _months(count)
    if kind == "year":
        points = [
            {**p, "x": str(2000 + i), "label": f"Fiscal year {2000 + i}"}
            for i, p in enumerate(points)
        ]
    if kind == "snapshot":
        points = [
            {**p, "x": f"{2000 + i}-10-31", "label": f"31 Oct {2000 + i}"}
            for i, p in enumerate(points)
        ]
    labels = charts._bottom_labels(points, 10.0, 89.0)
    spans = sorted(
        charts._span({**label, "px": (label["x"] - 10) / 89 * charts.NARROWEST * 0.89})
        for label in labels
    )

    assert labels
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(s[0] >= -1 and s[1] <= charts.NARROWEST * 0.89 + 1 for s in spans)
    if count <= 5 and kind != "month":
        assert len(labels) == count  # few bars: each one labelled
