"""Deterministic demo sources for resource allocation: a finance workbook and a CAD API response.

Budget and staffing come as the XLSX workbook the finance office circulates
(sheets `Budget` and `Staffing`, header in row 1, the city's own bureau codes,
programme names and job classes). Calls for service come as the JSON a
computer-aided-dispatch reporting API returns, `{"meta": ..., "data": {"records": [...]}}`,
with the API's camelCase field names and numeric codes.
`publishers/resource-allocation.yaml` maps both to `schemas/resource-allocation/`.

Every row draws from its own seed and the series start at fixed points, so
moving `until` on adds the new year or month (and closes the books of the year
that ended) but leaves earlier rows as they were.
"""

from __future__ import annotations

import io
import json
import math
import random
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

WORKBOOK_NAME = "finance-budget-staffing.xlsx"
CALLS_NAME = "cad-calls-for-service.json"
FIRST_FISCAL_YEAR = 2023
FIRST_SNAPSHOT_YEAR = 2022
FIRST_MONTH = date(2023, 1, 1)
MIN_YEARS = 5  # at least this many fiscal years and snapshots, whatever `until` is
MIN_MONTHS = 36

BUREAUS = {
    "OOC": "Office of the Chief",
    "FOB": "Field Operations Bureau",
    "INV": "Investigations Bureau",
    "SSB": "Support Services Bureau",
    "ASB": "Administrative Services Bureau",
}

# (bureau code, programme name in the finance system, share of the adopted budget)
PROGRAMMES = [
    ("OOC", "Executive Command", 0.015),
    ("OOC", "Internal Affairs / Professional Standards", 0.015),
    ("FOB", "Patrol Operations", 0.42),
    ("FOB", "Traffic Enforcement", 0.04),
    ("FOB", "Special Operations (SWAT)", 0.03),
    ("FOB", "K9", 0.01),
    ("FOB", "Community Engagement", 0.02),
    ("INV", "Criminal Investigations", 0.10),
    ("INV", "Special Victims", 0.03),
    ("INV", "Narcotics & Gang Enforcement", 0.04),
    ("INV", "Crime Laboratory", 0.03),
    ("SSB", "911 Communications", 0.06),
    ("SSB", "Records Management", 0.02),
    ("SSB", "Property & Evidence", 0.015),
    ("SSB", "Fleet Services", 0.04),
    ("ASB", "Training Academy", 0.035),
    ("ASB", "Personnel & Recruitment", 0.015),
    ("ASB", "Fiscal Services", 0.01),
    ("ASB", "Information Technology", 0.055),
]

EXPENSE_CATEGORIES = [
    "Salaries & Benefits",
    "Training & Travel",
    "Facilities & Equipment",
    "Other Operating",
]
DEFAULT_SPLIT = (0.82, 0.02, 0.08, 0.08)
SPLITS = {
    "Fleet Services": (0.25, 0.02, 0.65, 0.08),
    "Information Technology": (0.35, 0.02, 0.45, 0.18),
    "Training Academy": (0.55, 0.30, 0.08, 0.07),
    "Crime Laboratory": (0.65, 0.04, 0.22, 0.09),
}
FY2023_TOTAL = 312_000_000  # adopted budget of fiscal year 2023, USD; it grows 3.5 % a year

# Job classes as HR names them: (job class, sworn?), in rank order.
JOB_CLASSES = {
    "Chief of Police": "S",
    "Deputy Chief": "S",
    "Police Commander": "S",
    "Police Captain": "S",
    "Police Lieutenant": "S",
    "Police Sergeant": "S",
    "Police Detective": "S",
    "Police Officer": "S",
    "Civ - Professional/Technical": "C",
    "Civ - Clerical/Support": "C",
}
# Authorised positions in the oldest snapshot, by bureau and job class.
AUTHORISED = {
    "OOC": {"Chief of Police": 1, "Police Commander": 1, "Police Lieutenant": 2,
            "Police Sergeant": 8, "Police Officer": 4,
            "Civ - Professional/Technical": 6, "Civ - Clerical/Support": 4},
    "FOB": {"Deputy Chief": 1, "Police Commander": 6, "Police Captain": 12,
            "Police Lieutenant": 30, "Police Sergeant": 140, "Police Officer": 1000,
            "Civ - Professional/Technical": 4, "Civ - Clerical/Support": 20},
    "INV": {"Deputy Chief": 1, "Police Commander": 2, "Police Captain": 3,
            "Police Lieutenant": 10, "Police Sergeant": 30, "Police Detective": 190,
            "Police Officer": 20, "Civ - Professional/Technical": 25,
            "Civ - Clerical/Support": 20},
    "SSB": {"Deputy Chief": 1, "Police Commander": 1, "Police Captain": 1,
            "Police Lieutenant": 2, "Police Sergeant": 8, "Police Officer": 10,
            "Civ - Professional/Technical": 20, "Civ - Clerical/Support": 200},
    "ASB": {"Police Commander": 1, "Police Lieutenant": 3, "Police Sergeant": 10,
            "Police Officer": 15, "Civ - Professional/Technical": 45,
            "Civ - Clerical/Support": 25},
}  # fmt: skip

