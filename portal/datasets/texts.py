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


# -- every language at once: the API's metadata and datapackage.json (`labels`) ----------

DATASET_TEXTS = ("title", "description", "methodology", "caveats")


def dataset_labels_by_language(meta: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """`{en: {title, description, methodology, caveats}, es: {…}}`: each language's own text;
    a text without a translation is left out of that language (readers fall back to `en`)."""
    found: dict[str, dict[str, str]] = {}
    for key in DATASET_TEXTS:
        for code, words in all_languages(meta, key).items():
            if words and str(words).strip():
                found.setdefault(code, {})[key] = str(words).strip()
    return found


def resource_labels_by_language(
    meta: Mapping[str, Any] | None, name: str, table_schema: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """A table's words in every language: `{en: {title, description, fields: {field: {title,
    description}}, categories: {field: {code: words}}}, es: {…}}`. Files and the API keep the
    codes and English field names; these are the words pages show for them."""
    from portal.datasets.labels import dataset_labels, list_delimiter, value_label_in

    overrides = dataset_labels(meta)
    place = f"resources.{name}"
    found: dict[str, dict[str, Any]] = {}
    for code in languages.LANGUAGES:
        with languages.use(code):
            said: dict[str, Any] = {}
            for key in ("title", "description"):
                words, shown = text_in(meta, f"{place}.{key}")
                if words and shown == code:
                    said[key] = words.strip()
            fields: dict[str, dict[str, str]] = {}
            categories: dict[str, dict[str, str]] = {}
            for field in table_schema.get("fields") or []:
                field_name = field["name"]
                for key in ("title", "description"):
                    english = field.get(key) or ""
                    words, shown = text_in(meta, f"{place}.fields.{field_name}.{key}", english)
                    if words and shown == code:
                        fields.setdefault(field_name, {})[key] = words
                constraints = field.get("constraints") or {}
                codes = list(constraints.get("enum") or [])
                if not codes and list_delimiter(field):
                    inner = constraints["pattern"].split(")")[0].lstrip("(")
                    codes = inner.split("|")
                for value in codes:
                    words, shown = value_label_in(value, field_name, overrides)
                    if shown == code and words != str(value):
                        categories.setdefault(field_name, {})[str(value)] = words
            if fields:
                said["fields"] = fields
            if categories:
                said["categories"] = categories
            if said:
                found[code] = said
    return found
