"""Open-data publishing portal for police departments."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so the CLI and the scheduler do not import Flask until they serve pages.
    if name == "create_app":
        from portal.app import create_app

        return create_app
    raise AttributeError(name)
