"""Whole-process benchmark of `portal validate` against frictionless (run by hand).

    python bench/validate.py [--sizes 200000,1000000] [--big [--big-without-frictionless]]
                             [--repeat 3] [--reference-repeat 1] [--error-every 1000] [--crlf]

For each size it writes deterministic use-of-force incidents (15 fields, one injected
error per `--error-every` rows) and times whole processes, start-up included, as a
records officer meets them: `python -m portal validate --json` (the fast engine) and a
process that runs frictionless itself on the same file with the dialect spelled out
(`portal.validation.reference`). It prints the median seconds of each, their ratio, each
process's peak RSS (from wait4) and whether the findings are the same: every finding's
type, row and field, hence the counts per error type and per field. `--big` adds
5,000,000 rows (frictionless takes minutes there). The load average is printed before
and after: on a shared machine both tools are slowed alike, so the ratio is the figure
to read. The portal's modules are compiled first, as pip compiles an installed package's
(frictionless' are): a shell that sets PYTHONDONTWRITEBYTECODE, as ours does, would
otherwise have every run compile them again (26 ms of a 200,000-row run).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "schemas" / "use-of-force" / "incidents.schema.json"
GOALS = {200_000: 15.0, 1_000_000: 30.0}
PEAK_GOAL_MB = 256
EVERYTHING = 10**9
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
REFERENCE = (
    "import json, sys; from pathlib import Path; "
    "from portal.validation.reference import validate_table_reference; "
    "schema = json.loads(Path(sys.argv[1]).read_text()); "
    "print(json.dumps(validate_table_reference(schema, Path(sys.argv[2]), "
    f"sample_size={EVERYTHING})))"
)


def enum(schema: dict, name: str) -> list[str]:
    return next(f for f in schema["fields"] if f["name"] == name)["constraints"]["enum"]


def write_incidents(
    path: Path, rows: int, seed: int = 7, newline: str = "\n", error_every: int = 1000
) -> None:
    """Deterministic incidents with one injected error about every `error_every` rows."""
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
            if i % error_every == 17:
                cells[rng.randrange(len(cells))] = rng.choice(["", "D9", "x", "2024-13-01", "0"])
            out.write(",".join(cells) + newline)


def run_child(command: list[str]) -> tuple[dict, float, float, float]:
    """Run a whole process; return its JSON report, wall seconds, peak RSS in MB and CPU
    seconds (user + system, all threads: what a busy machine changes least)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        errors = child.stderr.read().decode()
        child.stderr.close()
        out.seek(0)
        text = out.read()
    if child.returncode not in (0, 1) or not text:
        sys.exit(f"{command[:4]} failed ({child.returncode}): {errors[-2000:]}")
    return json.loads(text), seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def findings(report: dict) -> list[tuple]:
    """Every finding in report order: type, row, field number and name."""
    return [
        (g["type"], s["rowNumber"], s["fieldNumber"], s["fieldName"])
        for g in report["groups"]
        for s in g["sample"]
    ]


def per_type_and_field(report: dict) -> Counter:
    return Counter((kind, name) for kind, _, _, name in findings(report))


