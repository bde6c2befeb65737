"""Parts of public pages rendered once and kept in each worker's memory.

A dataset page is mostly the same for every reader until something is published, corrected
or moderated; only its previews, its freshness and the comment form's token differ per
request. Those parts are rendered per request; the rest comes from here:

- `rendered_once`: a `_macros.html` macro whose output depends only on its key (a version's
  chart, its data dictionary);
- `per_generation` (and `partial`, a partial template of a dataset page): made once per site
  generation (`portal.datasets.generation`), which moves in the same transaction as any
  change it could show;
- `shared_page`: a whole page for readers who are not signed in, made once per site
  generation and address, its comment form's token filled in per request.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g, get_template_attribute, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from portal import languages
from portal.datasets.generation import current_generation
from portal.extensions import portal
from portal.models import Dataset, Version

FRAGMENTS = 256  # per worker; a dataset page keeps about five

_fragments: OrderedDict[tuple, Markup] = OrderedDict()
_lock = threading.Lock()


def remembered(key: tuple, render: Callable[[], Markup]) -> Markup:
    """What `render` makes, made once for `key` (which must name everything it depends on)."""
    full = (portal().config.database_url, languages.current(), *key)  # per language
    with _lock:
        found = _fragments.get(full)
        if found is not None:
            _fragments.move_to_end(full)
            return found
    found = render()
    with _lock:
        _fragments[full] = found
        if len(_fragments) > FRAGMENTS:
            _fragments.popitem(last=False)
    return found


def generation() -> int:
    """The site generation, read once per request, before anything it keys is made (so a
    change committed meanwhile can only make a kept part newer than its key, never older)."""
    if "generation" not in g:
        g.generation = current_generation(portal().db.engine)
    return g.generation


def rendered_once(key: tuple, macro: str, *args: object) -> Markup:
    """The output of a `_macros.html` macro, rendered once for `key` (which names its inputs)."""
    return remembered(
        ("macro", macro, *key), lambda: get_template_attribute("_macros.html", macro)(*args)
    )


def per_generation(
    kind: str, dataset: Dataset, version: Version, render: Callable[[], Markup]
) -> Markup:
    """Something about a dataset's current version, made once per site generation."""
    return remembered((kind, generation(), dataset.id, version.id), render)


def partial(template: str, dataset: Dataset, version: Version) -> Markup:
    """A partial template about a dataset's current version, rendered once per generation."""
    return per_generation(
        template,
        dataset,
        version,
        # render_template escapes what the partial shows; the result is HTML to insert as is.
        lambda: Markup(render_template(template, dataset=dataset, version=version)),  # noqa: S704
    )


PAGES = 64  # whole pages per worker (about 50 KB each)
# Stands for the form token while a shared page is rendered; random per process, so no
# published text can hold it.
TOKEN_MARK = f"form-token-{secrets.token_hex(16)}"


@dataclass(frozen=True)
class _Page:
    body: bytes  # encoded once
    status: int
    expires: float  # time.monotonic() after which the page may read differently by itself


_pages: OrderedDict[tuple, _Page] = OrderedDict()


def shared_page(render: Callable[[], tuple[str, int, float]]) -> tuple[bytes, int]:
    """A page that is the same for every reader who is not signed in: rendered once per site
    generation, language and path with its query (no page shows the Host header), until the
    seconds `render` gives run out (a dataset becoming overdue changes its page without any
    event).

    `render` returns (html, status, seconds). The page's form token is per request: it is
    rendered as TOKEN_MARK and filled in here, so a comment form keeps working. A page that
    made a real token while rendering is not kept (it would hand one reader's token to all).
    """
    key = (portal().config.database_url, languages.current(), generation(), request.full_path)
    now = time.monotonic()
    with _lock:
        kept = _pages.get(key)
        if kept is not None:
            _pages.move_to_end(key)
    if kept is None or now >= kept.expires:
        g.token_mark = True
        try:
            page, status, seconds = render()
        finally:
            del g.token_mark
        kept = _Page(page.encode(), status, now + seconds)
        if "csrf_token" not in g:  # flask_wtf keeps a token it made in g.csrf_token
            with _lock:
                _pages[key] = kept
                if len(_pages) > PAGES:
                    _pages.popitem(last=False)
    body = kept.body
    mark = TOKEN_MARK.encode()
    if mark in body:
        body = body.replace(mark, generate_csrf().encode())
    return body, kept.status


def init_app(app: Flask) -> None:
    """While a shared page renders, `csrf_token()` in its templates gives TOKEN_MARK."""
    app.context_processor(lambda: {"csrf_token": _token_mark} if g.get("token_mark") else {})


def _token_mark() -> str:
    return TOKEN_MARK
