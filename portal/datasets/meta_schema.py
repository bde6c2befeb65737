"""JSON Schema of schemas/<slug>/dataset.yaml: a dataset's metadata, texts and figures.

Checked when definitions load (`definitions.py`); `docs/reference.md` is generated from the
descriptions here and in `definition_schema.py` (`python -m portal.datasets.reference`).
"""

from __future__ import annotations

from portal.datasets.definition_schema import SLUG


def text(description: str, english: bool = True) -> dict:
    """A text a reader sees: English, or `{en: …, es: …}` (missing languages show English,
    marked as English; `portal/datasets/texts.py`). `english=False`: the English is
    elsewhere (a field's title in its table schema), so `en` may be left out."""
    said = "(en required)" if english else "(en: the table schema's)"
    return {
        "description": f"{description}; text, or per language `{{en: …, es: …}}` {said}",
        "oneOf": [
            {"type": "string"},
            {
                "type": "object",
                "required": ["en"] if english else [],
                "additionalProperties": False,
                "properties": {
                    "en": {"type": "string", "description": "English (the default)"},
                    "es": {"type": "string", "description": "Spanish"},
                },
            },
        ],
    }


DATASET_META = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Dataset metadata (schemas/<slug>/dataset.yaml)",
    "type": "object",
    "additionalProperties": False,
    "required": ["title"],
    "properties": {
        "name": {"type": "string", "pattern": SLUG, "description": "the dataset's slug"},
        "title": text("shown on every page"),
        "family": {
            "type": "string",
            "pattern": SLUG,
            "description": "the dataset's kind: its own slug (the default) for a new kind, "
            "or a shipped family (`use-of-force`, `body-worn-cameras`, "
            "`resource-allocation`, `community-trust`) — then it must have that family's "
            "resources with their fields and types, checked at load, because the family's "
            "figures are computed from them",
        },
        "description": text("plain-language summary"),
        "methodology": text("how the data is collected (Markdown)"),
        "caveats": text("what the data cannot tell (Markdown)"),
        "spatial": {"type": "string", "description": "the area covered"},
        "publisher": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "the department's name"},
                "email": {"type": "string", "description": "where to write about the data"},
            },
            "additionalProperties": False,
            "description": "who publishes it",
        },
        "license": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "SPDX or ODC identifier"},
                "title": {"type": "string", "description": "the licence's full name"},
                "path": {"type": "string", "description": "the licence's URL"},
            },
            "additionalProperties": False,
            "description": "`name`, `title` and `path` (URL) of the licence",
        },
        "contact": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "who answers questions"},
                "email": {"type": "string", "description": "their e-mail address"},
                "url": {"type": "string", "description": "or a contact form's address"},
            },
            "additionalProperties": False,
            "description": 'who answers questions about the dataset ("About this dataset")',
        },
        "figures": {
            "description": "headline figures and charts, each key as `portal/figures/spec.py` "
            "defines and checks it; `label`, `note`, `unit` (a noun) and `chart.title` may be "
            "`{en: …, es: …}`",
        },
        "rates": {
            "description": "rates with context (numerator, denominator), as "
            "`portal/figures/spec.py` defines and checks them",
        },
        "denominators": {
            "description": "denominators by period, with their sources (population …), as "
            "`portal/figures/spec.py` defines and checks them",
        },
        "update_frequency": {"type": "string", "description": "in words: monthly, yearly …"},
        "accrual_periodicity": {
            "type": "string",
            "description": "DCAT-US repeating duration (R/P1M)",
        },
        "keywords": {"type": "array", "items": {"type": "string"}, "description": "tags"},
        "order": {
            "type": "number",
            "description": "place on the home page and catalogue (lowest first); "
            "datasets without one come last, by title",
        },
        "policies": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "uniqueItems": True,
            "description": "the department's policies that govern this data, by their folder "
            "name in `policies/` (`[use-of-force]`): the dataset page shows the version in "
            "effect and marks each version's effective date on the charts",
        },
        "population": {"type": "integer", "description": "residents, for rates per 1,000"},
        "population_source": {"type": "string", "description": "where `population` is from"},
        "population_year": {"type": "integer", "description": "the year it counts"},
        "labels": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": text("the words for one code"),
            },
            "description": "field → code → words shown on pages (files keep the codes)",
        },
        "resources": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "description": "one resource as the public pages describe it",
                "properties": {
                    "title": text("the table's title"),
                    "description": text("what one row is"),
                    "fields": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "description": "one field of the table",
                            "properties": {
                                "title": text("the field's title in the data dictionary", False),
                                "description": text("what the field holds", False),
                            },
                        },
                        "description": "field name → its `title` and `description` per "
                        "language, over the table schema's (which stays English)",
                    },
                },
            },
            "description": "resource name → `title`, `description` and `fields`",
        },
    },
}
