"""Corrections: recorded by an officer, public at once or with the next version, linked to
the data problem a resident reported."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.cli import main
from portal.db import make_engine
from portal.models import Dataset
from portal.releases import corrections
from tests.conftest import csrf_token, login
from tests.flow import publish
from tests.releases.conftest import write_source

WRONG = "Stops in 2026-09 were counted twice."
CHANGED = "The September count was halved to 65."


def _everywhere(client) -> dict[str, bool]:
    return {
        path: WRONG in client.get(path).get_data(as_text=True)
        for path in (
            "/datasets/tiny/",
            "/datasets/tiny/versions/",
            "/datasets/tiny/feed.atom",
            "/feed.atom",
            "/api/v1/datasets/tiny/corrections",
            "/ledger.json",
        )
    }


def test_a_correction_recorded_in_the_office_is_published_at_once_everywhere(
    portal, client, officer, runner
):
    publish(portal, officer, "tiny")
    login(client)
    token = csrf_token(client, "/office/corrections/")

    page = client.post(
        "/office/corrections/",
        data={
            "csrf_token": token,
            "dataset": "tiny",
            "version": "1",
            "what_was_wrong": WRONG,
            "what_changed": CHANGED,
            "rows": "2026-09\n2026-10, 2026-08",
            "publish": "now",
        },
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "recorded and published" in page
    assert _everywhere(client) == dict.fromkeys(_everywhere(client), True)
    [shown] = client.get("/api/v1/datasets/tiny/corrections").get_json()["corrections"]
    assert shown["version"] == 1 and shown["rows"] == ["2026-09", "2026-10", "2026-08"]
    assert shown["published_with_version"] is None
    entry = client.get("/ledger.json").get_json()["entries"][0]["entry"]
    assert entry["kind"] == "correction" and entry["correction"]["what_changed"] == CHANGED
    assert runner.invoke(main, ["verify"]).exit_code == 0

    engine = make_engine(portal.config.database_url)
    with engine.begin() as connection:  # rewriting history behind the ledger's back
        connection.exec_driver_sql("UPDATE corrections SET what_changed = 'Nothing changed.'")
    engine.dispose()
    rewritten = runner.invoke(main, ["verify"])
    assert rewritten.exit_code == 1
    assert "correction 1: the database differs from ledger entry 2" in rewritten.output


def test_a_correction_for_the_next_version_waits_for_it_and_closes_the_reported_problem(
    portal, client, officer
):
    from portal.community.models import Comment, CommentKind, CommentStatus

    publish(portal, officer, "tiny")
    with portal.db.session() as session:
        dataset_id = session.scalar(select(Dataset.id).where(Dataset.slug == "tiny"))
        report = Comment(
            dataset_id=dataset_id,
            kind=CommentKind.PROBLEM,
            status=CommentStatus.PUBLISHED,
            body="September looks doubled.",
        )
        remark = Comment(
            dataset_id=dataset_id,
            kind=CommentKind.COMMENT,
            status=CommentStatus.PUBLISHED,
            body="Thanks!",
        )
        session.add_all([report, remark])
        session.flush()
        with pytest.raises(corrections.CorrectionRefused, match="not a reported data problem"):
            corrections.record(
                session, portal.config, "tiny", 1, officer, WRONG, CHANGED, comment_id=remark.id
            )
        corrections.record(
            session,
            portal.config,
            "tiny",
            1,
            officer,
            WRONG,
            CHANGED,
            with_next_version=True,
            comment_id=report.id,
        )
        report_id = report.id

    assert _everywhere(client) == dict.fromkeys(_everywhere(client), False)

    write_source(portal.config.data_dir, [("2026-09", 65), ("2026-10", 118)])
    version = publish(portal, officer, "tiny")

    assert _everywhere(client) == dict.fromkeys(_everywhere(client), True)
    [shown] = client.get("/api/v1/datasets/tiny/corrections").get_json()["corrections"]
    assert (shown["version"], shown["published_with_version"]) == (1, 2)
    assert shown["comment_id"] == report_id
    assert "Fixed in version 2" in client.get("/datasets/tiny/versions/").get_data(as_text=True)
    with portal.db.session() as session:
        assert session.get(Comment, report_id).fixed_in_version_id == version.id
