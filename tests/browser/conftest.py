"""Real headless Chromium against the real app served on 127.0.0.1 (SQLite portal).

Fixtures: `live_server` (the base URL of `portal.create_app(config)` served by werkzeug in a
thread), `browser` (Debian's /usr/bin/chromium driven by Playwright; never downloaded),
`page` (a fresh context per test) and `console_errors` (everything the page logged as an
error, or threw, for the test to assert on).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

# A published community-trust dataset to comment on (its fixtures chain survey -> answered).
from tests.community.conftest import answered, published_trust, survey  # noqa: F401

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
