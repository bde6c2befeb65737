"""The public JSON API (`/api/v1/`): the JSON twin of every public page."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> tuple[Blueprint, Blueprint]:
    """The `/api/v1/` blueprint with every API module's routes on it, and the `/api/` docs."""
    from portal.api import (  # noqa: F401
        accountability,
        community,
        compare,
        policies,
        runs,
        tables,
        v1,
    )
    from portal.api.blueprint import api
    from portal.api.openapi import docs

    return api, docs
