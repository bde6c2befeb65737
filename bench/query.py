"""Benchmark of the query engine on a 1,000,000-row use-of-force-like table (run by hand).

    python bench/query.py [--rows 1000000] [--repeat 50] [--keep DIR]

Writes the table as the pipeline publishes it (UTF-8, CRLF, all text), builds its query
index the way publishing does, then prints the build time, the index size and p50/p99 of
a handful of filter + sort + count queries. Counts are recomputed on every repetition
(the engine's count cache is emptied), so the figures are for cold counts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.query.engine import Query, Table  # noqa: E402
from portal.query.index import build_index  # noqa: E402

SCHEMA = json.loads((ROOT / "schemas" / "use-of-force" / "incidents.schema.json").read_text())

QUERIES = {
    "district=D3 sort -date": Query({"district": ["D3"]}, sort=["-incident_date"]),
    "date range + race, sort -officers": Query(
        {
            "incident_date__min": ["2023-01-01"],
            "incident_date__max": ["2023-06-30"],
            "subject_race": ["black"],
        },
        sort=["-officers_involved", "incident_date"],
    ),
    "force in (2) + officer injured, sort date": Query(
        {
            "most_serious_force": ["firearm", "electronic-control-device"],
            "officer_injured": ["true"],
        },
        sort=["incident_date"],
    ),
    "two enums, sort district,-date, 4 fields": Query(
        {"outcome": ["hospitalised"], "subject_age_band": ["18-24"]},
        sort=["district", "-incident_date"],
        fields=["incident_id", "incident_date", "district", "outcome"],
    ),
    "q=uof-2024-7000, sort -date": Query(q="UOF-2024-7000", sort=["-incident_date"]),
    "no filter, sort -date, offset 500000": Query(sort=["-incident_date"], offset=500_000),
    "limit 1000, officers__min=3": Query({"officers_involved__min": ["3"]}, limit=1000),
}


def enum(name: str) -> list[str]:
    return next(f for f in SCHEMA["fields"] if f["name"] == name)["constraints"]["enum"]


def write_incidents(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 365 * 6, rows)
    days.sort()  # incidents are exported in date order, as the RMS does
    dates = np.datetime64("2020-01-01") + days
    forces = enum("most_serious_force")
    frame = pl.DataFrame(
        {
            "incident_id": [f"UOF-{str(d)[:4]}-{i:06d}" for i, d in enumerate(dates)],
            "subject_number": rng.integers(1, 3, rows),
            "incident_date": dates.astype(str),
            **{
                name: np.array(enum(name))[rng.integers(0, len(enum(name)), rows)]
                for name in ["district", "reason_for_contact"]
            },
            "force_types": np.array(forces)[rng.integers(0, len(forces), rows)],
            "most_serious_force": np.array(forces)[rng.integers(0, len(forces), rows)],
            **{
                name: np.array(enum(name))[rng.integers(0, len(enum(name)), rows)]
                for name in [
                    "subject_age_band",
                    "subject_sex",
                    "subject_race",
                    "subject_ethnicity",
                    "subject_injury",
                ]
            },
            "officer_injured": np.where(rng.random(rows) < 0.1, "true", "false"),
            "officers_involved": rng.integers(1, 6, rows),
            "outcome": np.array(enum("outcome"))[rng.integers(0, 6, rows)],
        }
    )
    frame.select(pl.all().cast(pl.String)).write_csv(path, line_terminator="\r\n", null_value="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-query-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "incidents.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        write_incidents(csv_path, args.rows)
        print(f"wrote {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
    target = folder / "incidents.duckdb"
    started = time.perf_counter()
    build_index(csv_path, SCHEMA, target)
    print(
        f"built the index in {time.perf_counter() - started:.2f} s: "
        f"CSV {csv_path.stat().st_size / 1e6:.0f} MB, index {target.stat().st_size / 1e6:.0f} MB"
    )
    table = Table(target)
    print(f"{'query':45} {'total':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, query in QUERIES.items():
        timings = []
        for _ in range(args.repeat):
            table._counts.clear()  # measure the count, not the cache
            started = time.perf_counter()
            page = table.page(query)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"{name:45} {page.total:>9,} {statistics.median(timings):>8.1f} {p99:>8.1f}")
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in table.export(Query({"district": ["D3"]})))
    print(f"export district=D3: {size / 1e6:.1f} MB in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
