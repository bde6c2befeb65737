"""The column mapping from a source system's export to the schema's vocabulary."""

from __future__ import annotations

import polars as pl
import pytest

from portal.errors import DefinitionError
from portal.pipeline.normalise import aggregate, column_expression, normalise


def _one(spec, values: list) -> list:
    frame = pl.DataFrame(
        {"src": values, "at": ["2024-06-15 10:00"] * len(values)},
        schema={"src": pl.String, "at": pl.String},
    )
    return frame.select(column_expression("out", spec))["out"].to_list()


def test_dates_from_the_usual_export_formats():
    got = _one(
        {"from": "src", "function": "date"},
        ["2024-03-05 14:32", "03/05/2024", "2024-03-05T14:32:00", "garbage", None],
    )
    assert got == ["2024-03-05", "2024-03-05", "2024-03-05", "garbage", None]


def test_months_and_years():
    assert _one({"from": "src", "function": "month"}, ["2024-03-05", "2024-03", "x"]) == [
        "2024-03",
        "2024-03",
        "x",
    ]
    assert _one({"from": "src", "function": "year"}, ["2024-03-05"]) == ["2024"]


def test_age_bands_from_birth_dates_on_the_incident_day():
    got = _one(
        {"from": "src", "function": "age_band", "at": "at"},
        ["2006-06-16", "2006-06-15", "1959-06-15", "1900-01-01", "not a date", None],
    )
    assert got == ["under-18", "18-24", "65-plus", "unknown", "unknown", "unknown"]


def test_unmapped_values_pass_through_for_validation_to_catch():
    assert _one({"from": "src", "values": {"1": "D1"}}, ["1", "9"]) == ["D1", "9"]


def test_lists_are_mapped_deduplicated_and_ordered_by_the_mapping():
    spec = {
        "from": "src",
        "function": "list",
        "separator": "|",
        "values": {
            "FIREARM": "firearm",
            "TASER": "electronic-control-device",
            "HANDS": "hands-fists-feet",
        },
    }
    assert _one(spec, ["HANDS|TASER|HANDS", "FIREARM"]) == [
        "electronic-control-device;hands-fists-feet",
        "firearm",
    ]
    assert _one({**spec, "take": "first"}, ["HANDS|TASER"]) == ["electronic-control-device"]


def test_numbers_lose_currency_signs_and_separators():
    assert _one({"from": "src", "function": "number"}, ["$1,234.50", " 12.0 ", "-3"]) == [
        "1234.50",
        "12",
        "-3",
    ]


def test_text_a_spreadsheet_would_execute_is_neutralised():
    schema = {"fields": [{"name": "note", "type": "string"}, {"name": "n", "type": "integer"}]}
    source = pl.LazyFrame(
        {
            "Note": ['=HYPERLINK("x")', "+1", "@SUM(A1)", "plain", "-x"],
            "N": ["-5", "1", "2", "3", "4"],
        }
    )
    out = normalise(source, {"note": "Note", "n": "N"}, schema).collect()
    assert out["note"].to_list() == ['\'=HYPERLINK("x")', "'+1", "'@SUM(A1)", "plain", "'-x"]
    assert out["n"].to_list() == ["-5", "1", "2", "3", "4"]  # numbers are left alone


def test_only_schema_fields_are_kept_and_missing_columns_are_named():
    schema = {"fields": [{"name": "a", "type": "string"}]}
    source = pl.LazyFrame({"A": ["1"], "Secret": ["x"]})
    assert normalise(source, {"a": "A"}, schema).collect().columns == ["a"]
    with pytest.raises(DefinitionError, match="no column 'B'"):
        normalise(source, {"a": "B"}, schema)


def test_aggregate_counts_rows_distinct_values_and_sums():
    table = pl.LazyFrame(
        {
            "id": ["1", "1", "2"],
            "kinds": ["a;b", "a", "b"],
            "day": ["2024-01-02", "2024-01-03", "2024-02-01"],
            "amount": ["1.5", "2", "3"],
        }
    )
    spec = {
        "explode": {"column": "kinds"},
        "group_by": {"month": {"from": "day", "function": "month"}, "kind": "kinds"},
        "measures": {
            "rows": {"count": "rows"},
            "ids": {"count_distinct": "id"},
            "total": {"sum": "amount"},
        },
    }
    schema = {
        "fields": [
            {"name": "month"},
            {"name": "kind"},
            {"name": "rows", "type": "integer"},
            {"name": "ids", "type": "integer"},
            {"name": "total", "type": "number"},
        ]
    }
    out = aggregate(table, spec, schema).collect()
    assert out.rows() == [
        ("2024-01", "a", "2", "1", "3.5"),
        ("2024-01", "b", "1", "1", "1.5"),
        ("2024-02", "b", "1", "1", "3.0"),
    ]
