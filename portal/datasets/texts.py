"""A dataset's words in each language: `dataset.yaml` may give any text as `{en: …, es: …}`.

When a definition loads, `split` keeps the English text where it was (so files, the API,
catalogues and the ledger keep one language-neutral, English description) and moves every
other language's text to `meta["translations"][lang]`, keyed by its place: `title`,
`description`, `resources.incidents.title`, `resources.incidents.fields.district.title`,
`labels.district.D1`, `figures.incidents.label` (a list item by its `key`). Pages ask
`text(meta, place)` for the reader's language; a text with no translation is English, and
`text_in` says so, for the page to mark it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal import languages

TRANSLATIONS = "translations"


def is_translated(value: Any) -> bool:
    """`{en: …, es: …}`: a mapping of language codes to text (a field's may omit `en`)."""
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(k in languages.LANGUAGES and isinstance(v, str) for k, v in value.items())
    )


def split(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The definition with English text in place and the other languages under `translations`."""
    found: dict[str, dict[str, str]] = {}

    def walk(value: Any, place: str) -> Any:
        if is_translated(value):
            for code, text in value.items():
                if code != languages.DEFAULT and text.strip():
                    found.setdefault(code, {})[place] = text
            # no `en`: a field's words, whose English is its table schema's title
            return value.get(languages.DEFAULT)
        if isinstance(value, Mapping):
            walked = {k: walk(v, f"{place}.{k}" if place else str(k)) for k, v in value.items()}
            # a text given only in other languages leaves nothing in the English definition
            return {k: v for k, v in walked.items() if v is not None or not is_translated(value[k])}
        if isinstance(value, list):
            return [
                walk(item, f"{place}.{item.get('key', i) if isinstance(item, Mapping) else i}")
                for i, item in enumerate(value)
            ]
        return value

    english = walk({k: v for k, v in meta.items() if k != TRANSLATIONS}, "")
    if found:
        english[TRANSLATIONS] = found
    return english


def text_in(meta: Mapping[str, Any] | None, place: str, english: Any = None) -> tuple[str, str]:
    """The text at `place` in the reader's language, and the language it is really in."""
    code = languages.current()
    if english is None:
        english = _at(meta or {}, place)
    english = "" if english is None else str(english)
    if code != languages.DEFAULT:
        translated = ((meta or {}).get(TRANSLATIONS) or {}).get(code, {}).get(place)
        if translated:
            return translated, code
        if not english:
            return english, code
    return english, languages.DEFAULT


def text(meta: Mapping[str, Any] | None, place: str, english: Any = None) -> str:
    return text_in(meta, place, english)[0]


def all_languages(meta: Mapping[str, Any] | None, place: str, english: Any = None) -> dict:
    """`{en: …, es: …}` for a text: what the API's metadata and datapackage.json offer."""
    if english is None:
        english = _at(meta or {}, place)
    if english is None:
        return {}
    found = {languages.DEFAULT: str(english)}
    for code, texts in ((meta or {}).get(TRANSLATIONS) or {}).items():
        if place in texts:
            found[code] = texts[place]
    return found


def _at(meta: Mapping[str, Any], place: str) -> Any:
    value: Any = meta
    for part in place.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list):
            value = next(
                (i for i in value if isinstance(i, Mapping) and str(i.get("key")) == part), None
            )
        else:
            return None
    return value