# CAD district codes with their calls a month, and how far their beats stretch response times.
DISTRICTS = {
    "01": (6200, 0.90),
    "02": (7400, 1.00),
    "03": (5100, 1.05),
    "04": (8300, 0.97),
    "05": (6800, 1.03),
    "06": (4600, 1.18),
}
# CAD priority code: (share of calls, median minutes, 90th percentile / median).
PRIORITIES = {
    1: (0.007, 6.5, 2.0),
    2: (0.24, 13.0, 2.8),
    3: (0.46, 34.0, 3.3),
    4: (0.293, 70.0, 3.6),
}


def generate(dest: Path, *, until: date, seed: int = 20261124) -> dict[str, Path]:
    """Write the finance workbook and the CAD response for the periods before `until` into `dest`.

    Returns resource name -> file; `budget` and `staffing` share the workbook.
    The same `until` and `seed` give the same bytes.
    """
    dest.mkdir(parents=True, exist_ok=True)
    workbook_path = dest / WORKBOOK_NAME
    workbook_path.write_bytes(_workbook_bytes(seed, until))
    calls_path = dest / CALLS_NAME
    calls = _calls_response(seed, until)
    calls_path.write_text(json.dumps(calls, indent=2) + "\n", encoding="utf-8")
    return {"budget": workbook_path, "staffing": workbook_path, "calls-for-service": calls_path}


def current_fiscal_year(day: date) -> int:
    """Fiscal years run 1 July to 30 June and are named by the year they end in."""
    return day.year + 1 if day.month >= 7 else day.year


def _workbook_bytes(seed: int, until: date) -> bytes:
    workbook = Workbook()
    budget = workbook.active
    budget.title = "Budget"
    budget.append(
        [
            "Fiscal Year",
            "Bureau Code",
            "Bureau",
            "Program",
            "Expense Category",
            "Adopted Budget",
            "Actual Expenditures",
        ]
    )
    for row in _budget_rows(seed, until):
        budget.append(row)
    for cell in budget["F"][1:] + budget["G"][1:]:
        cell.number_format = '"$"#,##0.00'
    staffing = workbook.create_sheet("Staffing")
    staffing.append(
        ["Snapshot Date", "Bureau Code", "Job Class", "Sworn/Civ", "Authorized FTE", "Filled FTE"]
    )
    for row in _staffing_rows(seed, until):
        staffing.append(row)
    for cell in staffing["A"][1:]:
        cell.number_format = "mm/dd/yyyy"
    # openpyxl stamps the document and every zip member with the wall clock; pin both to the
    # start of `until`'s month, so that the same inputs, or any day of one month, give the same
    # bytes (and a run on the same data comes out "unchanged").
    stamp = datetime.combine(until.replace(day=1), time(6, 0))
    workbook.properties.creator = "Finance Office"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # save_workbook() would reset `modified`
    return _pin_zip_times(raw.getvalue(), stamp)


def _pin_zip_times(data: bytes, stamp: datetime) -> bytes:
    pinned = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(pinned, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))
    return pinned.getvalue()


