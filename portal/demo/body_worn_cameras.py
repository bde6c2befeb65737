"""Deterministic demo source for the body-worn-camera dataset: the evidence system's monthly export.

The file imitates what a digital-evidence management system really exports: a
Windows-1252, semicolon-delimited CSV with CRLF line endings, the vendor's own
column names, unit names with an en dash, hours with thousands separators, an
extra column we do not publish and the user who ran the export (which must never
reach a public file). `publishers/body-worn-cameras.yaml` maps it to
`schemas/body-worn-cameras/monthly-usage.schema.json`.

Every unit-month draws from its own seed and the trends are anchored on a fixed
first month, so moving `until` on appends rows and leaves every earlier row
byte for byte as it was, as a real export would.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FILE_NAME = "evidence-bwc-monthly.csv"
FIRST_MONTH = date(2023, 1, 1)  # start of the audit programme that the trends follow
TREND_MONTHS = 45  # months the programme takes to lift compliance to its plateau
MIN_MONTHS = 36
ENCODING = "cp1252"

HEADER = [
    "Unit",
    "Period Start",
    "Period End",
    "Cams Deployed",
    "Officers Equipped",
    "Recordings",
    "Hours Recorded",
    "Activations Required",
    "Activations Made",
    "Late Activations",
    "Missed Activations",
    "Untagged Videos",
    "Requests Received",
    "Requests Fulfilled",
    "Requests Denied",
    "Median Days to Fulfil",
    "Exported By",
]


@dataclass(frozen=True)
class Unit:
    """A unit as the evidence system names it, with the magnitudes that drive its figures."""

    source_name: str
    cameras: int  # cameras assigned at the start of the period
    required_per_officer: float  # events a month that policy says must be recorded
    minutes_per_recording: float
    requests_per_month: float  # public and legal footage requests


# The en dash in the district names is the vendor's spelling; it is 0x96 in Windows-1252.
UNITS = [
    Unit("District 1 \u2013 Patrol", 78, 58.0, 24.0, 16.0),
    Unit("District 2 \u2013 Patrol", 92, 61.0, 23.0, 19.0),
    Unit("District 3 \u2013 Patrol", 70, 55.0, 25.0, 13.0),
    Unit("District 4 \u2013 Patrol", 105, 64.0, 22.0, 23.0),
    Unit("District 5 \u2013 Patrol", 84, 59.0, 24.0, 17.0),
    Unit("District 6 \u2013 Patrol", 66, 52.0, 27.0, 11.0),
    Unit("Traffic Enforcement", 28, 84.0, 13.0, 9.0),
    Unit("Gang & Tactical", 34, 44.0, 31.0, 6.0),
    Unit("K9 Unit", 12, 33.0, 28.0, 1.2),
]

EXPORTED_BY = "EVD\\lnovak"


def generate(dest: Path, *, until: date, seed: int = 20261124) -> dict[str, Path]:
    """Write the monthly export into `dest`, up to the month before `until`.

    It starts at FIRST_MONTH, or MIN_MONTHS back if that is earlier.
    Returns {"monthly-usage": path}. The same `until` and `seed` give the same bytes.
    """
    dest.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for first_day in _months(until):
        elapsed = (first_day.year - FIRST_MONTH.year) * 12 + first_day.month - FIRST_MONTH.month
        progress = min(max(elapsed / TREND_MONTHS, 0.0), 1.0)
        for unit in UNITS:
            rng = random.Random(f"{seed}:{unit.source_name}:{first_day:%Y-%m}")
            writer.writerow(_row(rng, unit, first_day, progress))
    path = dest / FILE_NAME
    path.write_bytes(buffer.getvalue().encode(ENCODING))
    return {"monthly-usage": path}


def _months(until: date) -> list[date]:
    """First days of the months to export, oldest first."""
    last = until.year * 12 + until.month - 2  # the month before `until`, counted from year 0
    first = min(FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1, last - MIN_MONTHS + 1)
    return [date(m // 12, m % 12 + 1, 1) for m in range(first, last + 1)]


def _row(rng: random.Random, unit: Unit, first_day: date, progress: float) -> list[str]:
    next_month = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    # Summer brings more calls, so more recorded contacts; the peak is in July.
    season = 1 + 0.08 * math.cos(2 * math.pi * (first_day.month - 7) / 12)
    cameras = round(unit.cameras * (1 + 0.06 * progress)) + rng.randint(-1, 1)
    officers = max(cameras - rng.randint(0, 3), 1)  # a few cameras are spares in the charger
    required = round(officers * unit.required_per_officer * season * rng.uniform(0.95, 1.05))
    # The department's audit programme lifts compliance from about 80 % to about 95 %.
    compliance = min(0.80 + 0.15 * progress + rng.uniform(-0.015, 0.015), 0.99)
    made = round(required * compliance)
    late = round(made * (0.09 - 0.05 * progress) * rng.uniform(0.8, 1.2))
    recordings = made + round(made * rng.uniform(0.08, 0.16))  # officer-initiated recordings too
    hours = recordings * unit.minutes_per_recording * rng.uniform(0.92, 1.08) / 60
    untagged = round(recordings * (0.06 - 0.04 * progress) * rng.uniform(0.7, 1.3))
    received = _poisson(rng, unit.requests_per_month * (1 + 0.4 * progress))
    fulfilled = sum(rng.random() < 0.8 for _ in range(received))
    denied = sum(rng.random() < 0.5 for _ in range(received - fulfilled))
    return [
        unit.source_name,
        first_day.isoformat(),
        (next_month - timedelta(days=1)).isoformat(),
        str(cameras),
        str(officers),
        str(recordings),
        f"{hours:,.1f}",
        str(required),
        str(made),
        str(late),
        str(required - made),
        str(untagged),
        str(received),
        str(fulfilled),
        str(denied),
        _median_days(rng, fulfilled, progress),
        EXPORTED_BY,
    ]


def _median_days(rng: random.Random, fulfilled: int, progress: float) -> str:
    """Median days from request to release; blank when nothing was fulfilled that month."""
    if fulfilled == 0:
        return ""
    days = max(round(rng.gauss(29 - 12 * progress, 5)), 1)
    # The median of an even number of whole-day durations can fall on a half day.
    half = fulfilled % 2 == 0 and rng.random() < 0.5
    return f"{days + 0.5 if half else days:.1f}"


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of monthly request counts."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
