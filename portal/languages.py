"""The languages the public site speaks, the one a request is answered in, and its catalogue.

The web layer chooses the language once per request (`?lang=`, its cookie, then
Accept-Language) and sets it here with `use()`; the Flask-free core (figures, labels,
freshness, surveys) reads it with `current()` and translates with `gettext()` from the same
gettext catalogue Flask-Babel gives the templates (portal/translations). Outside a request
(CLI, scheduler, publishing) the language is English, so stored text is always English.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

DEFAULT = "en"
# code → the language's own name, as the switcher offers it
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def current() -> str:
    return _current.get()


def set_current(code: str) -> Token[str]:
    return _current.set(code if code in LANGUAGES else DEFAULT)


def reset(token: Token[str]) -> None:
    _current.reset(token)


@contextmanager
def use(code: str) -> Iterator[str]:
    """Everything inside speaks `code` (tests, e-mails sent in a reader's language)."""
    token = set_current(code)
    try:
        yield current()
    finally:
        _current.reset(token)


def supported(code: str | None) -> str | None:
    """`es`, `es-MX`, `ES` → `es`; a language the site does not speak → None."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


@cache
def catalogue(code: str) -> NullTranslations:
    """The compiled catalogue of a language (English is the source: no catalogue)."""
    if code == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [code], domain="messages")


def gettext(message: str, **values: Any) -> str:
    """`message` in the current language, `%(name)s` placeholders filled from `values`."""
    text = catalogue(current()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    text = catalogue(current()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


_ = gettext


def N_(message: str) -> str:  # noqa: N802 — the usual gettext name
    """Marks a string for the catalogue where it is declared; `gettext` translates it where
    it is shown (tables of words built at import time, before any language is chosen)."""
    return message


def text_in(value: Any, code: str | None = None) -> tuple[str, str]:
    """A definition's text in a language, and the language it is really in.

    `value` is a plain string (English) or `{en: …, es: …}`; a missing language falls back
    to English, which the caller marks (`lang="en"`, "(in English)")."""
    code = code or current()
    if isinstance(value, Mapping):
        for lang in (code, DEFAULT, *value.keys()):
            text = value.get(lang)
            if isinstance(text, str) and text.strip():
                return text, lang
        return "", code
    return ("" if value is None else str(value)), DEFAULT


def text(value: Any, code: str | None = None) -> str:
    """`text_in` without the language it came in (for attributes, titles, sorting)."""
    return text_in(value, code)[0]


def english(value: Any) -> str:
    """The English text of a translated value: what files, the API and the ledger keep."""
    return text(value, DEFAULT)
