"""Property tests of every mapping function: a value keeps its meaning, or its cell is reported."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.datasets.definition_schema import FUNCTIONS
from portal.pipeline import functions
from portal.pipeline.functions import (
    AGE_BANDS,
    DATETIME_FORMATS,
    CellError,
    age_band_converter,
    converter,
    pad,
    parse_moment,
    to_date,
    to_datetime,
    to_integer,
    to_list,
    to_month,
    to_number,
    to_year,
)

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2099, 12, 31))
text = st.text(max_size=30)
DATE_FORMATS = ["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%B %d, %Y"]


def _reported_or(convert, value, check) -> None:  # noqa: ANN001
    """Either `check(result)` holds or the function raised CellError (a reported cell)."""
    try:
        result = convert(value)
    except CellError as error:
        assert str(error)  # a reason an officer can read
        return
    check(result)


@given(dates, st.sampled_from(DATE_FORMATS))
def test_a_date_written_in_a_declared_format_comes_back_as_the_same_day(day, fmt):
    assert to_date(day.strftime(fmt), [fmt]) == day.isoformat()


@given(dates, st.integers(min_value=1800, max_value=2100))
def test_a_two_digit_year_lands_in_the_pivots_century_or_fails(day, pivot):
    written = day.strftime("%m/%d/%y")

    def check(result: str) -> None:
        parsed = dt.date.fromisoformat(result)
        assert (parsed.month, parsed.day) == (day.month, day.day)
        assert parsed.year % 100 == day.year % 100 and pivot <= parsed.year < pivot + 100

    _reported_or(lambda v: to_date(v, ["%m/%d/%y"], pivot), written, check)


@given(datetimes)
def test_a_12_hour_datetime_comes_back_as_the_same_moment(moment):
    moment = moment.replace(microsecond=0)
    fmt = "%m/%d/%Y %I:%M:%S %p"
    assert to_datetime(moment.strftime(fmt), [fmt]) == moment.isoformat()


@given(dates)
def test_months_and_years_are_those_of_the_day(day):
    assert to_month(day.strftime("%m/%d/%Y"), ["%m/%d/%Y"]) == day.strftime("%Y-%m")
    assert to_year(day.strftime("%m/%d/%Y"), ["%m/%d/%Y"]) == f"{day.year:04d}"


def _every_reading(value: str, formats: list[str]) -> set[dt.datetime]:
    """What strptime reads in `value` under each format, every format tried."""
    readings = set()
    for fmt in formats:
        with contextlib.suppress(ValueError):
            readings.add(dt.datetime.strptime(value, fmt))
    return readings


ALL_FORMATS = [*functions.DATE_FORMATS, *DATETIME_FORMATS, "%d %B %Y", "%Y%m%d", "%H.%M %p"]
written = st.builds(lambda m, f: m.strftime(f), datetimes, st.sampled_from(ALL_FORMATS))
near_dates = st.text(alphabet="0123456789-/.: TAPMapm", max_size=24)


@given(st.one_of(written, near_dates, text))
def test_a_moment_is_read_under_every_format_strptime_accepts(value):
    """parse_moment skips a format whose punctuation the text lacks: never one that reads it."""
    readings = _every_reading(value, ALL_FORMATS)
    try:
        moment = parse_moment(value, ALL_FORMATS, None)
    except CellError:
        assert len(readings) != 1
        return
    assert readings == {moment}


@given(text)
def test_any_text_is_a_date_of_one_reading_or_reported(value):
    formats = ["%m/%d/%Y", "%d/%m/%Y"]

    def check(result: str) -> None:
        day = dt.date.fromisoformat(result)
        readings = {day.strftime(f) for f in formats}
        assert value.strip() in readings or value in readings

    _reported_or(lambda v: to_date(v, formats), value, check)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_an_integer_with_thousands_groups_is_the_same_integer(number):
    grouped = f"{number:,}"
    assert int(to_integer(grouped)) == number
    assert int(to_integer(str(number))) == number


@given(text)
def test_any_text_is_an_integer_of_the_same_digits_or_reported(value):
    def check(result: str) -> None:
        digits = value.replace(",", "").split(".")[0]
        assert int(result) == int(digits)
        assert ", " not in value and " " not in value.strip()

    _reported_or(to_integer, value, check)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, max_value=10**12, min_value=-(10**12)
    )
)
def test_a_number_with_thousands_groups_is_the_same_number(number):
    assert Decimal(to_number(f"{number:,}")) == number


@given(text)
def test_any_text_is_the_same_number_or_reported(value):
    def check(result: str) -> None:
        assert Decimal(result) == Decimal(value.replace(",", "").removeprefix("+"))

    _reported_or(to_number, value, check)


items = st.lists(st.text(alphabet="abcxyz-", min_size=1, max_size=6), max_size=6)


@given(items)
def test_a_list_keeps_its_items_order_and_repeats(values):
    assert to_list("|".join(values), "|").split(";") == (values or [""])


@given(items)
def test_a_declared_unique_list_keeps_first_occurrences_in_order(values):
    assert to_list("|".join(values), "|", unique=True).split(";") == (
        list(dict.fromkeys(values)) or [""]
    )


@given(st.integers(min_value=-5, max_value=130))
def test_every_age_has_a_band_or_is_reported(age):
    band = age_band_converter({"function": "age_band"})

    def check(result: str) -> None:
        upper = next(u for u, label in AGE_BANDS if label == result)
        lower = max([u for u, _ in AGE_BANDS if u <= age], default=0)
        assert lower <= age < upper

    _reported_or(lambda v: band(v, None), str(age), check)
    if 0 <= age <= 17:
        assert band(str(age), None) == "under-18"  # children are never "unknown"


@given(dates, st.integers(min_value=0, max_value=40_000))
def test_an_age_from_a_birth_date_is_whole_years_on_the_day(born, days):
    on = born + dt.timedelta(days=days)
    band = age_band_converter({"function": "age_band", "at": "On", "formats": ["%Y-%m-%d"]})
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    def check(result: str) -> None:
        upper = next(u for u, label in AGE_BANDS if label == result)
        assert age < upper

    _reported_or(lambda v: band(v, on.isoformat()), born.isoformat(), check)


@given(st.text(alphabet="0123456789", min_size=1, max_size=8), st.integers(1, 9))
def test_pad_only_restores_leading_zeros(digits, width):
    padded = pad(digits, width)
    assert int(padded) == int(digits) and len(padded) == max(width, len(digits))


@settings(max_examples=50)
@given(st.sampled_from(FUNCTIONS), text)
def test_no_function_raises_anything_but_a_reported_cell(function, value):
    convert = converter({"function": function})
    if convert is not None:
        _reported_or(convert, value, lambda result: None)


def test_digits_of_other_scripts_are_reported_not_read():
    for convert in (to_integer, to_number):
        with pytest.raises(CellError):
            convert("١٢٣")
    assert pad("²", 3) == "²"
