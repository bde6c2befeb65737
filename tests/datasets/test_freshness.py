"""Freshness against a declared cadence, and crontab expressions as triggers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.datasets.freshness import freshness, parse_cadence
from portal.errors import DefinitionError
from portal.scheduler.cron import cron_trigger, crontab_days


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_monthly_dataset_is_overdue_three_days_after_its_next_expected_release():
    published = at(2026, 1, 31, 12)

    on_time = freshness("P1M", published, at(2026, 3, 3, 11))
    late = freshness("P1M", published, at(2026, 3, 3, 13))

    assert on_time.next_expected == at(2026, 2, 28, 12)  # month ends clamp
    assert on_time.overdue is False and on_time.status == "on-time"
    assert late.overdue is True and late.status == "overdue"
    assert late.as_dict()["overdue_after"] == "2026-03-03T12:00:00+00:00"


def test_never_published_or_no_cadence_is_never_overdue():
    assert freshness("P1M", None, at(2030, 1, 1)).status == "never-published"
    assert freshness(None, at(2020, 1, 1), at(2030, 1, 1)).status == "no-cadence"
    assert freshness(None, at(2020, 1, 1), at(2030, 1, 1)).overdue is False


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("P1M", "month"),
        ("P3M", "3 months"),
        ("P1Y", "year"),
        ("P7D", "week"),
        ("P1D", "day"),
        ("PT12H", "12 hours"),
    ],
)
def test_cadences_are_iso_8601_durations(text, words):
    assert freshness(text, at(2026, 1, 1), at(2026, 1, 1)).cadence_words == words


@pytest.mark.parametrize("text", ["monthly", "P", "P0D", "1M", ""])
def test_a_cadence_that_is_not_a_duration_is_a_definition_error(text):
    with pytest.raises(DefinitionError):
        parse_cadence(text)


def test_crontab_weekday_numbers_mean_what_cron_means():
    assert crontab_days("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_days("0") == crontab_days("7") == "sun"
    monday_nine = cron_trigger({"cron": "0 9 * * 1", "timezone": "UTC"})
    # 24 November 2026 is a Tuesday: the next Monday is the 30th.
    assert monday_nine.get_next_fire_time(None, at(2026, 11, 24)) == at(2026, 11, 30, 9)


def test_the_publisher_time_zone_is_honoured_across_daylight_saving():
    trigger = cron_trigger({"cron": "0 6 2 * *", "timezone": "America/Chicago"})
    assert trigger.get_next_fire_time(None, at(2026, 10, 3)) == at(2026, 11, 2, 12)  # CST
    assert trigger.get_next_fire_time(None, at(2026, 9, 3)) == at(2026, 10, 2, 11)  # CDT


def test_six_fields_put_seconds_first_and_bad_expressions_are_definition_errors():
    every_two = cron_trigger({"cron": "*/2 * * * * *"})
    assert every_two.get_next_fire_time(None, at(2026, 1, 1, 0, 0, 1)) == at(2026, 1, 1, 0, 0, 2)
    for bad in ("0 6 2 *", "0 61 * * *", "0 6 * * 9"):
        with pytest.raises(DefinitionError):
            cron_trigger({"cron": bad})
