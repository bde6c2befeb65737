"""The edge cache (portal.web.edge): which requests it answers from memory, for how long, and
what it never keeps. A small real WSGI application stands behind it and counts its calls."""

from __future__ import annotations

from dataclasses import replace

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from portal import create_app
from portal.web import edge
from portal.web.edge import SHARED_SECONDS, SharedPages
from tests.conftest import login


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(edge.time, "monotonic", clock)
    return clock


class Behind:
    """A WSGI application that shares what `/shared` answers for `seconds`."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = 200
        self.cookie: str | None = None

    @Request.application
    def __call__(self, request: Request) -> Response:
        self.calls += 1
        language = request.cookies.get("lang") or request.headers.get("Accept-Language", "")
        response = Response(f"page {self.calls} in {language}", status=self.status)
        if self.cookie:
            response.set_cookie("session", self.cookie)
        if request.path == "/shared":
            request.environ[SHARED_SECONDS] = 1.0
        return response


@pytest.fixture
def behind() -> Behind:
    return Behind()


@pytest.fixture
def client(behind: Behind) -> Client:
    # Cookies as written in each request: no cookie jar in between.
    return Client(SharedPages(behind, language_cookie="lang"), use_cookies=False)


def text(client: Client, *args: object, **kwargs: object) -> str:
    return client.get(*args, **kwargs).get_data(as_text=True)


def test_a_shared_page_is_answered_from_memory_until_its_seconds_pass(client, behind, clock):
    first = client.get("/shared")
    again = client.get("/shared")
    clock.now += 0.99
    still = text(client, "/shared")
    clock.now += 0.02
    later = text(client, "/shared")

    assert first.get_data(as_text=True) == again.get_data(as_text=True) == still == "page 1 in "
    assert list(again.headers.items()) == list(first.headers.items())
    assert later == "page 2 in " and behind.calls == 2


def test_a_page_its_view_did_not_mark_is_never_kept(client, behind, clock):
    assert [text(client, "/other") for _ in range(2)] == ["page 1 in ", "page 2 in "]


@pytest.mark.parametrize(
    "request_args",
    [
        {"path": "/shared", "query_string": "lang=es"},
        {"path": "/shared", "headers": {"Cookie": "session=abc"}},
        {"path": "/shared", "headers": {"Cookie": "lang=es; remember_token=1|x"}},
        {"path": "/shared", "headers": {"Cookie": 'lang="es; session=abc"'}},
        {"path": "/shared", "method": "HEAD"},
        {"path": "/shared", "method": "POST"},
    ],
    ids=["query", "session", "remember-me", "session-in-quotes", "head", "post"],
)
def test_what_may_be_personal_always_reaches_the_application(client, behind, clock, request_args):
    for _ in range(2):
        client.open(**request_args)

    assert behind.calls == 2


def test_each_language_has_its_own_copy(client, behind, clock):
    spanish = text(client, "/shared", headers={"Accept-Language": "es"})
    english = text(client, "/shared", headers={"Accept-Language": "en"})
    chosen = text(client, "/shared", headers={"Cookie": "lang=es"})

    assert (spanish, english, chosen) == ("page 1 in es", "page 2 in en", "page 3 in es")
    assert text(client, "/shared", headers={"Accept-Language": "es"}) == "page 1 in es"
    assert text(client, "/shared", headers={"Cookie": "lang=es"}) == "page 3 in es"


@pytest.mark.parametrize("status, cookie", [(500, None), (404, None), (200, "signed")])
def test_an_error_or_a_response_that_sets_a_cookie_is_never_kept(
    client, behind, clock, status, cookie
):
    behind.status, behind.cookie = status, cookie
    answers = [client.get("/shared") for _ in range(2)]

    assert behind.calls == 2
    assert [a.status_code for a in answers] == [status, status]


def test_the_cache_holds_a_bounded_number_of_pages(client, behind, clock, monkeypatch):
    monkeypatch.setattr(edge, "ENTRIES", 3)
    for spelling in range(10):
        client.get("/shared", headers={"Accept-Language": f"x-{spelling}"})

    assert len(client.application.kept) == 3


def test_the_index_as_served_is_kept_at_the_edge_whole(portal, published_uof):
    app = create_app(replace(portal.config, testing=False))  # as served: the cache is on
    client = app.test_client()

    fresh = client.get("/")
    kept = client.get("/")
    login(client)
    signed_in = client.get("/").get_data(as_text=True)
    app.extensions["portal"].db.dispose()

    assert kept.get_data() == fresh.get_data()
    assert sorted(kept.headers.items()) == sorted(fresh.headers.items())
    assert kept.headers["Content-Security-Policy"]  # the edge sits inside the security headers
    assert "Records office" in signed_in and "Records office" not in fresh.get_data(as_text=True)
