"""Dataset pages kept whole for readers who are not signed in: never older than the record.

A kept page must show a new version's numbers as soon as it is published, the old ones again
once it is retracted, and give every reader a comment form that works with their own token.
"""

from __future__ import annotations

import html
import re
from datetime import date

from portal.datasets.generation import current_generation
from portal.demo import use_of_force
from portal.releases import retractions
from portal.users import get_user
from tests.conftest import OFFICER, csrf_token, login
from tests.flow import publish

PAGE = "/datasets/use-of-force/"
FILTERED = PAGE + "?table=incidents&district=D3&sort=-incident_date"


def _figures(client, url: str) -> tuple[str, str, str]:  # noqa: ANN001
    """(rows in the table, its version, rows matching) as the preview says them."""
    response = client.get(url)
    assert response.status_code == 200
    words = re.sub(
        r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    )
    rows, version = re.search(r"([\d,]+) rows in version (\d+)\.", words).groups()
    matching = re.search(r"([\d,]+) rows? match", words).group(1)
    return rows, version, matching


def test_a_kept_dataset_page_shows_each_publication_and_retraction_at_once(
    portal, app, uof_source, officer
):
    use_of_force.generate(uof_source.parent, until=date(2026, 9, 1))
    publish(portal, officer)
    reader = app.test_client()  # no cookies: the page every anonymous reader shares
    first = {url: _figures(reader, url) for url in (PAGE, FILTERED)}
    again = {url: _figures(app.test_client(), url) for url in (PAGE, FILTERED)}

    use_of_force.generate(uof_source.parent, until=date(2026, 11, 1))
    publish(portal, officer)  # more months of incidents: more rows, more in district 3
    second = {url: _figures(app.test_client(), url) for url in (PAGE, FILTERED)}

    with portal.db.session() as session:
        retractions.retract(
            session, "use-of-force", 2, get_user(session, OFFICER[0]), "October was counted twice."
        )
    after_retraction = {url: _figures(app.test_client(), url) for url in (PAGE, FILTERED)}

    assert again == first and first[PAGE][1] == "1"
    assert second[PAGE][1] == "2" and second[FILTERED][1] == "2"
    assert int(second[PAGE][0].replace(",", "")) > int(first[PAGE][0].replace(",", ""))
    assert int(second[FILTERED][2].replace(",", "")) > int(first[FILTERED][2].replace(",", ""))
    assert after_retraction == first  # version 1's numbers again, at once


def _token(response) -> str:  # noqa: ANN001
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_every_reader_of_a_kept_page_gets_a_comment_form_that_works(app, published_uof):
    alice, bob = app.test_client(), app.test_client()
    alice_page, bob_page = alice.get(PAGE), bob.get(PAGE)
    alice_token, bob_token = _token(alice_page), _token(bob_page)
    comment = {"kind": "question", "body": "Why is district 3 so high in March?", "name": ""}

    crossed = bob.post(PAGE + "comments", data={**comment, "csrf_token": alice_token})
    sent = alice.post(PAGE + "comments", data={**comment, "csrf_token": alice_token})
    thanked = alice.get(PAGE)
    later = alice.get(PAGE)

    assert alice_token != bob_token  # one reader's token is never handed to another
    assert alice_page.status_code == bob_page.status_code == 200
    assert crossed.status_code == 400 and "Form expired" in crossed.get_data(as_text=True)
    assert sent.status_code == 303
    assert "Comment sent" in thanked.get_data(as_text=True)  # the thanks are this reader's alone
    assert "Comment sent" not in later.get_data(as_text=True) and "Comment sent" not in bob.get(
        PAGE
    ).get_data(as_text=True)


def test_sign_ins_and_failed_ones_keep_the_kept_pages(portal, app, published_uof):
    # A page is kept per generation; sign-ins are audited but show nowhere, so a flood of
    # failed ones must not make every worker render its pages anew.
    engine = app.extensions["portal"].db.engine
    before = current_generation(engine)
    visitor = app.test_client()
    for password in ("wrong", "still wrong"):
        refused = login(visitor, OFFICER[0], password)
        assert refused.status_code == 401  # the sign-in form again, with its message
    login(visitor)
    visitor.post("/logout", data={"csrf_token": csrf_token(visitor, "/office/")})
    after_sign_ins = current_generation(engine)
    with portal.db.session() as session:
        retractions.retract(session, "use-of-force", 1, get_user(session, OFFICER[0]), "Recounted.")

    assert after_sign_ins == before
    assert current_generation(engine) > before
