"""Freshness: when a dataset was last published, when the next release is due, whether it is late.

A publisher entry declares its expected cadence as an ISO 8601 duration (`cadence: P1M`),
stored in `Dataset.meta["cadence"]`. A dataset is overdue when no version has been published
by the next expected date plus a grace period (GRACE, three days): departments publish a
monthly table a day or two after month end, and that is not news.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal.errors import DefinitionError
from portal.languages import N_, gettext

GRACE = timedelta(days=3)

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


@dataclass(frozen=True)
class Cadence:
    """An ISO 8601 duration: calendar months (years are twelve) plus an exact time span."""

    text: str
    months: int
    span: timedelta

    def after(self, moment: datetime) -> datetime:
        """The moment one cadence later (month ends clamp: 31 Jan + P1M is 28/29 Feb)."""
        total = moment.month - 1 + self.months
        year, month = moment.year + total // 12, total % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day) + self.span


# A cadence's unit in words: one of it, and several ("every month", "every 3 months").
CADENCE_WORDS = {
    "year": (N_("year"), N_("%(num)s years")),
    "month": (N_("month"), N_("%(num)s months")),
    "week": (N_("week"), N_("%(num)s weeks")),
    "day": (N_("day"), N_("%(num)s days")),
    "hour": (N_("hour"), N_("%(num)s hours")),
}


def parse_cadence(text: str) -> Cadence:
    """Parse `P1M`, `P1Y`, `P7D`, `P1W`, `PT12H`...; DefinitionError when it is not a duration."""
    match = _DURATION.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if match is None or not any(match.groupdict().values()):
        raise DefinitionError(f"cadence {text!r} is not an ISO 8601 duration such as P1M or P7D")
    n = {name: int(value or 0) for name, value in match.groupdict().items()}
    span = timedelta(
        weeks=n["weeks"],
        days=n["days"],
        hours=n["hours"],
        minutes=n["minutes"],
        seconds=n["seconds"],
    )
    cadence = Cadence(text.strip().upper(), n["years"] * 12 + n["months"], span)
    if cadence.months == 0 and span == timedelta(0):
        raise DefinitionError(f"cadence {text!r} is zero")
    return cadence


@dataclass(frozen=True)
class Freshness:
    """What the public and the records office are told about how current a dataset is."""

    cadence: str | None
    last_published: datetime | None
    next_expected: datetime | None
    overdue_after: datetime | None
    overdue: bool
    grace: timedelta = GRACE

    @property
    def status(self) -> str:
        if self.last_published is None:
            return "never-published"
        if self.cadence is None:
            return "no-cadence"
        return "overdue" if self.overdue else "on-time"

    @property
    def cadence_words(self) -> str:
        """The cadence in words: "month", "3 months", "week", "12 hours"."""
        if not self.cadence:
            return ""
        cadence = parse_cadence(self.cadence)
        months, span = cadence.months, cadence.span
        if months and not span:
            count, unit = (months // 12, "year") if months % 12 == 0 else (months, "month")
        elif not months and span % timedelta(weeks=1) == timedelta(0):
            count, unit = span // timedelta(weeks=1), "week"
        elif not months and span % timedelta(days=1) == timedelta(0):
            count, unit = span.days, "day"
        elif not months and span % timedelta(hours=1) == timedelta(0):
            count, unit = span // timedelta(hours=1), "hour"
        else:
            return self.cadence
        one, many = CADENCE_WORDS[unit]
        return gettext(one) if count == 1 else gettext(many, num=count)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the API's `freshness` object."""

        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "status": self.status,
            "cadence": self.cadence,
            "last_published": iso(self.last_published),
            "next_expected": iso(self.next_expected),
            "overdue_after": iso(self.overdue_after),
            "overdue": self.overdue,
            "grace_days": self.grace / timedelta(days=1),
        }


def freshness(
    cadence: str | None, last_published: datetime | None, now: datetime, grace: timedelta = GRACE
) -> Freshness:
    """How fresh data published at `last_published` is at `now` against the cadence."""
    if last_published is None or not cadence:
        return Freshness(cadence or None, last_published, None, None, False, grace)
    expected = parse_cadence(cadence).after(last_published)
    return Freshness(
        cadence, last_published, expected, expected + grace, now > expected + grace, grace
    )


def dataset_freshness(dataset: Any, now: datetime, grace: timedelta = GRACE) -> Freshness:
    """The freshness of a `Dataset` row: its current version against `meta["cadence"]`."""
    version = dataset.current_version
    cadence = (dataset.meta or {}).get("cadence")
    try:
        return freshness(cadence, version.published_at if version else None, now, grace)
    except DefinitionError:
        # A malformed cadence must not take the public page down; the office sees no cadence.
        return freshness(None, version.published_at if version else None, now, grace)
