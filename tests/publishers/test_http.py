"""HTTP sources against a real local server: conditional GET, retries, limits and clear errors."""

from __future__ import annotations

import hashlib
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from portal.errors import DefinitionError, SourceUnavailable, SourceUnreadable
from publishers.connectors import fetch, read_table
from tests.publishers.conftest import HttpSource, answer

CSV = b"IncidentNo,District\n1001,1\n1002,2\n"
FAST = {"retries": 2, "backoff": 0.01, "timeout": 5}


def http(url: str, **options: object) -> dict:
    return {"type": "http", "url": url, **FAST, **options}


def serve_with_validators(handler: BaseHTTPRequestHandler) -> None:
    if handler.headers.get("If-None-Match") == '"v1"':
        answer(handler, 304, headers={"ETag": '"v1"'})
        return
    answer(
        handler,
        200,
        CSV,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "ETag": '"v1"',
            "Last-Modified": "Sun, 01 Nov 2026 06:00:00 GMT",
        },
    )


def test_downloads_the_file_and_then_reports_unchanged(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    url = http_source.route("/exports/incidents.csv", serve_with_validators)

    first = fetch(http(url), workdir, base_dir=base_dir)
    assert not first.unchanged
    assert first.path is not None and first.path.read_bytes() == CSV
    assert first.sha256 == hashlib.sha256(CSV).hexdigest()
    assert first.size == len(CSV)
    assert first.state == {"etag": '"v1"', "last_modified": "Sun, 01 Nov 2026 06:00:00 GMT"}
    assert first.description == f"GET {url} 200"
    assert read_table(first.path, http(url), workdir).collect().rows() == [
        ("1001", "1"),
        ("1002", "2"),
    ]

    second = fetch(http(url), workdir, base_dir=base_dir, previous_state=first.state)
    assert second.unchanged
    assert second.path is None and second.sha256 is None
    assert second.state["etag"] == '"v1"'
    sent = http_source.requests_to("/exports/incidents.csv")[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Sun, 01 Nov 2026 06:00:00 GMT"


def test_a_server_error_is_retried_until_the_file_comes(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    answers = iter([503, 500])

    def flaky(handler: BaseHTTPRequestHandler) -> None:
        status = next(answers, 200)
        if status == 200:
            answer(handler, 200, CSV, {"Content-Type": "text/csv"})
        else:
            answer(handler, status, b"busy", {"Retry-After": "0"})

    url = http_source.route("/flaky.csv", flaky)
    fetched = fetch(http(url), workdir, base_dir=base_dir)

    assert fetched.path is not None and fetched.path.read_bytes() == CSV
    assert len(http_source.requests_to("/flaky.csv")) == 3


def test_too_many_requests_waits_and_retries(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    answers = iter([429])

    def limited(handler: BaseHTTPRequestHandler) -> None:
        if next(answers, 200) == 429:
            answer(handler, 429, b"slow down", {"Retry-After": "1"})
        else:
            answer(handler, 200, CSV)

    url = http_source.route("/limited.csv", limited)
    fetched = fetch(http(url, max_retry_after=0.05), workdir, base_dir=base_dir)

    assert fetched.path is not None and fetched.path.read_bytes() == CSV
    assert len(http_source.requests_to("/limited.csv")) == 2


def test_a_server_error_that_persists_gives_up_after_the_retries(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    url = http_source.route("/down.csv", lambda h: answer(h, 500, b"oops"))

    with pytest.raises(SourceUnavailable, match=r"500 Internal Server Error.*after 3 attempts"):
        fetch(http(url), workdir, base_dir=base_dir)
    assert len(http_source.requests_to("/down.csv")) == 3
    assert list(workdir.iterdir()) == []


def test_not_found_is_not_retried(http_source: HttpSource, workdir: Path, base_dir: Path) -> None:
    url = http_source.url("/missing.csv")

    with pytest.raises(SourceUnavailable, match="404 Not Found.*check that the URL"):
        fetch(http(url), workdir, base_dir=base_dir)
    assert len(http_source.requests_to("/missing.csv")) == 1


def test_a_server_that_hangs_times_out(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    def hang(handler: BaseHTTPRequestHandler) -> None:
        http_source.stopping.wait(30)

    url = http_source.route("/hang.csv", hang)

    with pytest.raises(SourceUnavailable, match=r"stopped responding.*after 2 attempts"):
        fetch(http(url, timeout=0.2, retries=1), workdir, base_dir=base_dir)
    assert len(http_source.requests_to("/hang.csv")) == 2


def test_a_slow_but_steady_download_completes(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(CSV)))
        handler.end_headers()
        for line in CSV.splitlines(keepends=True):
            handler.wfile.write(line)
            handler.wfile.flush()
            http_source.stopping.wait(0.05)

    url = http_source.route("/drip.csv", drip)
    fetched = fetch(http(url, timeout=5), workdir, base_dir=base_dir)

    assert fetched.path is not None and fetched.path.read_bytes() == CSV


def test_a_download_that_never_ends_is_stopped_at_the_deadline(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/csv")
        handler.end_headers()  # no length: the body ends when the connection closes
        handler.close_connection = True
        handler.wfile.write(b"a,b\n")
        while not http_source.stopping.wait(0.02):
            handler.wfile.write(b"1,2\n")
            handler.wfile.flush()

    url = http_source.route("/endless.csv", endless)

    with pytest.raises(SourceUnavailable, match=r"did not finish within 0.3 s"):
        fetch(http(url, total_timeout=0.3, retries=0), workdir, base_dir=base_dir)
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("announce_length", [True, False])
def test_a_body_past_max_bytes_is_refused(
    http_source: HttpSource, workdir: Path, base_dir: Path, announce_length: bool
) -> None:
    body = b"a,b\n" + b"1,2\n" * 5000

    def big(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if announce_length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.close_connection = True
        handler.wfile.write(body)

    url = http_source.route("/big.csv", big)

    with pytest.raises(SourceUnavailable, match=r"larger than the 1000 bytes.*`max_bytes`"):
        fetch(http(url, max_bytes=1000), workdir, base_dir=base_dir)
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", b"<p>Please sign in</p>"),
        ("text/csv", b"\n  <!DOCTYPE html>\n<html><body>Sign in</body></html>"),
        ("application/octet-stream", b"<HTML><body>Maintenance</body></HTML>"),
    ],
)
def test_an_html_page_instead_of_the_file_is_unreadable(
    http_source: HttpSource, workdir: Path, base_dir: Path, content_type: str, body: bytes
) -> None:
    url = http_source.route(
        "/login", lambda h: answer(h, 200, body, {"Content-Type": content_type})
    )

    with pytest.raises(SourceUnreadable, match="expected csv .* HTML page.*sign-in page"):
        fetch(http(url, format="csv"), workdir, base_dir=base_dir)


def test_an_unknown_host_is_a_dns_failure(workdir: Path, base_dir: Path) -> None:
    # RFC 6761: names under .invalid never resolve.
    source = http("http://records.example.invalid/incidents.csv")

    with pytest.raises(SourceUnavailable, match="records.example.invalid could not be found"):
        fetch(source, workdir, base_dir=base_dir)


def test_a_closed_port_refuses_the_connection(workdir: Path, base_dir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = http(f"http://127.0.0.1:{port}/incidents.csv", retries=1)

    with pytest.raises(SourceUnavailable, match=r"refused the connection.*after 2 attempts"):
        fetch(source, workdir, base_dir=base_dir)


def test_https_to_a_plain_http_server_is_a_tls_failure(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    http_source.route("/incidents.csv", lambda h: answer(h, 200, CSV))
    source = http(f"https://127.0.0.1:{http_source.port}/incidents.csv")

    with pytest.raises(SourceUnavailable, match=r"secure \(TLS\) connection to 127.0.0.1"):
        fetch(source, workdir, base_dir=base_dir)


def test_secrets_come_from_variables_and_stay_out_of_messages(
    http_source: HttpSource, workdir: Path, base_dir: Path
) -> None:
    def guarded(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") == "Bearer s3cret" and "key=s3cret" in handler.path:
            answer(handler, 200, CSV)
        else:
            answer(handler, 401, b"who are you?")

    http_source.route("/secure.csv", guarded)
    source = http(
        http_source.url("/secure.csv") + "?key=${API_TOKEN}",
        headers={"Authorization": "Bearer ${API_TOKEN}"},
    )

    fetched = fetch(source, workdir, base_dir=base_dir, variables={"API_TOKEN": "s3cret"})
    assert fetched.path is not None and fetched.path.read_bytes() == CSV
    assert "s3cret" not in fetched.description

    with pytest.raises(SourceUnavailable) as refused:
        fetch(source, workdir, base_dir=base_dir, variables={"API_TOKEN": "wrong-token"})
    assert "401 Unauthorized" in str(refused.value)
    assert "credentials" in str(refused.value)
    assert "wrong-token" not in str(refused.value)

    with pytest.raises(DefinitionError, match="no variable API_TOKEN is set"):
        fetch(source, workdir, base_dir=base_dir, variables={})


def test_a_misspelt_option_is_a_definition_error(workdir: Path, base_dir: Path) -> None:
    with pytest.raises(DefinitionError, match="does not understand delimeter"):
        fetch(http("http://127.0.0.1:9/x.csv", delimeter=";"), workdir, base_dir=base_dir)
