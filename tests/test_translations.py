"""The gettext catalogues agree with the code: every string the code marks is in each .po,
translated, with the same placeholders, and the committed .mo is the .po compiled.

After changing a translatable string: `bash scripts/translations.sh` (README, "Languages").
"""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from portal import languages
from portal.config import REPO_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
METHODS = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TRANSLATED = [code for code in languages.LANGUAGES if code != languages.DEFAULT]


# The records office may stay English: a string marked only in its templates may be left
# untranslated (it then shows in English); every other string must be translated.
OFFICE = ("templates/office/",)


def extracted_where() -> dict[str, set[str]]:
    """Every msgid the code and the templates mark (as `pybabel extract -F babel.cfg` sees),
    with the files that mark it."""
    found: dict[str, set[str]] = {}
    for file, _line, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, set()).add(file.replace("\\", "/"))
    return found


def extracted() -> set[str]:
    return set(extracted_where())


def office_only() -> set[str]:
    return {
        key
        for key, files in extracted_where().items()
        if all(file.startswith(OFFICE) for file in files)
    }


def catalogue(code: str):  # noqa: ANN201
    with open(languages.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_holds_exactly_the_strings_the_code_marks(code: str) -> None:
    in_code = extracted()
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(code) if m.id}
    assert sorted(in_code - in_po) == [], "marked in the code, missing from the .po"
    assert sorted(in_po - in_code) == [], "in the .po, no longer in the code"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_is_translated_with_its_placeholders(code: str) -> None:
    may_stay_english = office_only()
    for message in catalogue(code):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if ids[0] in may_stay_english and not any(s.strip() for s in strings):
            continue
        assert all(s.strip() for s in strings), f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"fuzzy: {message.id!r}"
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= wanted | {"num"}, message.id
            assert set(PLACEHOLDER.findall(ids[0])) - {"num"} <= set(PLACEHOLDER.findall(text)) | {
                "num"
            }, f"a placeholder is lost in {text!r}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_committed_mo_is_the_po_compiled(code: str) -> None:
    folder = languages.TRANSLATIONS / code / "LC_MESSAGES"
    with open(folder / "messages.mo", "rb") as handle:
        committed = read_mo(handle)
    compiled = BytesIO()
    write_mo(compiled, catalogue(code))
    compiled.seek(0)
    fresh = read_mo(compiled)

    def messages(catalogue) -> dict:  # noqa: ANN001
        return {
            (m.id if isinstance(m.id, str) else tuple(m.id)): (
                m.string if isinstance(m.string, str) else tuple(m.string)
            )
            for m in catalogue
            if m.id
        }

    assert messages(committed) == messages(fresh), "run: bash scripts/translations.sh"


def test_the_core_translates_in_the_language_of_the_request() -> None:
    assert languages.gettext("Not found") == "Not found"
    with languages.use("es"):
        assert languages.gettext("Not found") == "No encontrado"
        assert languages.current() == "es"
    assert languages.current() == "en"


def test_a_definition_text_falls_back_to_english_and_says_so() -> None:
    both = {"en": "Use of force", "es": "Uso de la fuerza"}
    assert languages.text_in(both, "es") == ("Uso de la fuerza", "es")
    assert languages.text_in({"en": "Use of force"}, "es") == ("Use of force", "en")
    assert languages.text_in("Use of force", "es") == ("Use of force", "en")
    assert languages.english(both) == "Use of force"
    assert languages.supported("es-MX") == "es" and languages.supported("fr") is None
