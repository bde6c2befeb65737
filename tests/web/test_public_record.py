"""A public record that never misleads: tombstones for withdrawn datasets, true run outcomes,
retraction that asks first, the search twin, helpful 404s and a ledger without e-mail addresses."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.cli import main
from portal.demo import use_of_force
from portal.models import AuditEvent, Dataset, Version
from portal.releases import retractions, review
from portal.users import get_user
from tests.conftest import ADMIN, OFFICER, csrf_token, login
from tests.flow import publish, run

NOTICE = "Districts were swapped in the extract."


def _retract(portal, number: int, reason: str = NOTICE) -> None:  # noqa: ANN001
    with portal.db.session() as session:
        retractions.retract(session, "use-of-force", number, get_user(session, OFFICER[0]), reason)


def _text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def test_a_dataset_with_every_version_retracted_answers_410_with_its_notice_everywhere(
    portal, client, uof_source, officer
):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    first = publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    publish(portal, officer)
    checksum = first.file("incidents.csv").sha256
    _retract(portal, 1, "Version 1 double counted October.")
    _retract(portal, 2)

    page = client.get("/datasets/use-of-force/")
    assert page.status_code == 410
    body = _text(page)
    assert "Withdrawn on" in body and NOTICE in body
    assert "Version 1 double counted October." in body
    assert checksum in body  # what was withdrawn can still be checked
    assert "Ledger entries of Use of force" in body and "withdrawn: version 2" in body
    assert 'href="/datasets/use-of-force/v1/' not in body  # withdrawn files are not links

    history = client.get("/datasets/use-of-force/versions/")
    assert history.status_code == 410 and NOTICE in _text(history)
    assert checksum in _text(history) and "(withdrawn)" in _text(history)

    latest = client.get("/datasets/use-of-force/latest/incidents.csv")
    assert latest.status_code == 410
    assert "was withdrawn" in _text(latest) and NOTICE in _text(latest)
    assert client.get("/datasets/use-of-force/v1/incidents.csv").status_code == 410

    api = client.get("/api/v1/datasets/use-of-force")
    assert api.status_code == 410
    assert NOTICE in api.json["error"]["message"] and "Withdrawn on" in api.json["error"]["message"]
    assert api.json["withdrawn"]["reason"] == NOTICE
    versions = client.get("/api/v1/datasets/use-of-force/versions")
    assert versions.status_code == 410
    assert [v["number"] for v in versions.json["versions"]] == [2, 1]
    assert all(f["withdrawn"] for v in versions.json["versions"] for f in v["files"])
    summary = _text(client.get("/"))
    assert "Withdrawn datasets" in summary and NOTICE in summary
    assert client.get("/api/v1/datasets/use-of-force/resources/incidents/rows").status_code == 410

    listed = client.get("/api/v1/datasets").json["datasets"]
    gone = next(d for d in listed if d["slug"] == "use-of-force")
    assert gone["current_version"] is None and gone["withdrawn"]["reason"] == NOTICE
    catalogue = _text(client.get("/datasets/"))
    assert "Use of force" in catalogue and NOTICE in catalogue

    status = _text(client.get("/status"))
    assert "Withdrawn on" in status and NOTICE in status and "not yet published" not in status
    assert client.get("/api/v1/status").json["datasets"][0]["withdrawn"].endswith(NOTICE)
    feed = _text(client.get("/datasets/use-of-force/feed.atom"))
    assert "withdrawn on" in feed and NOTICE in feed
    assert NOTICE in _text(client.get("/feed.atom"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_status_tells_each_runs_final_outcome(portal, client, uof_source, officer):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)  # run 1: published as version 1
    assert run(portal).status.value == "unchanged"  # run 2
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    run(portal)  # run 3: rejected
    with portal.db.session() as session:
        review.reject(session, "use-of-force", get_user(session, officer), "October incomplete")
    with uof_source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][2] = "not a date"
    rows[2][2] = "neither"
    with uof_source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert run(portal).status.value == "failed"  # run 4: failed validation
    _retract(portal, 1)

    words = [r["outcome"] for r in client.get("/api/v1/runs").json["datasets"][0]["runs"]]
    summaries = [r["summary"] for r in client.get("/api/v1/runs").json["datasets"][0]["runs"]]
    assert words == ["failed-validation", "rejected", "unchanged", "withdrawn"]
    assert re.fullmatch(r"failed validation \(\d+ problems\); .*", summaries[0])
    assert summaries[1].startswith("rejected on ") and "(October incomplete)" in summaries[1]
    assert summaries[3].startswith("published as version 1 (") and NOTICE in summaries[3]
    page = _text(client.get("/status"))
    for summary in summaries:
        assert summary.split(";")[0] in page
    assert "awaits review" not in page


def test_retracting_asks_first_and_says_what_happens(portal, client, uof_source, officer):
    publish(portal, officer)
    login(client)
    confirm = client.get("/office/datasets/use-of-force/versions/1/retract")
    text = _text(confirm)
    assert confirm.status_code == 200
    assert "410 Gone" in text and "Citations" in text and "whole dataset will be withdrawn" in text
    token = csrf_token(client, "/office/datasets/use-of-force/versions/1/retract")
    url = "/office/datasets/use-of-force/versions/1/retract"

    unconfirmed = client.post(url, data={"reason": "Wrong extract", "csrf_token": token})
    no_reason = client.post(url, data={"reason": " ", "confirm": "yes", "csrf_token": token})
    assert unconfirmed.status_code == 400 and "Nothing was retracted" in _text(unconfirmed)
    assert no_reason.status_code == 400 and "public reason" in _text(no_reason)
    assert client.get("/datasets/use-of-force/v1/incidents.csv").status_code == 200

    done = client.post(
        url,
        data={"reason": "Wrong extract", "confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    )
    assert "retracted" in _text(done)
    assert client.get("/datasets/use-of-force/v1/incidents.csv").status_code == 410
    with portal.db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "version.retract"))
        assert event.actor == OFFICER[0] and event.details["reason"] == "Wrong extract"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_portal_retract_asks_to_confirm_unless_yes(portal, runner, uof_source, officer):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    publish(portal, officer)
    args = ["retract", "use-of-force", "2", "--by", OFFICER[0], "--reason", "Wrong"]

    declined = runner.invoke(main, args, input="n\n")
    assert declined.exit_code == 1
    assert "latest/… will serve version 1 instead" in declined.output
    accepted = runner.invoke(main, args, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "latest is now version 1" in accepted.output
    scripted = runner.invoke(main, [*args[:2], "1", *args[3:], "--yes"])
    assert scripted.exit_code == 0, scripted.output
    assert "?" not in scripted.output and "latest is now nothing" in scripted.output
    with portal.db.session() as session:
        assert session.scalar(select(Dataset)).current_version_id is None
        assert all(v.retracted_at for v in session.scalars(select(Version)))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_ledger_names_roles_or_public_names_never_email_addresses(
    portal, client, uof_source, officer
):
    use_of_force.generate(uof_source.parent, until=date(2026, 10, 1))
    publish(portal, officer)
    login(client, *ADMIN)
    token = csrf_token(client, "/office/users/")
    with portal.db.session() as session:
        officer_id = get_user(session, OFFICER[0]).id
    refused = client.post(
        f"/office/users/{officer_id}",
        data={"action": "public_name", "public_name": "a@b.org", "csrf_token": token},
        follow_redirects=True,
    )
    assert "cannot be an e-mail address" in _text(refused)
    client.post(
        f"/office/users/{officer_id}",
        data={"action": "public_name", "public_name": "Lt. R. Ortiz", "csrf_token": token},
    )
    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    publish(portal, officer)

    ledger = _text(client.application.test_client().get("/ledger/"))  # as the public sees it
    assert "by Records officer" in ledger and "by Lt. R. Ortiz" in ledger
    assert "@example.org" not in ledger
    entries = client.get("/ledger.json").json["entries"]
    assert [e["entry"]["approved_by"] for e in entries] == ["Lt. R. Ortiz", "Records officer"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_catalogue_api_is_a_twin_of_the_search_page(portal, client, officer):
    from portal.demo import load_demo

    list(load_demo(portal, today=date(2026, 11, 24)))
    _retract(portal, 1)  # a withdrawn dataset is listed by both, with its notice
    for query in (
        "",
        "q=camera",
        "q=force",
        "family=use-of-force",
        "family=use-of-force&family=body-worn-cameras",
        "keyword=budget",
        "sort=recent",
        "q=nothing-at-all",
    ):
        page = _text(client.get(f"/datasets/?{query}"))
        on_page = re.findall(r'<h2><a href="/datasets/([^/]+)/">', page)
        api = client.get(f"/api/v1/datasets?{query}").json
        assert [d["slug"] for d in api["datasets"]] == on_page, query
        assert api["count"] == len(on_page), query
    assert re.findall(
        r'<h2><a href="/datasets/([^/]+)/">', _text(client.get("/datasets/?q=camera"))
    ) == ["body-worn-cameras"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unknown_sort_is_an_error_in_the_catalogue_and_its_api(client):
    assert client.get("/datasets/?sort=size").status_code == 400
    assert "cannot be sorted by" in _text(client.get("/datasets/?sort=size"))
    assert client.get("/api/v1/datasets?sort=size").status_code == 400


def test_a_missing_version_page_points_at_the_current_one(served_v1):
    client = served_v1
    missing = client.get("/datasets/use-of-force/v9/incidents.csv")
    text = _text(missing)
    assert missing.status_code == 404
    assert "The current version of" in text
    assert 'href="/datasets/use-of-force/v1/incidents.csv"' in text
    assert 'action="/datasets/"' in text  # a search box
    nowhere = client.get("/no/such/page")
    assert nowhere.status_code == 404 and 'action="/datasets/"' in _text(nowhere)


def test_about_this_dataset_says_what_a_journalist_asks_first_on_the_page_and_in_the_api(
    served_v1,
):
    client = served_v1
    page = _text(client.get("/datasets/use-of-force/"))
    about = client.get("/api/v1/datasets/use-of-force").json["about"]

    box = page[page.index('id="about-dataset"') :]
    box = box[: box.index("</section>")]
    # Above the fold: before the downloads and the previews.
    assert page.index('id="about-dataset"') < page.index('id="downloads"')
    assert (
        'href="https://opendatacommons.org/licenses/pddl/1-0/" rel="license">'
        "Open Data Commons Public Domain Dedication and License</a>" in box
    )
    assert about["licence_url"] == "https://opendatacommons.org/licenses/pddl/1-0/"
    assert about["coverage_start"] == "2019-01-01" and about["coverage_end"] == "2026-10-31"
    assert "1 January 2019 to 31 October 2026" in box
    assert about["update_frequency"] == "monthly" and "monthly; next release expected by" in box
    assert about["publisher"] == "Example City Police Department"
    assert 'href="mailto:records@police.example.gov"' in box
    assert about["contact_email"] == "records@police.example.gov"
    assert about["citation"] in box.replace("&#34;", '"') or about["citation_url"] in box
    assert about["citation_url"].endswith("/datasets/use-of-force/v1/datapackage.json")
