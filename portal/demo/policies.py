"""The demo's policy library: the repository's `policies/` folder, every version approved in
effective-date order with the summary its file offers, as an officer would."""

from __future__ import annotations

from collections.abc import Iterator

from portal.datasets.context import Portal
from portal.models import User
from portal.policies import review, sources
from portal.policies.models import PolicyStatus


def load(portal: Portal, officer: User) -> Iterator[str]:
    config = portal.config
    definitions, broken = sources.load_definitions(config.policies_dir)
    for slug, error in broken.items():
        yield f"policy {slug}: not loaded: {error}"
    for definition in definitions:
        summaries = {item.path.name: item.summary for item in definition.versions}
        with portal.db.session() as session:
            outcomes = sources.sync_definition(session, config, definition, "demo")
            published = 0
            for outcome in outcomes:
                version = outcome.version
                if version is None or version.status != PolicyStatus.CANDIDATE:
                    continue
                summary = summaries.get(version.original_name) or "Published by the demo."
                review.approve(session, config, version.id, session.merge(officer), summary)
                published += 1
        held = len(outcomes) - published
        yield f"policy {definition.slug}: published {published} version(s)" + (
            f", {held} already held" if held else ""
        )
