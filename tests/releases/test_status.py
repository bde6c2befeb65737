"""The public status page: the publishing calendar, run outcomes in plain words, the ledger head."""

from __future__ import annotations

from portal.datasets.freshness import parse_cadence
from tests.flow import publish, run


def test_the_status_page_shows_the_calendar_and_outcomes_but_never_error_text(
    portal, client, officer
):
    version = publish(portal, officer, "tiny")
    (portal.config.data_dir / "tiny" / "stops.csv").unlink()
    failed = run(portal, "tiny")
    assert failed.status.value == "failed" and failed.error

    page = client.get("/status").get_data(as_text=True)
    data = client.get("/api/v1/status").get_json()

    head = client.get("/ledger.json").get_json()["head"]
    assert head["hash"] in page
    assert data["ledger"]["hash"] == head["hash"]
    # Each run's final outcome, not what it was on the way (#19).
    assert "source unavailable; the published data is unchanged" in page
    assert f"published as version 1 ({version.published_at:%-d %B %Y})" in page
    assert "awaits review" not in page
    assert failed.error not in page and "stops.csv" not in page
    assert "stops.csv" not in str(data)
    [tiny] = data["datasets"]
    expected = parse_cadence("P1M").after(version.published_at)
    assert tiny["freshness"]["status"] == "on-time"
    assert tiny["freshness"]["next_expected"][:10] == expected.isoformat()[:10]
    assert expected.strftime("%-d %B %Y") in page
    assert [r["status"] for r in tiny["runs"]] == ["failed", "succeeded"]