def _budget_rows(seed: int, until: date) -> list[list]:
    current = current_fiscal_year(until)
    rows = []
    for year in range(min(FIRST_FISCAL_YEAR, current - MIN_YEARS + 1), current + 1):
        total = FY2023_TOTAL * 1.035 ** (year - 2023)
        for bureau, programme, share in PROGRAMMES:
            rng = random.Random(f"{seed}:budget:{year}:{programme}")
            split = SPLITS.get(programme, DEFAULT_SPLIT)
            for category, part in zip(EXPENSE_CATEGORIES, split, strict=True):
                adopted = round(total * share * part * rng.uniform(0.97, 1.03), -2)
                if category == "Salaries & Benefits" and bureau == "FOB":
                    spent = rng.uniform(1.0, 1.06)  # patrol overtime runs over budget
                else:
                    spent = rng.uniform(0.91, 1.02)
                # The year in progress has no actuals until the books close.
                actual = None if year == current else round(adopted * spent, 2)
                rows.append([year, bureau, BUREAUS[bureau], programme, category, adopted, actual])
    return rows


def _staffing_rows(seed: int, until: date) -> list[list]:
    # FBI police employee counts are a snapshot on 31 October.
    last = until.year if until > date(until.year, 10, 31) else until.year - 1
    rows = []
    for year in range(min(FIRST_SNAPSHOT_YEAR, last - MIN_YEARS + 1), last + 1):
        snapshot = datetime(year, 10, 31)
        # Officer vacancies peaked in 2024, when retirements outran academy classes.
        officer_vacancy = 0.07 + 0.04 * math.exp(-((year - 2024) ** 2) / 2)
        for bureau, classes in AUTHORISED.items():
            for job_class, base in classes.items():
                rng = random.Random(f"{seed}:staffing:{year}:{bureau}:{job_class}")
                sworn = JOB_CLASSES[job_class]
                authorised = base
                if job_class == "Police Officer" and bureau == "FOB":
                    authorised += 10 * max(
                        year - FIRST_SNAPSHOT_YEAR, 0
                    )  # council adds patrol posts
                if job_class == "Police Officer":
                    vacancy = officer_vacancy
                elif sworn == "S":
                    vacancy = 0.03
                else:
                    vacancy = 0.10
                vacant = round(authorised * vacancy * rng.uniform(0.6, 1.4))
                if authorised <= 2:
                    vacant = 1 if rng.random() < 0.1 else 0
                filled = max(authorised - vacant, 0)
                rows.append([snapshot, bureau, job_class, sworn, authorised, filled])
    return rows


def _calls_response(seed: int, until: date) -> dict:
    last = until.year * 12 + until.month - 2  # the month before `until`, counted from year 0
    first = min(FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1, last - MIN_MONTHS + 1)
    records = []
    for number in range(first, last + 1):
        month = date(number // 12, number % 12 + 1, 1)
        # Calls peak in July; the volume grows about 1 % a year.
        season = 1 + 0.10 * math.cos(2 * math.pi * (month.month - 7) / 12)
        growth = 1 + 0.01 * (month.year - FIRST_MONTH.year + (month.month - 1) / 12)
        for code, (monthly_calls, stretch) in DISTRICTS.items():
            rng = random.Random(f"{seed}:calls:{month:%Y-%m}:{code}")
            for priority, (share, median, tail) in PRIORITIES.items():
                calls = round(monthly_calls * season * growth * share * rng.uniform(0.9, 1.1))
                # Busy months stretch response times; the tail stretches more.
                load = 1 + 0.6 * (season - 1)
                mid = median * stretch * load * rng.uniform(0.92, 1.08)
                p90 = mid * tail * load * rng.uniform(0.9, 1.1)
                records.append(
                    {
                        "callMonth": f"{month:%Y-%m}",
                        "districtCode": code,
                        "priorityCode": priority,
                        "callCount": calls,
                        # The API sends null rather than a time when there was no call to time.
                        "medianRespMin": round(mid, 1) if calls else None,
                        "p90RespMin": round(p90, 1) if calls else None,
                    }
                )
    meta = {
        "api": "CAD Analytics",
        "version": "2.4",
        "generatedAt": f"{until.replace(day=1).isoformat()}T12:00:00Z",  # see _workbook_bytes
        "timezone": "America/Chicago",
        "responseTime": "call entered to first unit on scene, in minutes",
        "page": 1,
        "pageSize": len(records),
        "totalRecords": len(records),
    }
    return {"meta": meta, "data": {"records": records}}
