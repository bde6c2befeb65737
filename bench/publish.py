"""Benchmark of publishing: a 1,000,000-row source through `portal run` and `portal approve`.

    python bench/publish.py [--rows 1000000] [--keep DIR]

Writes a synthetic use-of-force table (bench/query.py's), defines a `bench-incidents`
dataset that publishes it column for column (bench/pages.py's definition), then runs the
two commands a records officer runs, each as a whole process with its log on: `portal run`
(fetch, normalise, validate, guard, validate after the guard when the guard changed a table,
diff, stage, check staged files, zip) and `portal approve` (publish, query index, figures,
changelog, ledger and notices). It prints every
stage's seconds (from the `portal.timing` log records), what each process spent outside
its stages (start-up, database), the slowest stage, and the total against the goal.

The baseline, run in the same invocation: one process that reads the same source with
polars and writes it once as CSV and once as Parquet, the least any publish must do. On
a shared machine both slow down alike, so the ratio is the steadier figure. The load
average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pages import SLUG, define  # noqa: E402  (bench/pages.py: the same dataset)
from query import write_incidents  # noqa: E402  (bench/query.py: the same synthetic table)

GOAL_SECONDS = 15.0
OFFICER = "officer@example.org"
# The `portal` command with its log records written to stderr as JSON lines.
LOGGED_PORTAL = (
    "import sys; from portal.scheduler.logs import log_json_lines; "
    "log_json_lines(sys.stderr); from portal.cli import main; "
    "main(sys.argv[1:], prog_name='portal')"
)
BASELINE = (
    "import sys, polars as pl; frame = pl.read_csv(sys.argv[1], infer_schema=False); "
    "frame.write_csv(sys.argv[2], line_terminator='\\r\\n'); frame.write_parquet(sys.argv[3])"
)


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str], env: dict, stdin: str | None = None) -> tuple[float, float, str, str]:
    """Wall seconds, CPU seconds (user + system, every thread), stdout and stderr."""
    started, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(
        command, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=1800
    )
    seconds, cpu = time.perf_counter() - started, children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[-3:])} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return seconds, cpu, done.stdout, done.stderr


def portal(
    args: list[str], env: dict, stdin: str | None = None
) -> tuple[float, float, list[dict], str]:
    """Run `portal ARGS` as its own process; its wall and CPU seconds, stage records, output."""
    seconds, cpu, out, err = timed([sys.executable, "-c", LOGGED_PORTAL, *args], env, stdin)
    stages = []
    for line in err.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("logger") == "portal.timing":
            stages.append(record)
    return seconds, cpu, stages, out.strip()


def with_badges(csv_path: Path) -> Path:
    """The source with an `OfficerBadge` column ("B-" and five digits) beside the others."""
    target = csv_path.with_name("incidents-with-badges.csv")
    if not target.exists():
        frame = pl.read_csv(csv_path, infer_schema=False)
        badges = (pl.int_range(pl.len()) * 7919 % 90_000 + 10_000).cast(pl.String)
        frame.with_columns(("B-" + badges).alias("OfficerBadge")).write_csv(target)
    return target


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--never-publish",
        action="store_true",
        help="the source also holds officers' badge numbers, declared never-publish: the "
        "privacy guard then compares every published cell, the staged JSON and Parquet too",
    )
    args = parser.parse_args()
    folder = (args.keep or Path(tempfile.mkdtemp(prefix="bench-publish-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # A fresh portal each time (the source file is kept with --keep).
    shutil.rmtree(folder / "data", ignore_errors=True)
    for name in ("portal.db", "portal.db-wal", "portal.db-shm"):
        (folder / name).unlink(missing_ok=True)
    csv_path = folder / "incidents.csv"
    if not csv_path.exists():
        write_incidents(csv_path, args.rows)
    if args.never_publish:
        csv_path = with_badges(csv_path)
    schemas, publishers = define(folder, csv_path)
    if args.never_publish:
        entry = publishers / f"{SLUG}.yaml"
        text = entry.read_text(encoding="utf-8").replace("      OfficerBadge: OfficerBadge\n", "")
        entry.write_text(text + "    never_publish: [OfficerBadge]\n", encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PORTAL_DATA_DIR": str(folder / "data"),
        "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
        "SECRET_KEY": "benchmark-only-secret",
        "PORTAL_DEMO": "1",  # a throwaway portal: the release ledger signs with a made-up key
        "PORTAL_SCHEMAS_DIR": str(schemas),
        "PORTAL_PUBLISHERS_DIR": str(publishers),
    }
    print(f"load average before: {load()} ({os.cpu_count()} CPUs)")
    print(f"source: {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB")
    portal(["db", "upgrade"], env)
    portal(["users", "create", OFFICER, "--role", "officer", "--password-stdin"], env, "x" * 16)

    baseline, baseline_cpu, _, _ = timed(
        [
            sys.executable,
            "-c",
            BASELINE,
            str(csv_path),
            str(folder / "copy.csv"),
            str(folder / "copy.parquet"),
        ],
        env,
    )
    (folder / "copy.csv").unlink()
    (folder / "copy.parquet").unlink()
    run_seconds, run_cpu, run_stages, run_said = portal(["run", SLUG], env)
    approve = ["approve", SLUG, "--by", OFFICER]
    approve_seconds, approve_cpu, approve_stages, approve_said = portal(approve, env)
    print(f"portal run:     {run_said}")
    print(f"portal approve: {approve_said}\n")

    rows = []
    for command, seconds, cpu, stages in (
        ("run", run_seconds, run_cpu, run_stages),
        ("approve", approve_seconds, approve_cpu, approve_stages),
    ):
        for record in stages:
            rows.append((command, record["stage"], record["seconds"], record["cpu"]))
        outside = seconds - sum(r["seconds"] for r in stages)
        outside_cpu = cpu - sum(r["cpu"] for r in stages)
        rows.append((command, "start-up, database, the rest", outside, outside_cpu))
    slowest = max(rows, key=lambda row: row[2])
    print(f"  {'':15} {'stage':40} {'wall':>9} {'CPU':>9}")
    for row in rows:
        command, stage, seconds, cpu = row
        mark = "  <- slowest" if row == slowest else ""
        print(f"  portal {command:8} {stage:40} {seconds:7.2f} s {cpu:7.2f} s{mark}")
    total = run_seconds + approve_seconds
    print(f"\n  portal run:     {run_seconds:7.2f} s (whole process; CPU {run_cpu:.2f} s)")
    print(f"  portal approve: {approve_seconds:7.2f} s (whole process; CPU {approve_cpu:.2f} s)")
    verdict = "met" if total < GOAL_SECONDS else "NOT met"
    if args.rows != 1_000_000:
        verdict = "set for 1,000,000 rows, not this size"
    print(f"  run + approve:  {total:7.2f} s (goal < {GOAL_SECONDS:.0f} s: {verdict})")
    print(
        f"  baseline (polars reads the source, writes CSV and Parquet): {baseline:.2f} s; "
        f"run + approve is {total / baseline:.1f}x the baseline"
    )
    print(
        f"  CPU seconds: run + approve {run_cpu + approve_cpu:.2f}, baseline {baseline_cpu:.2f} "
        f"({(run_cpu + approve_cpu) / baseline_cpu:.1f}x): steadier than wall time under load"
    )
    print(f"load average after: {load()}")
    print(f"work folder: {folder}" + ("" if args.keep else " (delete it when done)"))


if __name__ == "__main__":
    main()
