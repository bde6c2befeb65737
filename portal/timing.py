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

    def lap(self, stage: str) -> float:
        """Log the seconds since the previous lap (or the start) as the stage's time."""
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        log.info(
            "%s: %s took %.2f s",
            self.job,
            stage,
            seconds,
            extra={"job": self.job, "stage": stage, "seconds": round(seconds, 3), **self.context},
        )
        return seconds
