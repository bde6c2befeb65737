"""How long each step of a long job took, as log records (run and publish stages).

The records go to the process's logging (`portal scheduler` writes them as JSON lines;
`bench/publish.py` reads them), never into reports or published files.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("portal.timing")


class Laps:
    """A stopwatch for the named steps of one job: `lap("validate")` after each step."""

    def __init__(self, job: str, **context: object) -> None:
        self.job = job
        self.context = context
        self.started = self.last = time.perf_counter()
        self.last_cpu = time.process_time()

    def lap(self, stage: str) -> float:
        """Log the seconds since the previous lap (or the start) as the stage's time, with
        the process's CPU seconds in that time (every thread's: more than the wall time when
        a stage keeps several cores busy)."""
        now, cpu = time.perf_counter(), time.process_time()
        seconds, self.last = now - self.last, now
        cpu_seconds, self.last_cpu = cpu - self.last_cpu, cpu
        log.info(
            "%s: %s took %.2f s (CPU %.2f s)",
            self.job,
            stage,
            seconds,
            cpu_seconds,
            extra={
                "job": self.job,
                "stage": stage,
                "seconds": round(seconds, 3),
                "cpu": round(cpu_seconds, 3),
                **self.context,
            },
        )
        return seconds