def measure(path: Path, repeat: int, reference_repeat: int) -> dict:
    ours_cmd = [
        sys.executable,
        "-m",
        "portal",
        "validate",
        "--json",
        "--sample-size",
        str(EVERYTHING),
        str(SCHEMA_PATH),
        str(path),
    ]
    theirs_cmd = [sys.executable, "-c", REFERENCE, str(SCHEMA_PATH), str(path)]
    ours, theirs = [], []
    # Interleaved, so a burst of load elsewhere hits both tools.
    for i in range(max(repeat, reference_repeat)):
        if i < repeat:
            ours.append(run_child(ours_cmd))
        if i < reference_repeat:
            theirs.append(run_child(theirs_cmd))
    fast = ours[0][0]
    if not theirs:
        return {
            "ours": statistics.median(s for _, s, _, _ in ours),
            "ours_cpu": statistics.median(c for _, _, _, c in ours),
            "ours_rss": max(m for _, _, m, _ in ours),
            "same": all(findings(r) == findings(fast) for r, _, _, _ in ours),
            "report": fast,
        }
    slow = theirs[0][0]
    same = (
        all(findings(r) == findings(fast) for r, _, _, _ in ours)
        and findings(fast) == findings(slow)
        and fast["rowCount"] == slow["rowCount"]
        and fast["errorCount"] == slow["errorCount"]
    )
    return {
        "ours": statistics.median(s for _, s, _, _ in ours),
        "theirs": statistics.median(s for _, s, _, _ in theirs),
        "ours_cpu": statistics.median(c for _, _, _, c in ours),
        "theirs_cpu": statistics.median(c for _, _, _, c in theirs),
        "ours_rss": max(m for _, _, m, _ in ours),
        "theirs_rss": max(m for _, _, m, _ in theirs),
        "same": same,
        "report": fast,
        "reference": slow,
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="200000,1000000", help="row counts, comma-separated")
    parser.add_argument("--big", action="store_true", help="also 5,000,000 rows (slow)")
    parser.add_argument(
        "--big-without-frictionless",
        action="store_true",
        help="at 5,000,000 rows time portal validate alone (peak RSS; findings not compared)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of portal validate")
    parser.add_argument("--reference-repeat", type=int, default=1, help="runs of frictionless")
    parser.add_argument("--error-every", type=int, default=1000)
    parser.add_argument("--crlf", action="store_true", help="end lines with CRLF")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([5_000_000] if args.big else [])
    compileall.compile_dir(ROOT / "portal", quiet=1)
    print(f"load average before: {load()} ({os.cpu_count()} CPUs)")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            path = Path(folder) / f"incidents-{rows}.csv"
            write_incidents(
                path, rows, newline="\r\n" if args.crlf else "\n", error_every=args.error_every
            )
            print(f"\n{rows:,} rows x 15 fields, {path.stat().st_size / 1e6:.0f} MB")
            alone = rows >= 5_000_000 and args.big_without_frictionless
            result = measure(path, args.repeat, 0 if alone else args.reference_repeat)
            path.unlink()
            report = result["report"]
            print(
                f"  portal validate: {result['ours']:6.2f} s (median of {args.repeat}), "
                f"CPU {result['ours_cpu']:.2f} s, peak RSS {result['ours_rss']:.0f} MB"
            )
            if rows >= 5_000_000:
                met = "met" if result["ours_rss"] <= PEAK_GOAL_MB else "NOT met"
                print(f"  peak RSS goal <= {PEAK_GOAL_MB} MB: {met}")
            if alone:
                print(f"  frictionless not run; {report['errorCount']} errors (not compared)")
                continue
            ratio = result["theirs"] / result["ours"]
            print(
                f"  frictionless:    {result['theirs']:6.2f} s (median of "
                f"{args.reference_repeat}), CPU {result['theirs_cpu']:.2f} s, "
                f"peak RSS {result['theirs_rss']:.0f} MB"
            )
            goal = GOALS.get(rows)
            verdict = (
                f" (goal >= {goal:.0f}x: {'met' if ratio >= goal else 'NOT met'})" if goal else ""
            )
            print(f"  ratio: {ratio:.1f}x{verdict}")
            # Wall seconds swing with other processes on a shared machine; CPU seconds less.
            print(f"  CPU ratio: {result['theirs_cpu'] / result['ours_cpu']:.1f}x")
            print(
                f"  findings: {report['errorCount']} errors, same as frictionless: {result['same']}"
            )
            for (kind, name), count in sorted(per_type_and_field(report).items()):
                theirs = per_type_and_field(result["reference"])[(kind, name)]
                print(f"    {kind:<18} {name or '-':<22} {count:>6}  frictionless {theirs:>6}")
            results.append(result["same"])
    print(f"\nload average after: {load()}")
    print(f"same findings on every file compared: {all(results)} ({len(results)} files)")


if __name__ == "__main__":
    main()
