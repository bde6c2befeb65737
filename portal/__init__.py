"""Open-data publishing portal for police departments."""

from __future__ import annotations

import os
from typing import Any

# The portal does no linear algebra, yet numpy's OpenBLAS starts a thread per core on
# import that spins for about 0.1 s, a whole core taken from polars and the importing
# thread. Read when numpy is first imported, so set before any portal module imports it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so the CLI and the scheduler do not import Flask until they serve pages.
    if name == "create_app":
        from portal.app import create_app

        return create_app
    raise AttributeError(name)
