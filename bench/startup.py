"""Start-up of the `portal` command against a bare Python and a bare click (run by hand).

    python bench/startup.py [--repeat 7]

Times whole processes, interleaved: `python -c pass`, `python -c "import click"`,
`python -m portal --help` and `python -m portal validate --help`, and prints the median
wall and CPU seconds of each and `portal --help` against the goal (< 0.3 s). On a busy
machine wall seconds grow for all alike: read the CPU seconds and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 0.3
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import click'": ["-c", "import click"],
    "portal --help": ["-m", "portal", "--help"],
    "portal validate --help": ["-m", "portal", "validate", "--help"],
}


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one whole process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{args} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            runs[name].append(timed(command, env))
    medians = {
        name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for name, got in runs.items()
    }
    bare_wall, bare_cpu = medians["python -c pass"]
    for name, (wall, cpu) in medians.items():
        print(
            f"  {name:28} wall {wall:6.3f} s ({wall / bare_wall:4.1f}x bare python)  "
            f"cpu {cpu:6.3f} s ({cpu / bare_cpu:4.1f}x)"
        )
    wall, cpu = medians["portal --help"]
    print(
        f"portal --help: wall {wall:.3f} s, cpu {cpu:.3f} s "
        f"(goal < {GOAL_SECONDS} s: wall {'met' if wall < GOAL_SECONDS else 'NOT met'}, "
        f"cpu {'met' if cpu < GOAL_SECONDS else 'NOT met'})"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
