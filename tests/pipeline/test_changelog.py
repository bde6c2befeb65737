"""A version's changelog is the candidate's diff when nothing was published in between, and
is computed again against what the public sees when something was."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.datasets.definitions import get_dataset
from portal.models import Version
from portal.releases import publishing, retractions
from portal.storage import LocalStorage
from portal.users import get_user
from tests.flow import approve, revise_history, run


def recomputed(portal, number: int) -> dict:  # noqa: ANN001
    """The changelog of version `number`, computed from the files alone (no run report)."""
    with portal.db.session() as session:
        dataset = get_dataset(session, "use-of-force")
        versions = {
            v.number: v for v in session.scalars(select(Version).filter_by(dataset_id=dataset.id))
        }
        version, previous = versions[number], versions.get(number - 1)
        before = dataset.current_version_id
        dataset.current_version_id = previous.id if previous else None
        storage = LocalStorage(portal.config.data_dir)
        tables = {
            f.resource_name: storage.path(f.path)
            for f in version.files
            if f.resource_name and f.media_type == "text/csv"
        }
        found = publishing.changelog(session, storage, dataset, tables)
        dataset.current_version_id = before
        session.rollback()
        return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_changelog_is_the_reviewed_diff_of_the_same_files(
    portal, uof_source, officer, published_uof
):
    revise_history(uof_source)
    result = run(portal)

    version = approve(portal, officer)

    incidents = version.changelog["resources"]["incidents"]
    assert incidents["changed"] == 1 and incidents["added"] == 0
    assert incidents["changed"] == result.report["diff"]["incidents"]["changed"]
    assert version.changelog == recomputed(portal, 2)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_version_withdrawn_after_the_run_is_not_what_the_changelog_compares_with(
    portal, uof_source, officer, published_uof
):
    revise_history(uof_source)
    result = run(portal)
    assert result.report["diff"]["incidents"]["changed"] == 1
    with portal.db.session() as session:
        user = get_user(session, officer)
        retractions.retract(session, "use-of-force", 1, user, "Wrong ethnicity in one row.")

    version = approve(portal, officer)

    # Nothing is public any more: the new version is compared with nothing.
    assert version.changelog["previous"] is None
    assert version.changelog["resources"]["incidents"]["first"] is True
