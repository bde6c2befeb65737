"""The language a page is answered in: `?lang=` (then kept in a cookie), the cookie, then
the browser's Accept-Language; the switcher's links and the `hreflang` alternates."""

from __future__ import annotations

from contextvars import Token
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from markupsafe import Markup

from portal import languages

COOKIE = "lang"
COOKIE_DAYS = 365


def chosen() -> str:
    """The reader's language for this request (Flask-Babel's locale selector too).

    The API is language-neutral: its codes, field names and messages are always English."""
    if request.path.startswith("/api/"):
        return languages.DEFAULT
    return (
        languages.supported(request.args.get("lang"))
        or languages.supported(request.cookies.get(COOKIE))
        or request.accept_languages.best_match(list(languages.LANGUAGES))
        or languages.DEFAULT
    )


def url_in(code: str | None) -> str:
    """This page's address in a language (None: without `lang`, the shared default link).

    Same path, same query; only `lang` changes, so a filtered preview stays filtered."""
    args = request.args.copy()
    args.pop("lang", None)
    if code:
        args["lang"] = code
    query = urlencode(list(args.items(multi=True)))
    return request.base_url + ("?" + query if query else "")


def lang_attr(value: object) -> Markup:
    """` lang="en"` on an element whose text fell back to English (no Spanish given)."""
    shown = languages.text_in(value)[1]
    return Markup(' lang="%s"') % shown if shown != languages.current() else Markup("")


def title_of(dataset: object) -> str:
    """A dataset's title in the reader's language (its definition's `title`)."""
    meta = getattr(dataset, "meta", None) or {}
    return languages.text(meta.get("title") or getattr(dataset, "title", ""))


def _enter(_endpoint: str | None, _values: dict | None) -> None:
    # A url-value preprocessor, so it runs before any other hook can answer (413, 404).
    g.language_token = languages.set_current(chosen())


def _leave(_error: BaseException | None) -> None:
    token: Token[str] | None = g.pop("language_token", None)
    if token is not None:
        languages.reset(token)


def _remember(response: Response) -> Response:
    """Keep a `?lang=` choice in a cookie; say which language the page is in."""
    asked = languages.supported(request.args.get("lang"))
    if asked and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE, asked, max_age=COOKIE_DAYS * 86400, samesite="Lax", secure=request.is_secure
        )
    if response.mimetype == "text/html":
        response.headers["Content-Language"] = languages.current()
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    app.url_value_preprocessors.setdefault(None, []).insert(0, _enter)
    app.teardown_request(_leave)
    app.after_request(_remember)
    app.add_template_filter(languages.text, "translated")
    app.add_template_filter(title_of, "title_of")
    app.add_template_global(lang_attr, "lang_attr")
    app.context_processor(
        lambda: {
            "language": languages.current(),
            "languages": languages.LANGUAGES,
            "url_in": url_in,
        }
    )
