"""Benchmark of the fast validator against frictionless on use-of-force incidents (run by hand).

    python bench/validate.py [--rows 200000] [--big] [--crlf]

Prints rows/s of both engines, their ratio, whether their findings agree, and with
--big the peak RSS of the fast engine on a 5,000,000-row file (measured in a child).
--crlf ends lines with CRLF, as the pipeline's normaliser writes them. CPU seconds are
printed beside wall seconds: on a busy machine their ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.validation import validate_table, validate_table_reference  # noqa: E402

SCHEMA_PATH = ROOT / "schemas" / "use-of-force" / "incidents.schema.json"
FORCES = [
    "firearm",
    "electronic-control-device",
    "impact-weapon",
    "chemical-agent",
    "canine",
    "hands-fists-feet",
    "takedown",
    "restraint",
    "other",
]


def enum(schema: dict, name: str) -> list[str]:
    return next(f for f in schema["fields"] if f["name"] == name)["constraints"]["enum"]


def write_incidents(path: Path, rows: int, seed: int = 7, newline: str = "\n") -> None:
    """Deterministic incidents with a handful of injected errors (about one per 20,000 rows)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    rng = random.Random(seed)
    choices = {
        name: enum(schema, name)
        for name in [
            "district",
            "reason_for_contact",
            "subject_age_band",
            "subject_sex",
            "subject_race",
            "subject_ethnicity",
            "subject_injury",
            "outcome",
        ]
    }
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f["name"] for f in schema["fields"]) + newline)
        incident, subject = 0, 1
        for i in range(rows):
            if subject == 1 or rng.random() < 0.8:
                incident, subject = incident + 1, 1
            else:
                subject += 1
            forces = sorted(rng.sample(range(len(FORCES)), rng.randint(1, 3)))
            cells = [
                f"UOF-{2015 + incident // 1_000_000}-{incident % 1_000_000:06d}",
                str(subject),
                f"{2015 + incident % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                rng.choice(choices["district"]),
                rng.choice(choices["reason_for_contact"]),
                ";".join(FORCES[f] for f in forces),
                FORCES[forces[0]],
                rng.choice(choices["subject_age_band"]),
                rng.choice(choices["subject_sex"]),
                rng.choice(choices["subject_race"]),
                rng.choice(choices["subject_ethnicity"]),
                rng.choice(choices["subject_injury"]),
                rng.choice(["true", "false"]),
                str(rng.randint(1, 6)),
                rng.choice(choices["outcome"]),
            ]
            if i % 20_011 == 17:
                cells[rng.randrange(len(cells))] = rng.choice(["", "D9", "x", "2024-13-01", "0"])
            out.write(",".join(cells) + newline)


def timed(function, *args) -> tuple[dict, float, float]:
    """The result, wall seconds and CPU seconds (all threads) of a call."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - start, time.process_time() - cpu


def essence(report: dict) -> list:
    return [
        (g["type"], g["count"], [(s["rowNumber"], s["fieldNumber"]) for s in g["sample"]])
        for g in report["groups"]
    ]


def peak_rss_child(path: Path) -> tuple[float, float]:
    """Run the fast engine in a child process; return (seconds, peak RSS in MB)."""
    code = (
        "import json, sys; from pathlib import Path; "
        f"sys.path.insert(0, {str(ROOT)!r}); "
        "from portal.validation import validate_table; "
        f"schema = json.loads(Path({str(SCHEMA_PATH)!r}).read_text()); "
        f"r = validate_table(schema, Path({str(path)!r})); "
        "print(r['rowCount'], r['errorCount'])"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    print(f"  child says rows, errors: {done.stdout.strip()}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--big", action="store_true", help="also measure a 5,000,000-row file")
    parser.add_argument("--crlf", action="store_true", help="end lines with CRLF")
    args = parser.parse_args()
    schema = json.loads(SCHEMA_PATH.read_text())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        newline = "\r\n" if args.crlf else "\n"
        write_incidents(path, args.rows, newline=newline)
        size = path.stat().st_size / 1e6
        print(f"{args.rows} rows, {size:.1f} MB, 15 columns")
        cold = timed(validate_table, schema, path)[1]
        fast, fast_s, fast_cpu = timed(validate_table, schema, path)
        print(f"fast engine, first call in the process (imports, thread pool): {cold:.2f} s")
        slow, slow_s, slow_cpu = timed(validate_table_reference, schema, path)
        print(
            f"frictionless: {slow_s:7.2f} s  {args.rows / slow_s:>12,.0f} rows/s"
            f"  (cpu {slow_cpu:.2f} s)"
        )
        print(
            f"fast engine:  {fast_s:7.2f} s  {args.rows / fast_s:>12,.0f} rows/s"
            f"  (cpu {fast_cpu:.2f} s)"
        )
        print(f"ratio: {slow_s / fast_s:.1f}x  (cpu {slow_cpu / fast_cpu:.1f}x)")
        print(f"errors: fast {fast['errorCount']}, frictionless {slow['errorCount']}")
        same = essence(fast) == essence(slow) and fast["rowCount"] == slow["rowCount"]
        print(f"findings match: {same}")
        if args.big:
            big = Path(folder) / "big.csv"
            write_incidents(big, 5_000_000, newline=newline)
            seconds, peak = peak_rss_child(big)
            print(
                f"5,000,000 rows ({big.stat().st_size / 1e6:.0f} MB): {seconds:.1f} s "
                f"({5_000_000 / seconds:,.0f} rows/s incl. start-up), peak RSS {peak:.0f} MB"
            )


if __name__ == "__main__":
    main()
