"""Connector test fixtures: a real HTTP server on 127.0.0.1 whose answers each test sets."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


@dataclass
class HttpSource:
    """A local HTTP server: `route(path, handler)` decides the answer; `seen` lists requests."""

    port: int
    stopping: threading.Event
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [r for r in self.seen if r.path == path]


def answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """Send a whole response with a Content-Length."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up on purpose in the timeout, TLS and max_bytes tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def http_source() -> Iterator[HttpSource]:
    stopping = threading.Event()
    source_box: list[HttpSource] = []

    class Dispatch(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            source = source_box[0]
            path = self.path.split("?", 1)[0]
            source.seen.append(SeenRequest(self.path, dict(self.headers.items())))
            handler = source.routes.get(path)
            if handler is None:
                answer(self, 404, b"no such test route")
                return
            handler(self)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    server = _QuietServer(("127.0.0.1", 0), Dispatch)
    server.daemon_threads = True
    source_box.append(HttpSource(port=server.server_address[1], stopping=stopping))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield source_box[0]
    finally:
        stopping.set()  # releases handlers that hang or drip on purpose
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
