"""docs/reference.md is generated from the JSON Schemas the loader checks: it cannot drift."""

from __future__ import annotations

from portal.config import REPO_ROOT
from portal.datasets.definition_schema import COLUMN, PUBLISHER_ENTRY
from portal.datasets.meta_schema import DATASET_META
from portal.datasets.reference import reference, rows


def test_the_reference_file_is_the_generated_one():
    written = (REPO_ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert written == reference(), "run: python -m portal.datasets.reference > docs/reference.md"


def test_every_key_has_a_meaning():
    for schema in (PUBLISHER_ENTRY, DATASET_META):
        undocumented = [path for path, _, description, _ in rows(schema) if not description]
        assert undocumented == []


def test_every_mapping_function_is_documented():
    mapping = next(s for s in COLUMN["oneOf"] if s.get("properties"))
    function = mapping["properties"]["function"]
    for name in function["enum"]:
        assert f"`{name}`" in function["description"]


def test_the_keys_the_issue_names_are_documented():
    text = reference()
    for key in (
        "privacy",
        "family",
        "table_kind",
        "auto_publish",
        "labels",
        "join",
        "select",
        "missing_values",
        "on_error",
        "pad",
        "range",
        "pivot",
        "formats",
    ):
        assert f".{key}`" in text or f"`{key}`" in text, key
