"""The web edge under attack and bad luck: stolen cookies after logout, huge path integers,
CR/LF in `next`, oversized bodies, multi-range requests, sign-in limits. Both databases."""

from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from portal import db
from portal.cli import main
from tests.conftest import ADMIN, OFFICER, csrf_token, login
from tests.flow import publish
from tests.scheduler.conftest import tiny_config

QUIET_CRON = "0 6 2 1 *"


@pytest.fixture
def config(tmp_path, database_url):
    return tiny_config(tmp_path, database_url, QUIET_CRON)


@pytest.fixture
def published(portal, officer):
    return publish(portal, officer, "tiny")


def _steal(app, client):  # noqa: ANN001, ANN202
    """A second browser holding a copy of the signed-in session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    assert thief.get("/office/").status_code == 200
    return thief


def test_logout_ends_a_stolen_copy_of_the_session_cookie(app, client, officer):
    assert login(client).status_code == 302
    thief = _steal(app, client)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/office/")})

    answer = thief.get("/office/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize(
    "change",
    [
        ["users", "set-password", OFFICER[0], "--password-stdin"],
        ["users", "set-role", OFFICER[0], "admin"],
        ["users", "disable", OFFICER[0]],
    ],
    ids=["password", "role", "disable"],
)
def test_an_account_change_ends_every_session_of_that_account(app, client, config, officer, change):
    assert login(client).status_code == 302
    thief = _steal(app, client)
    runner = CliRunner(
        env={
            "PORTAL_DATA_DIR": str(config.data_dir),
            "DATABASE_URL": config.database_url,
            "SECRET_KEY": config.secret_key,
        }
    )

    done = runner.invoke(main, change, input="a brand new password 123\n")

    assert done.exit_code == 0, done.output
    for browser in (client, thief):
        assert browser.get("/office/").status_code == 302
    other = app.test_client()
    assert login(other, *ADMIN).status_code == 302  # other accounts keep working
    assert other.get("/office/").status_code == 200


HUGE = [2**31, 2**63, 10**30]
PUBLIC_PATHS = ["/datasets/tiny/v{n}/stops.csv", "/surveys/{n}/", "/surveys/{n}/thanks"]
OFFICE_PATHS = ["/office/candidates/{n}", "/office/runs/{n}"]
OFFICE_POSTS = [
    "/office/candidates/{n}/approve",
    "/office/candidates/{n}/reject",
    "/office/candidates/{n}/approve-at",
    "/office/users/{n}",
    "/office/moderation/{n}/publish",
    "/office/webhooks/{n}",
    "/office/subscribers/{n}/remove",
    "/datasets/tiny/versions/{n}/retract",
    "/surveys/{n}/",
]


def test_path_integers_beyond_the_database_answer_404_never_500(client, published, officer):
    for n in HUGE:
        for path in PUBLIC_PATHS:
            assert client.get(path.format(n=n)).status_code == 404, path.format(n=n)
    login(client, *ADMIN)
    token = csrf_token(client, "/office/")
    for n in HUGE:
        for path in OFFICE_PATHS:
            assert client.get(path.format(n=n)).status_code == 404, path.format(n=n)
        for path in OFFICE_POSTS:
            answer = client.post(path.format(n=n), data={"csrf_token": token})
            assert answer.status_code in (404, 405), path.format(n=n)  # no route takes it
    assert client.get("/datasets/tiny/v1/stops.csv").status_code == 200


@pytest.mark.parametrize(
    "target", ["/office/\r\nSet-Cookie: x=1", "/office/\nX: y", "/\\evil.example", "/\x00"]
)
def test_a_next_with_control_characters_is_refused_not_a_500(client, officer, target):
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login",
        query_string={"next": target},
        data={"email": OFFICER[0], "password": OFFICER[1], "csrf_token": token},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] in ("/office/", "http://localhost/office/")


def test_oversized_bodies_are_refused_before_they_are_read(client, published):
    big = b"x" * (150 * 1024)
    for path in ("/login", "/datasets/tiny/comments", "/surveys/1/"):
        answer = client.post(
            path, data=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert answer.status_code == 413, path
        assert "larger than this address accepts" in answer.get_data(as_text=True)
    small = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert small.status_code == 400  # read, and refused for its missing CSRF token


def test_a_multi_range_request_gets_the_whole_file(client, published):
    whole = client.get("/datasets/tiny/v1/stops.csv").data

    answer = client.get("/datasets/tiny/v1/stops.csv", headers={"Range": "bytes=0-3,8-12"})

    assert answer.status_code == 200 and answer.data == whole
    one = client.get("/datasets/tiny/v1/stops.csv", headers={"Range": "bytes=0-3"})
    assert one.status_code == 206 and one.data == whole[:4]


def _fail_login(app, address: str, email: str) -> int:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    import re

    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return browser.post(
        "/login", data={"email": email, "password": "wrong password", "csrf_token": token}
    ).status_code


def test_sign_in_is_limited_per_account_and_per_address_counting_failures(app, officer):
    # Ten addresses guessing at one account: the account is held, other accounts are not.
    assert [_fail_login(app, f"198.51.100.{i}", OFFICER[0]) for i in range(10)] == [401] * 10
    assert _fail_login(app, "198.51.100.99", OFFICER[0]) == 429
    assert _fail_login(app, "198.51.100.99", ADMIN[0]) == 401
    # One address guessing at many accounts is held too; other addresses are not.
    assert [_fail_login(app, "203.0.113.7", f"x{i}@example.org") for i in range(10)] == [401] * 10
    assert _fail_login(app, "203.0.113.7", "y@example.org") == 429
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert login(browser, *ADMIN).status_code == 302


@pytest.fixture
def short_busy_timeout(monkeypatch) -> None:
    """Three seconds of waiting for SQLite's write lock instead of thirty: same path, less wait."""
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 3)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sign_in_behind_a_long_publish_answers_503_and_changes_nothing(
    short_busy_timeout, app, config, officer
):
    """A publish holds SQLite's one write lock; a sign-in waits the busy timeout, then is told
    to try again (503, Retry-After) instead of a 500."""
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    publish_lock = sqlite3.connect(make_url(config.database_url).database, isolation_level=None)
    publish_lock.execute("BEGIN IMMEDIATE")
    try:
        response = browser.post(
            "/login", data={"email": OFFICER[0], "password": OFFICER[1], "csrf_token": token}
        )
    finally:
        publish_lock.rollback()
        publish_lock.close()
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "nothing was changed" in response.get_data(as_text=True)
    assert browser.get("/office/").status_code in (302, 401)  # not signed in
    assert login(browser, *OFFICER).status_code == 302  # the lock gone, it works again
