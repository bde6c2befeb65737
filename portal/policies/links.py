"""Policies and the data they govern: `policies:` in a dataset's dataset.yaml names them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from portal.datasets.definitions import DatasetDefinition
from portal.policies import library
from portal.policies.models import Policy, PolicyVersion


@dataclass(frozen=True)
class GoverningPolicy:
    """A policy beside a dataset: the version in effect at the end of the period shown, and
    every published version's effective date inside that period (for the charts' axes)."""

    policy: Policy
    in_effect: PolicyVersion | None
    changes: list[PolicyVersion]


def governed_datasets(
    definitions: Mapping[str, DatasetDefinition], slug: str
) -> list[DatasetDefinition]:
    """The datasets whose dataset.yaml names this policy, by title."""
    found = [d for d in definitions.values() if slug in (d.meta.get("policies") or [])]
    return sorted(found, key=lambda d: d.title)


def governing(
    session: Session, definition: DatasetDefinition, start: date | None, end: date | None
) -> list[GoverningPolicy]:
    """The policies a dataset names (those with a public version), for the period shown."""
    result = []
    for policy in library.by_slugs(session, list(definition.meta.get("policies") or [])):
        published = [v for v in policy.versions if v.status.value == "published"]
        if not published:
            continue
        on = end or date.max
        changes = sorted(
            (
                v
                for v in published
                if (start is None or v.effective_on >= start) and v.effective_on <= on
            ),
            key=lambda v: v.effective_on,
        )
        result.append(GoverningPolicy(policy, library.in_effect(published, on), changes))
    return result
