"""HTTP(S) connector: a bounded, retried, conditional GET saved to the run's workdir."""

from __future__ import annotations

import email.utils
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from portal.errors import DefinitionError, SourceUnavailable, SourceUnreadable
from publishers.connectors.sources import (
    EXTENSION_FORMATS,
    Fetched,
    number_option,
    safe_name,
    save_chunks,
    substitute,
)

DEFAULT_TIMEOUT = 30.0
DEFAULT_TOTAL_TIMEOUT = 900.0
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
DEFAULT_MAX_RETRY_AFTER = 60.0

_CONTENT_TYPE_EXTENSIONS = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/json": ".json",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# getaddrinfo answers that mean "this name does not exist", as opposed to a resolver hiccup.
_NO_SUCH_HOST = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}


@dataclass(frozen=True)
class _Options:
    timeout: float
    total_timeout: float
    max_bytes: int
    retries: int
    backoff: float
    max_retry_after: float
    verify: bool | str

    @classmethod
    def of(cls, source: Mapping[str, Any]) -> _Options:
        verify = source.get("verify", True)
        if not isinstance(verify, bool | str):
            raise DefinitionError("`verify` must be true, false or the path of a CA bundle")
        return cls(
            timeout=number_option(source, "timeout", DEFAULT_TIMEOUT, minimum=0.001),
            total_timeout=number_option(
                source, "total_timeout", DEFAULT_TOTAL_TIMEOUT, minimum=0.001
            ),
            max_bytes=int(number_option(source, "max_bytes", DEFAULT_MAX_BYTES, minimum=1)),
            retries=int(number_option(source, "retries", DEFAULT_RETRIES)),
            backoff=number_option(source, "backoff", DEFAULT_BACKOFF),
            max_retry_after=number_option(source, "max_retry_after", DEFAULT_MAX_RETRY_AFTER),
            verify=verify,
        )


class _Retryable(Exception):
    """One attempt failed in a way that may succeed later; carries the message and any wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def fetch_http(
    source: Mapping[str, Any],
    workdir: Path,
    previous_state: dict | None,
    variables: Mapping[str, str] | None,
) -> Fetched:
    """GET the source's URL, retrying transient failures, and save the body under workdir."""
    shown = _shown_url(source["url"])
    url = substitute(source["url"], variables, "url")
    if urlsplit(url).scheme not in ("http", "https"):
        raise DefinitionError(f"an http source needs an http:// or https:// URL, not {shown}")
    headers = {
        str(k): substitute(str(v), variables, f"header {k}")
        for k, v in (source.get("headers") or {}).items()
    }
    state = dict(previous_state or {})
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]

    options = _Options.of(source)
    with httpx.Client(
        timeout=httpx.Timeout(options.timeout),
        follow_redirects=True,
        max_redirects=5,
        verify=options.verify,
    ) as client:
        attempts = options.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return _attempt(client, url, headers, source, workdir, state, shown, options)
            except _Retryable as problem:
                if attempt == attempts:
                    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
                    raise SourceUnavailable(f"{problem} (gave up after {tries})") from problem
                wait = options.backoff * 2 ** (attempt - 1)
                if problem.retry_after is not None:
                    wait = max(wait, min(problem.retry_after, options.max_retry_after))
                time.sleep(wait)
    raise AssertionError("unreachable: the retry loop always returns or raises")


def _attempt(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    source: Mapping[str, Any],
    workdir: Path,
    state: dict,
    shown: str,
    options: _Options,
) -> Fetched:
    host = urlsplit(url).hostname or "?"
    try:
        with client.stream("GET", url, headers=headers) as response:
            status = f"{response.status_code} {response.reason_phrase}".strip()
            if response.status_code == 304:
                unchanged_state = _validators(response, state)
                return Fetched(True, None, None, 0, unchanged_state, f"GET {shown} 304")
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retryable(
                    f"the server answered {status} for {shown}", _retry_after(response)
                )
            if response.status_code >= 400:
                raise SourceUnavailable(
                    f"the server answered {status} for {shown}{_hint(response.status_code)}"
                )
            if not 200 <= response.status_code < 300:
                raise SourceUnavailable(f"unexpected answer {status} for {shown}")
            target = workdir / _file_name(response, source)
            sha256, size = save_chunks(_body(response, source, shown, options), target)
            description = f"GET {shown} {response.status_code}"
            return Fetched(False, target, sha256, size, _validators(response, {}), description)
    except httpx.TransportError as exc:
        message, retry = _transport_problem(exc, host, shown, options.timeout)
        if retry:
            raise _Retryable(message) from exc
        raise SourceUnavailable(message) from exc
    except httpx.TooManyRedirects as exc:
        raise SourceUnavailable(f"{shown} redirects too many times (a redirect loop?)") from exc
    except httpx.DecodingError as exc:
        # The zlib detail ("Error -3 while decompressing data") helps no records officer.
        raise SourceUnreadable(
            f"the server's compressed answer for {shown} could not be decoded: it is marked "
            "as compressed (Content-Encoding) but is not, or it was cut short"
        ) from exc
    except httpx.InvalidURL as exc:
        raise DefinitionError(f"the source's url is not a valid URL: {shown}") from exc


