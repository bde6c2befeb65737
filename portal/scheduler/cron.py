"""Publisher schedules: `schedule: {cron: "0 6 2 * *", timezone: America/Chicago}` as triggers.

APScheduler's CronTrigger does the calendar work (time zones, daylight saving, month
lengths). Two things differ from handing the expression to `CronTrigger.from_crontab`:

- day-of-week numbers mean what they mean in crontab (0 and 7 are Sunday, 1 is Monday);
  APScheduler 3 counts from Monday, so numbers are translated to day names;
- a six-field expression puts seconds first (`*/2 * * * * *`), for tests and demos that
  cannot wait for a real cron minute.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from portal.errors import DefinitionError

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Enough for a six-field expression firing every second over a long outage.
MAX_FIRES_SCANNED = 100_000
_TINY = timedelta(microseconds=1)


def _day_number(token: str) -> int:
    token = token.strip().lower()
    if token in DAY_NAMES:
        return DAY_NAMES.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise DefinitionError(f"{token!r} is not a day of the week (0-7 or sun-sat)")


def crontab_days(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names (`1-5` is `mon,tue,wed,thu,fri`)."""
    if field.strip() == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise DefinitionError(f"{part!r}: the step after / must be a positive number")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _day_number(start), _day_number(end)
            if end.strip() == "7":
                last = 7  # "1-7" runs to Sunday
        else:
            first = last = _day_number(base)
            if step:
                last = 6
        if last < first:
            raise DefinitionError(f"{part!r}: a day range must run forwards")
        days.update(day % 7 for day in range(first, last + 1, step or 1))
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def cron_trigger(schedule: Mapping[str, Any]) -> CronTrigger | None:
    """The trigger of a publisher entry's `schedule`, or None when it has no cron."""
    expression = (schedule or {}).get("cron")
    if not expression:
        return None
    fields = str(expression).split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise DefinitionError(f"cron {expression!r} needs 5 fields (or 6 with seconds first)")
    second, minute, hour, day, month, day_of_week = fields
    try:
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_days(day_of_week),
            timezone=schedule.get("timezone") or "UTC",
        )
    except (ValueError, LookupError) as error:
        raise DefinitionError(f"cron {expression!r}: {error}") from error


def latest_fire_time(trigger: CronTrigger, after: datetime, now: datetime) -> datetime | None:
    """The last time the trigger fired in (after, now], or None when it did not fire.

    However many fire times were missed, only the latest counts: that is the misfire
    policy (coalesce into one catch-up run).
    """
    latest = None
    fire = trigger.get_next_fire_time(None, after + _TINY)
    for _ in range(MAX_FIRES_SCANNED):
        if fire is None or fire > now:
            break
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + _TINY)
    return latest
