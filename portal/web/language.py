"""The language a page is answered in: `?lang=` (then kept in a cookie), the cookie, then
the browser's Accept-Language; the switcher's links and the `hreflang` alternates."""

from __future__ import annotations

from contextvars import Token
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from markupsafe import Markup

from portal import languages
from portal.datasets import texts
from portal.extensions import portal
from portal.figures import numbers, periods
from portal.languages import N_, gettext

COOKIE = "lang"
COOKIE_DAYS = 365


def chosen() -> str:
    """The reader's language for this request (Flask-Babel's locale selector too).

    The API is language-neutral: its codes, field names and messages are always English."""
    if not for_people():
        return languages.DEFAULT
    return (
        languages.supported(request.args.get("lang"))
        or languages.supported(request.cookies.get(COOKIE))
        or request.accept_languages.best_match(list(languages.LANGUAGES))
        or languages.DEFAULT
    )


# Addresses that answer data with words in it: feeds and JSON catalogues (they stay English).
# Published files carry no words of ours, and a missing file's 404 is a page for people.
DATA_SUFFIXES = (".atom", ".json")


def for_people() -> bool:
    """Whether this address answers a page people read (the API page /api/ is one)."""
    return not (request.path.startswith("/api/v1/") or request.path.endswith(DATA_SUFFIXES))


def url_in(code: str | None, *, absolute: bool = False) -> str:
    """This page's address in a language (None: without `lang`, the shared default link).

    Same path, same query; only `lang` changes, so a filtered preview stays filtered. Never
    built from the request's Host header: pages are kept and shared (the index summary,
    `fragments.shared_page`), and a forged Host must not reach other readers. So the link
    is root-relative, or `absolute` at the portal's configured address (PORTAL_BASE_URL),
    for the `hreflang` alternates that crawlers read."""
    args = request.args.copy()
    args.pop("lang", None)
    if code:
        args["lang"] = code
    query = urlencode(list(args.items(multi=True)))
    where = request.path + ("?" + query if query else "")
    return portal().config.base_url + where if absolute else request.script_root + where


def lang_attr(value: object) -> Markup:
    """` lang="en"` on an element whose text fell back to English (no Spanish given)."""
    shown = languages.text_in(value)[1]
    return Markup(' lang="%s"') % shown if shown != languages.current() else Markup("")


def title_of(dataset: object) -> str:
    """A dataset's title in the reader's language (its definition's `title`)."""
    meta = getattr(dataset, "meta", None) or {}
    return texts.text(meta, "title", meta.get("title") or getattr(dataset, "title", ""))


def as_written(text: object) -> Markup:
    """The department's own English words (a policy's title, a summary) as written: marked
    `lang="en"` on a page in another language."""
    if languages.current() == languages.DEFAULT:
        return Markup.escape(text)
    return Markup('<span lang="en">%s</span>') % text


def lang_attr_of(found: tuple[str, str]) -> Markup:
    """` lang="en"` for a (text, language) pair whose language is not the page's."""
    return Markup(' lang="%s"') % found[1] if found[1] != languages.current() else Markup("")


def field_text(meta: dict, table: str, field: dict, key: str) -> tuple[str, str]:
    """A field's title or description in the reader's language (dataset.yaml's
    `resources.<table>.fields.<field>`), else the table schema's English, and its language."""
    english = field.get(key) or (field.get("name", "") if key == "title" else "")
    return texts.text_in(meta, f"resources.{table}.fields.{field.get('name')}.{key}", english)


def resource_title(dataset: object, resource: object) -> tuple[str, str]:
    meta = getattr(dataset, "meta", None) or {}
    name = getattr(resource, "name", "")
    return texts.text_in(meta, f"resources.{name}.title", getattr(resource, "title", name))


def dataset_text(dataset: object, key: str) -> tuple[str, str]:
    """`title`, `description`, `methodology`, `caveats` of a dataset in the reader's language."""
    return texts.text_in(getattr(dataset, "meta", None) or {}, key)


def texts_of(dataset: object, place: str, english: object = None) -> tuple[str, str]:
    """Any text of a dataset's definition by its place (`resources.incidents.description`)."""
    return texts.text_in(getattr(dataset, "meta", None) or {}, place, english)


FIELD_TYPES = {
    "string": N_("text"),
    "integer": N_("whole number"),
    "number": N_("number"),
    "date": N_("date"),
    "datetime": N_("date and time"),
    "yearmonth": N_("month"),
    "year": N_("year"),
    "boolean": N_("yes or no"),
}


PERIOD_WORDS = {
    "month": N_("month"),
    "quarter": N_("quarter"),
    "year": N_("year"),
    "snapshot": N_("snapshot"),
}


def period_word(period: str) -> str:
    return gettext(PERIOD_WORDS[period]) if period in PERIOD_WORDS else period


def field_type(kind: str) -> str:
    return gettext(FIELD_TYPES[kind]) if kind in FIELD_TYPES else kind


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
    if asked and for_people() and request.cookies.get(COOKIE) != asked:
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
    app.add_template_filter(field_type, "field_type")
    app.add_template_filter(period_word, "period_word")
    app.add_template_filter(languages.gettext, "gettext")  # words marked N_() where declared
    app.add_template_filter(lambda key: periods.words(key, "quarter"), "quarter")
    app.add_template_filter(numbers.decimal, "decimal")
    app.add_template_global(lang_attr, "lang_attr")
    app.add_template_global(languages.current, "current_language")  # also inside macros
    app.add_template_global(lang_attr_of, "lang_attr_of")
    app.add_template_global(as_written, "as_written")
    app.add_template_global(field_text, "field_text")
    app.add_template_global(resource_title, "resource_title")
    app.add_template_global(dataset_text, "dataset_text")
    app.add_template_global(texts_of, "texts_of")
    app.context_processor(
        lambda: {
            "language": languages.current(),
            "languages": languages.LANGUAGES,
            "url_in": url_in,
        }
    )
