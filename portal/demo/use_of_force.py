"""Deterministic demo source for use of force: a records-management system's subject-level export.

Like a real export it carries what must never be published: officer names and
badge numbers, subject names, street addresses and dates of birth, and a free
text narrative. Each month is generated from its own seed, so adding a month
leaves every earlier row byte for byte as it was.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path

FILE_NAME = "rms-use-of-force-export.csv"
FIRST_MONTH = date(2019, 1, 1)
HEADER = [
    "IncidentNo",
    "SubjectSeq",
    "OccurredAt",
    "District",
    "Beat",
    "StreetAddress",
    "ContactReason",
    "ForceUsed",
    "SubjectName",
    "SubjectDOB",
    "SubjectSex",
    "SubjectRace",
    "SubjectEthnicity",
    "SubjectInjury",
    "OfficerInjured",
    "OfficerCount",
    "OfficerNames",
    "BadgeNumbers",
    "Disposition",
    "Narrative",
]
# District weights: busier districts see more force.
DISTRICTS = {"1": 1.6, "2": 1.2, "3": 1.0, "4": 0.9, "5": 0.7, "6": 0.6}
# FBI NUFDC 2021 split of reasons for initial contact.
REASONS = {
    "SUSP": 56.8,
    "TRAF": 11.0,
    "WARR": 10.1,
    "WELF": 7.6,
    "PATR": 3.2,
    "FOLL": 2.7,
    "OTHR": 8.6,
}
FORCE = {
    "HANDS": 45,
    "TAKEDOWN": 30,
    "RESTRAINT": 20,
    "TASER": 12,
    "OC": 6,
    "BATON": 4,
    "K9": 3,
    "FIREARM": 1.2,
    "OTHER": 2,
}
SEXES = {"M": 82, "F": 17, "X": 0.5, "U": 0.5}
RACES = {"W": 38, "B": 44, "A": 5, "I": 1.5, "O": 6, "U": 5.5}
ETHNICITIES = {"H": 22, "N": 70, "U": 8}
INJURIES = {"NONE": 52, "MINOR": 38, "SERIOUS": 8.5, "FATAL": 1.5}
DISPOSITIONS = {"ARREST": 70, "CITE": 8, "RELEASE": 7, "HOSP": 12, "OTHER": 3}
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Lincoln Blvd",
    "Washington St",
    "Park Ave",
    "Lake Shore Dr",
    "Elm St",
    "Grand Ave",
    "Jefferson Ave",
    "Pine St",
]
FIRST_NAMES = [
    "James",
    "Maria",
    "Robert",
    "Aisha",
    "Michael",
    "Linh",
    "David",
    "Fatima",
    "Carlos",
    "Emily",
    "Darnell",
    "Sofia",
    "Tyrone",
    "Hannah",
    "Jose",
    "Keisha",
]
LAST_NAMES = [
    "Okafor",
    "Hernandez",
    "Kowalski",
    "Nguyen",
    "Washington",
    "Schmidt",
    "Patel",
    "Johnson",
    "Garcia",
    "O'Brien",
    "Haddad",
    "Williams",
    "Moreau",
    "Tanaka",
]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _month_seed(seed: int, month: date) -> int:
    return seed * 1000 + month.year * 12 + month.month


def _month_rows(seed: int, month: date, officers: list[tuple[str, str]]) -> list[list[str]]:
    rng = random.Random(_month_seed(seed, month))
    # Summer peaks, a slow decline over the years as policy training takes hold.
    season = 1 + 0.25 * math.sin((month.month - 4) / 12 * 2 * math.pi)
    trend = 1 - 0.04 * (month.year - FIRST_MONTH.year)
    incidents = max(0, round(rng.gauss(62 * season * trend, 6)))
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    days = (next_month - month).days
    rows = []
    for number in range(1, incidents + 1):
        incident_id = f"UOF-{month.year}-{month.month:02d}{number:04d}"
        occurred = datetime(
            month.year, month.month, rng.randint(1, days), rng.randint(0, 23), rng.randint(0, 59)
        )
        district = _pick(rng, DISTRICTS)
        address = (
            f"{rng.randint(1, 98) * 100 + rng.randint(0, 99)} {rng.choice('NSEW')} "
            f"{rng.choice(STREETS)}"
        )
        reason = _pick(rng, REASONS)
        crew = rng.sample(officers, k=min(len(officers), 1 + int(rng.expovariate(1.3))))
        subjects = 1 if rng.random() < 0.87 else rng.randint(2, 3)
        for seq in range(1, subjects + 1):
            force = sorted({_pick(rng, FORCE) for _ in range(1 + int(rng.expovariate(1.5)))})
            age_years = min(85, max(12, int(rng.gammavariate(4.0, 8.0)) + 12))
            born = occurred.date() - timedelta(days=age_years * 365 + rng.randint(0, 364))
            injury = _pick(rng, INJURIES)
            disposition = "DECEASED" if injury == "FATAL" else _pick(rng, DISPOSITIONS)
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            rows.append(
                [
                    incident_id,
                    str(seq),
                    occurred.strftime("%Y-%m-%d %H:%M"),
                    district,
                    f"{district}{rng.randint(1, 4)}{rng.randint(0, 9)}",
                    address,
                    reason,
                    "|".join(force),
                    name,
                    born.isoformat(),
                    _pick(rng, SEXES),
                    _pick(rng, RACES),
                    _pick(rng, ETHNICITIES),
                    injury,
                    "Y" if rng.random() < 0.11 else "N",
                    str(len(crew)),
                    "; ".join(o[0] for o in crew),
                    ";".join(o[1] for o in crew),
                    disposition,
                    f"{crew[0][0]} (#{crew[0][1]}) responded to {address}; {name} "
                    f"{'resisted arrest' if rng.random() < 0.6 else 'fled on foot'}.",
                ]
            )
    return rows


def _roster(seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [
        (
            f"Ofc. {rng.choice(FIRST_NAMES)[0]}. {rng.choice(LAST_NAMES)}",
            str(rng.randint(1000, 9999)),
        )
        for _ in range(180)
    ]


def generate(dest: Path, *, until: date, seed: int = 20261124) -> dict[str, Path]:
    """Write the export covering every month from January 2019 up to (not including) `until`."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / FILE_NAME
    officers = _roster(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        month = FIRST_MONTH
        while month < until.replace(day=1):
            writer.writerows(_month_rows(seed, month, officers))
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return {"incidents": path}
