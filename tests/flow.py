"""Helpers that walk a dataset through the flow the way a user would."""

from __future__ import annotations

from portal.datasets.context import Portal
from portal.models import Run, Version
from portal.pipeline.run import run_dataset
from portal.releases import review
from portal.users import get_user


def run(portal: Portal, slug: str = "use-of-force", **kwargs: object) -> Run:
    return run_dataset(portal.db, portal.definition(slug), **kwargs)


def approve(portal: Portal, email: str, slug: str = "use-of-force", note: str = "") -> Version:
    with portal.db.session() as session:
        version = review.approve(session, portal.config, slug, get_user(session, email), note)
        session.flush()
        return version


def publish(portal: Portal, email: str, slug: str = "use-of-force") -> Version:
    result = run(portal, slug)
    assert result.status.value == "succeeded", result.error
    return approve(portal, email, slug)
