"""Real headless Chromium against the real app served on 127.0.0.1 (SQLite portal).

Fixtures: `live_server` (the base URL of `portal.create_app(config)` served by werkzeug in a
thread), `browser` (Debian's /usr/bin/chromium driven by Playwright; never downloaded),
`page` (a fresh context per test) and `console_errors` (everything the page logged as an
error, or threw, for the test to assert on); `demo_site` (`portal demo` served once per
session for tests that only read) and `serve_demo` (a test's own demo portal, to change).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.datasets.context import Portal

# A published community-trust dataset to comment on (its fixtures chain survey -> answered).
from tests.community.conftest import answered, published_trust, survey  # noqa: F401
from tests.support.demo import DemoPortals

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def database_url(tmp_path) -> str:  # noqa: ANN001
    """Browser tests run on SQLite only: the pages, not the engines, are under test here."""
    return f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "chromium is not installed: the browser tests need Debian's chromium package "
            "(apt-get install chromium; scripts/test.sh installs it). Never `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser, console_errors: list[str]):  # noqa: ANN001, ANN201
    context = browser.new_context()
    # Chromium asks every site for /favicon.ico on its own, and the portal has none (yet):
    # answer it here so that only the pages' own errors reach console_errors.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.on(
        "console",
        lambda message: (
            console_errors.append(f"{opened.url}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    opened.on("pageerror", lambda error: console_errors.append(f"{opened.url}: {error}"))
    yield opened
    context.close()


# The demo portal served for the public-site, accessibility and office-flow tests. --------

DEMO_TODAY = date(2026, 11, 24)
DEMO_OFFICER = ("officer@example.org", "demo-officer-password")  # portal.demo's account
AXE = Path(__file__).resolve().parents[2] / ".cache" / "node" / "node_modules" / "axe-core"


@dataclass(frozen=True)
class DemoSite:
    url: str
    portal: Portal


@contextmanager
def serve_demo(folder: Path, demo_portals: DemoPortals) -> Iterator[DemoSite]:
    """`portal demo`'s portal, copied into `folder` (SQLite), served on 127.0.0.1."""
    config = demo_portals.copy(folder, DEMO_TODAY, "browser-test-secret")
    portal = Portal(config)
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    try:
        yield DemoSite(f"http://127.0.0.1:{server.server_port}", portal)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["portal"].db.dispose()
        portal.db.dispose()


@pytest.fixture(scope="session")
def demo_site(
    tmp_path_factory: pytest.TempPathFactory, demo_portals: DemoPortals
) -> Iterator[DemoSite]:
    """One demo portal for the tests that only read it."""
    with serve_demo(tmp_path_factory.mktemp("demo-site"), demo_portals) as site:
        yield site


def sign_in(page, url: str, email: str, password: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: not address.endswith("/login"))
