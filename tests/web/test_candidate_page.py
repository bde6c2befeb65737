"""The candidate page a records officer decides on: verdict first, rows that matter, one form."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.demo import use_of_force
from portal.models import Candidate, CandidateStatus, Version
from tests.conftest import csrf_token, login
from tests.flow import publish, revise_history, run


def _latest_candidate(portal) -> int:
    with portal.db.session() as session:
        return session.scalar(select(func.max(Candidate.id)))


def _revised_candidate(portal, uof_source, officer) -> tuple[int, tuple[str, str]]:
    """Version 1 up to September 2026; a candidate adding October and correcting one 2023 row."""
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    revised = revise_history(uof_source)
    assert run(portal).status.value == "succeeded"
    return _latest_candidate(portal), revised


def _verdict(page: str) -> str:
    return re.search(r'<section class="verdict".*?</section>', page, re.S).group(0)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# SQLite only for the four tests of what the page shows (verdict, row lists, column summaries,
# full preview): computed from the staged and published files by polars, whatever the engine.
# The headline figures and the decisions (one form, refused, superseded) run on both.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_one_revised_historical_value_is_called_out_in_the_verdict(
    portal, client, uof_source, officer
):
    candidate, (incident, subject) = _revised_candidate(portal, uof_source, officer)
    login(client)

    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)

    verdict = _text(_verdict(page))
    assert "Revises published incidents: 2023-" in verdict
    assert "(1 changed)" in verdict
    assert re.search(rf"{incident}, {subject}: subject_ethnicity \S+ → \S+", verdict)
    assert re.search(r"incidents \+\d[\d,]* added −0 removed ~1 changed", verdict)
    # The changed row is listed expanded, its changed cell highlighted with the public value.
    changed = re.search(r'<table class="rows changed">.*?</table>', page, re.S).group(0)
    assert incident in changed and 'class="changed"' in changed and "<del>" in changed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_added_rows_come_first_and_page_with_counts_that_match(portal, client, uof_source, officer):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    with portal.db.session() as session:
        added = session.get(Candidate, candidate).report["diff"]["incidents"]["added"]
    login(client)

    first = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)
    second = client.get(f"/office/candidates/{candidate}?incidents.added=2").get_data(as_text=True)
    beyond = client.get(f"/office/candidates/{candidate}?incidents.added=999999")

    assert f"Rows added to incidents: {added:,}" in first
    assert first.index("Rows added to incidents") < first.index("Rows changed in incidents")
    assert first.index("Rows changed in incidents") < first.index("Rows removed from incidents")
    assert "rows 1 to 20 of" in first and "rows 21 to 40 of" in second
    assert "UOF-2026-10" in first  # October's incidents, not the oldest rows of 2019
    assert "UOF-2019-" not in re.search(r"Rows added to incidents.*?</table>", first, re.S)[0]
    assert beyond.status_code == 200  # a page past the end shows the last page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_numbers_read_as_on_the_public_pages(portal, client, uof_source, officer):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    login(client)

    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)

    summaries = re.search(r"Column summaries of incidents:.*?</table>", page, re.S).group(0)
    officers = re.search(r"officers_involved</th>.*?</tr>", summaries, re.S).group(0)
    assert re.search(r"<td>\d+ – \d+ → \d+ – \d+</td>", officers)  # "1 – 4", never "1.0"
    assert ".0" not in officers
    assert re.search(r"\d,\d{3} rows", _text(_verdict(page)))  # thousands separators
    assert re.search(r"\d+\.\d%", page)  # a share as a percentage, from the figures


def test_the_headline_figures_show_public_now_and_after_approval(
    portal, client, uof_source, officer
):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    login(client)

    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)

    figures = _text(re.search(r'<section aria-labelledby="figures">.*?</section>', page, re.S)[0])
    assert "Public now" in figures and "After approval" in figures
    assert "Use-of-force incidents" in figures
    assert "Sep 2026" in figures and "Oct 2026" in figures  # both periods named


def test_one_form_decides_on_the_reviewed_candidate_only(portal, client, uof_source, officer):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    login(client)
    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)
    token = csrf_token(client, f"/office/candidates/{candidate}")

    assert page.count('<form method="post" action="/office/candidates/') == 1
    assert page.count('name="note"') == 1
    assert 'type="datetime-local"' in page and '<select id="publish-tz" name="tz">' in page
    assert "<option selected>America/Chicago</option>" in page  # the dataset's zone
    assert f"Decision on candidate {candidate}" in page

    forged = client.post(
        f"/office/candidates/{candidate}/approve",
        data={"csrf_token": token, "candidate_id": str(candidate - 1), "note": "keep me"},
    )
    assert forged.status_code == 409
    assert f"Nothing was decided: this form was for candidate {candidate - 1}" in forged.get_data(
        as_text=True
    )
    assert "keep me</textarea>" in forged.get_data(as_text=True)
    with portal.db.session() as session:
        assert session.get(Candidate, candidate).status == CandidateStatus.PENDING
        assert session.scalar(select(func.count(Version.id))) == 1


def test_a_refused_decision_keeps_the_note_and_the_time(portal, client, uof_source, officer):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    login(client)
    token = csrf_token(client, f"/office/candidates/{candidate}")

    no_reason = client.post(
        f"/office/candidates/{candidate}/reject",
        data={"csrf_token": token, "candidate_id": str(candidate), "note": "  "},
    )
    bad_zone = client.post(
        f"/office/candidates/{candidate}/approve-at",
        data={
            "csrf_token": token,
            "candidate_id": str(candidate),
            "note": "October added",
            "publish_at": "2099-01-02T09:30",
            "tz": "Mars/Olympus",
        },
    )

    assert no_reason.status_code == 400 and "needs a note" in no_reason.get_data(as_text=True)
    text = bad_zone.get_data(as_text=True)
    assert bad_zone.status_code == 400 and "unknown time zone" in text
    assert "October added</textarea>" in text and 'value="2099-01-02T09:30"' in text
    with portal.db.session() as session:
        assert session.get(Candidate, candidate).status == CandidateStatus.PENDING


def test_a_superseded_candidate_cannot_be_approved_from_its_old_page(
    portal, client, uof_source, officer
):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    run(portal)
    reviewed = _latest_candidate(portal)
    login(client)
    token = csrf_token(client, f"/office/candidates/{reviewed}")
    revise_history(uof_source)
    run(portal)  # a newer candidate replaces the one on the officer's screen

    response = client.post(
        f"/office/candidates/{reviewed}/approve",
        data={"csrf_token": token, "candidate_id": str(reviewed)},
    )

    # The newer run superseded it (#16): the 409 page says so, and who and when.
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"candidate {reviewed} was already decided (superseded) by" in text and " UTC" in text
    with portal.db.session() as session:
        assert session.scalar(select(func.count(Version.id))) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_full_staged_preview_is_behind_a_link(portal, client, uof_source, officer):
    candidate, _ = _revised_candidate(portal, uof_source, officer)
    login(client)

    page = client.get(f"/office/candidates/{candidate}").get_data(as_text=True)
    preview = client.get(f"/office/candidates/{candidate}/files/incidents?page=2")

    assert f'href="/office/candidates/{candidate}/files/incidents"' in page
    assert preview.status_code == 200
    assert "rows 21 to 40 of" in preview.get_data(as_text=True)
    assert client.get(f"/office/candidates/{candidate}/files/nothing").status_code == 404
    assert client.get(f"/office/candidates/{candidate}/files/incidents?page=x").status_code == 200