def _body(
    response: httpx.Response, source: Mapping[str, Any], shown: str, options: _Options
) -> Iterator[bytes]:
    """The body's chunks, refusing HTML, bodies past max_bytes and downloads past the deadline."""
    max_bytes, total = options.max_bytes, options.total_timeout
    too_big = (
        f"the file at {shown} is larger than the {_megabytes(max_bytes)} this source allows "
        "(`max_bytes`)"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise SourceUnavailable(f"{too_big}: the server announced {_megabytes(int(declared))}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    expected = source.get("format") or "CSV or JSON"
    if content_type in _HTML_TYPES:
        raise SourceUnreadable(_html_message(shown, expected, f"Content-Type {content_type}"))
    deadline = time.monotonic() + total
    received = 0
    first = True
    for chunk in response.iter_bytes():
        if first and _looks_like_html(chunk):
            raise SourceUnreadable(_html_message(shown, expected, "its first bytes are HTML"))
        first = False
        received += len(chunk)
        if received > max_bytes:
            raise SourceUnavailable(f"{too_big}; stopped after {_megabytes(received)}")
        if time.monotonic() > deadline:
            raise SourceUnavailable(
                f"the download from {shown} did not finish within {total:g} s "
                f"(`total_timeout`); {received} bytes had arrived"
            )
        yield chunk


def _transport_problem(
    exc: httpx.TransportError, host: str, shown: str, timeout: float
) -> tuple[str, bool]:
    """A records officer's explanation of a network failure, and whether trying again may help."""
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            if cause.errno in _NO_SUCH_HOST:
                return (f"the host name {host} could not be found (DNS); check the URL", False)
            return (f"the host name {host} could not be looked up right now (DNS): {cause}", True)
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return (
                f"a secure (TLS) connection to {host} could not be established: "
                f"{getattr(cause, 'reason', None) or cause}; check that the URL's scheme "
                "(https/http) and the server's certificate are right",
                False,
            )
        if isinstance(cause, ConnectionRefusedError):
            return (f"{host} refused the connection for {shown} (is the server running?)", True)
    if isinstance(exc, httpx.ConnectTimeout):
        return (f"{host} did not answer within {timeout:g} s while connecting", True)
    if isinstance(exc, httpx.TimeoutException):
        return (f"{host} stopped responding for more than {timeout:g} s (`timeout`)", True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return (f"{shown} is not an http:// or https:// URL", False)
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return (f"the host name {host} could not be found (DNS); check the URL", False)
    return (f"the connection to {host} failed while fetching {shown}: {text}", True)


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _validators(response: httpx.Response, state: dict) -> dict:
    """State for the next conditional request: the server's ETag and Last-Modified."""
    result = dict(state)
    if etag := response.headers.get("ETag"):
        result["etag"] = etag
    if modified := response.headers.get("Last-Modified"):
        result["last_modified"] = modified
    return result


def _file_name(response: httpx.Response, source: Mapping[str, Any]) -> str:
    name = response.url.path.rstrip("/").rsplit("/", 1)[-1]
    if Path(name).suffix.lower() in EXTENSION_FORMATS:
        return safe_name(name, "download")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    suffix = _CONTENT_TYPE_EXTENSIONS.get(content_type) or f".{source.get('format') or 'csv'}"
    return safe_name((name or "download") + suffix, "download" + suffix)


def _looks_like_html(chunk: bytes) -> bool:
    start = chunk[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _html_message(shown: str, expected: str, evidence: str) -> str:
    return (
        f"expected {expected} from {shown} but the server sent an HTML page ({evidence}); "
        "this is often a sign-in page, an error page or a page that links to the file: "
        "check the URL points at the file itself"
    )


def _hint(status: int) -> str:
    if status in (401, 403):
        return ": the server refused access; check the credentials or token the source uses"
    if status in (404, 410):
        return ": check that the URL is still right"
    return ""


def _shown_url(template: str) -> str:
    """The URL as written in the definition, with any inline password hidden."""
    parts = urlsplit(template)
    if parts.password:
        return template.replace(f":{parts.password}@", ":***@", 1)
    return template


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"
