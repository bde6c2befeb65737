"""The column mapping from a source system's export to the schema's vocabulary."""

from __future__ import annotations

import polars as pl
import pytest

from portal.errors import DefinitionError
from portal.pipeline.normalise import BLANKED, ERROR, RAW, aggregate, normalise


def _one(spec, values: list, *, markers: tuple[str, ...] = ()) -> tuple[list, list]:
    """The published values of one column, and the reasons of the cells that failed."""
    frame = pl.LazyFrame(
        {"src": values, "at": ["2024-06-15 10:00"] * len(values)},
        schema={"src": pl.String, "at": pl.String},
    )
    schema = {"fields": [{"name": "out", "type": "any"}]}
    result = normalise(frame, {"out": spec}, schema, missing_values=markers).frame.collect()
    errors = result[ERROR + "out"].to_list() if ERROR + "out" in result.columns else []
    return result["out"].to_list(), errors


def test_dates_from_the_usual_export_formats_or_a_failed_cell():
    got, errors = _one(
        {"from": "src", "function": "date"},
        ["2024-03-05 14:32", "03/05/2024", "2024-03-05T14:32:00", "garbage", None],
    )
    assert got == ["2024-03-05", "2024-03-05", "2024-03-05", None, None]
    assert errors[:3] == [None, None, None] and "'garbage' matches none" in errors[3]


def test_two_digit_years_need_a_pivot_and_land_in_its_century():
    spec = {"from": "src", "function": "date", "formats": ["%m/%d/%y"], "pivot": 1950}
    got, _ = _one(spec, ["7/15/18", "12/01/50", "02/29/00"])
    assert got == ["2018-07-15", "1950-12-01", "2000-02-29"]
    got, errors = _one({**spec, "pivot": 1900}, ["7/15/18", "02/29/00"])
    assert got == ["1918-07-15", None]  # 1900 was no leap year
    assert "not a date in 1900" in errors[1]
    _, errors = _one({**spec, "pivot": None}, ["7/15/18"])
    assert "no `pivot` is declared" in errors[0]


def test_datetimes_with_am_pm_are_published_in_iso_8601():
    spec = {"from": "src", "function": "datetime", "formats": ["%m/%d/%Y %I:%M:%S %p"]}
    got, _ = _one(spec, ["02/10/2015 12:00:00 AM", "11/25/2020 01:30:05 PM"])
    assert got == ["2015-02-10T00:00:00", "2020-11-25T13:30:05"]


def test_two_formats_that_read_a_value_differently_fail_it():
    spec = {"from": "src", "function": "date", "formats": ["%m/%d/%Y", "%d/%m/%Y"]}
    got, errors = _one(spec, ["03/04/2020", "25/12/2020"])
    assert got == [None, "2020-12-25"]
    assert "ambiguous" in errors[0]


def test_months_and_years():
    assert _one({"from": "src", "function": "month"}, ["2024-03-05", "2024-03"])[0] == [
        "2024-03",
        "2024-03",
    ]
    assert _one({"from": "src", "function": "year"}, ["2024-03-05"])[0] == ["2024"]


def test_age_bands_cover_children_and_fail_impossible_ages():
    got, errors = _one(
        {"from": "src", "function": "age_band", "at": "at"},
        ["2006-06-16", "2006-06-15", "1959-06-15", "2019-01-01", "1900-01-01", "2030-01-01"],
    )
    assert got == ["under-18", "18-24", "65-plus", "under-18", None, None]
    assert "124 years is not plausible" in errors[4] and "born after" in errors[5]


def test_a_missing_value_marker_is_an_empty_cell():
    got, errors = _one(
        {"from": "src", "function": "integer"}, ["NULL", "NA", "4"], markers=("NULL", "NA")
    )
    assert got == [None, None, "4"] and errors == [None, None, None]


def test_unmapped_values_pass_through_for_validation_to_catch():
    assert _one({"from": "src", "values": {"1": "D1"}}, ["1", "9"])[0] == ["D1", "9"]


def test_lists_keep_order_and_repeats_unless_the_entry_says_otherwise():
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
    assert _one(spec, ["HANDS|TASER|HANDS"])[0] == [
        "hands-fists-feet;electronic-control-device;hands-fists-feet"
    ]
    ordered = {**spec, "unique": True, "order": "values"}
    assert _one(ordered, ["HANDS|TASER|HANDS"])[0] == ["electronic-control-device;hands-fists-feet"]
    assert _one({**ordered, "take": "first"}, ["HANDS|TASER"])[0] == ["electronic-control-device"]


def test_numbers_read_only_thousands_groups():
    got, errors = _one(
        {"from": "src", "function": "integer"}, ["1,234", " 12.0 ", "-3", "1, 1", "1,1", "12.5"]
    )
    assert got == ["1234", "12", "-3", None, None, None]
    assert all(errors[3:])
    got, _ = _one({"from": "src", "function": "number", "currency": "$"}, ["$1,234.50", "-$3"])
    assert got == ["1234.50", "-3"]


def test_pad_restores_leading_zeros_of_codes():
    assert _one({"from": "src", "pad": 5}, ["2134", "02134", "N/A"])[0] == ["02134", "02134", "N/A"]


def test_range_blanks_only_values_outside_it_and_counts_them():
    frame = pl.LazyFrame({"lat": ["41.9", "0", "bad"]})
    schema = {"fields": [{"name": "lat", "type": "number"}]}
    spec = {"lat": {"from": "lat", "function": "number", "range": {"min": 41, "max": 43}}}
    result = normalise(frame, spec, schema)
    out = result.frame.collect()
    assert out["lat"].to_list() == ["41.9", None, None]
    assert out[BLANKED + "lat"].to_list() == [
        None,
        "0 is outside the declared range 41 to 43",
        None,
    ]
    assert "'bad' is not a number" in out[ERROR + "lat"][2]  # not a range matter: a failure


def test_on_error_blank_is_a_declared_leniency():
    frame = pl.LazyFrame({"n": ["1", "x"]})
    schema = {"fields": [{"name": "n", "type": "integer"}]}
    result = normalise(
        frame, {"n": {"from": "n", "function": "integer", "on_error": "blank"}}, schema
    )
    out = result.frame.collect()
    assert out["n"].to_list() == ["1", None]
    assert out[ERROR + "n"].to_list() == [None, None]
    assert out[BLANKED + "n"][1].startswith("'x' is not a whole number")
    assert result.blanked == ["n"]


def test_text_a_spreadsheet_would_execute_is_neutralised():
    schema = {"fields": [{"name": "note", "type": "string"}, {"name": "n", "type": "integer"}]}
    source = pl.LazyFrame(
        {
            "Note": ['=HYPERLINK("x")', "+1", "@SUM(A1)", "plain", "-x"],
            "N": ["-5", "1", "2", "3", "4"],
        }
    )
    out = normalise(source, {"note": "Note", "n": "N"}, schema).frame.collect()
    assert out["note"].to_list() == ['\'=HYPERLINK("x")', "'+1", "'@SUM(A1)", "plain", "'-x"]
    assert out["n"].to_list() == ["-5", "1", "2", "3", "4"]  # numbers are left alone


def test_only_schema_fields_are_kept_and_unmapped_columns_are_listed():
    schema = {"fields": [{"name": "a", "type": "string"}]}
    source = pl.LazyFrame({"A": ["1"], "Secret": ["x"], "(column 3, no name)": ["y"]})
    result = normalise(source, {"a": "A"}, schema)
    assert [c for c in result.frame.collect().columns if not c.startswith(RAW)] == ["a"]
    assert result.ignored_columns == ["Secret", "(column 3, no name)"]
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
