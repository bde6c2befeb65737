"""Releases: what every decision and publish of a dataset checks first: who acts, and its lock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import begin_write
from portal.errors import PermissionDenied, UnknownDataset
from portal.models import Dataset, User


def lock_dataset(session: Session, slug: str) -> Dataset:
    """The dataset's row, locked until commit: its decisions and publishes queue up here."""
    begin_write(session)
    dataset = session.scalar(
        select(Dataset)
        .where(Dataset.slug == slug)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if dataset is None:
        raise UnknownDataset(f"no dataset named {slug!r}")
    return dataset


def require_active(user: User) -> None:
    """Only an active account may approve, reject, retract or cancel a release."""
    if not user.active:
        raise PermissionDenied(f"{user.email} is not an active user")
