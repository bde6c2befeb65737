"""A cache at the WSGI edge, in front of Flask, for pages every anonymous reader shares.

The index summary is the same for every reader who is not signed in and speaks the same
language; answering it from Flask costs its request machinery (context, session, CSRF,
language hooks) several times what sending it costs. A view marks a response shareable by
putting how many seconds it may be kept in `environ[SHARED_SECONDS]`; the edge then answers
the same request from memory for that long (the index marks one second, as often as it
asks the database whether anything was published).

Only a GET without a query string, whose cookies are at most the language cookie, is
answered from here: a session or remember-me cookie (someone signed in, a message waiting)
always reaches Flask. The key holds everything else the page reads from the request: its
path, Accept-Language and the language cookie. A response is kept only if it is a 200 that
sets no cookie. Nothing here is a rate-limited address: limits are on views that write.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SHARED_SECONDS = "portal.shared_seconds"
ENTRIES = 64  # per worker: one per language and Accept-Language spelling seen lately


@dataclass(frozen=True)
class _Kept:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expires: float  # time.monotonic()


class SharedPages:
    """WSGI middleware: answers a request a view marked shared from memory while it lasts."""

    def __init__(self, app: Callable, language_cookie: str) -> None:
        self.app = app
        self.language_cookie = language_cookie
        self.kept: OrderedDict[tuple, _Kept] = OrderedDict()
        self.lock = threading.Lock()

    def key(self, environ: dict) -> tuple | None:
        """The cache key of a request the edge may answer, or None."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        cookie = environ.get("HTTP_COOKIE", "")
        # Every name the header could hold, read loosely on purpose: whatever a parser might
        # take for a session cookie sends the request to Flask.
        names = {part.split("=", 1)[0].strip() for part in cookie.split(";")} - {""}
        if names - {self.language_cookie}:
            return None
        return (
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            cookie,
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        now = time.monotonic()
        with self.lock:
            kept = self.kept.get(key)
        if kept is not None and now < kept.expires:
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        answered: list = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        seconds = environ.get(SHARED_SECONDS)
        if seconds and answered and self._keepable(*answered):
            status, headers = answered
            with self.lock:
                self.kept[key] = _Kept(status, tuple(headers), body, now + seconds)
                self.kept.move_to_end(key)
                while len(self.kept) > ENTRIES:
                    self.kept.popitem(last=False)
        return [body]

    @staticmethod
    def _keepable(status: str, headers: list[tuple[str, str]]) -> bool:
        return status.startswith("200 ") and not any(
            name.lower() == "set-cookie" for name, _ in headers
        )
