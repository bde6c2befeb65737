"""The reference of every definition key, generated from the JSON Schemas the loader checks.

`python -m portal.datasets.reference > docs/reference.md`; a test keeps the file equal to the
output, so the documentation cannot drift from what is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.datasets.definition_schema import PUBLISHER_ENTRY
from portal.datasets.meta_schema import DATASET_META

INTRO = """\
# Reference: publisher entries and dataset.yaml

Generated from `portal/datasets/definition_schema.py` and `meta_schema.py` by
`python -m portal.datasets.reference > docs/reference.md`; do not edit by hand. Every key below
is checked when definitions load: an unknown key, a wrong type or a missing required key is an
error naming the file, the line and the key, and disables only that dataset (the records office
and `portal run` show it). `<name>` stands for a name you choose (a resource, a field, a code).

A column mapping keeps each value's meaning or fails its cell: the run then fails and
`portal report RUN` (and the office's run page) lists every such cell with its source value,
source file and line. Leniency is declared: `on_error: blank`, `range`.
"""


def _type(schema: dict) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "oneOf" in schema:
        return " or ".join(_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"list of {_type(schema.get('items') or {})}"
    if kind == "object" and not schema.get("properties") and schema.get("additionalProperties"):
        return "mapping"
    return str(kind)


def rows(schema: dict, prefix: str = "") -> Iterator[tuple[str, str, str, bool]]:
    """(key path, type, description, required) of every key the schema allows, depth first."""
    required = set(schema.get("required") or [])
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        yield path, _type(sub), sub.get("description", ""), name in required
        yield from _children(sub, path)


def _children(sub: dict, path: str) -> Iterator[tuple[str, str, str, bool]]:
    if sub.get("properties"):
        yield from rows(sub, f"{path}.")
    extra = sub.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _named(extra, f"{path}.<name>")
    for alternative in sub.get("oneOf") or []:
        if alternative.get("properties"):
            yield from rows(alternative, f"{path}.")


def _named(schema: dict, path: str) -> Iterator[tuple[str, str, str, bool]]:
    if schema.get("properties") or any(s.get("properties") for s in schema.get("oneOf") or []):
        yield path, _type(schema), schema.get("description", ""), False
        yield from _children(schema, path)
    else:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and "oneOf" in extra:
            for alternative in extra["oneOf"]:
                yield from rows(alternative, f"{path}.")


def table(schema: dict) -> str:
    lines = ["| key | type | meaning |", "|---|---|---|"]
    for path, kind, description, required in rows(schema):
        flag = " **(required)**" if required else ""
        text = description.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{path}`{flag} | {kind} | {text} |")
    return "\n".join(lines)


def reference() -> str:
    parts = [
        INTRO,
        f"## {PUBLISHER_ENTRY['title']}\n",
        table(PUBLISHER_ENTRY),
        "",
        f"## {DATASET_META['title']}\n",
        table(DATASET_META),
        "",
    ]
    return "\n".join(parts)


def documented_keys(schema: dict[str, Any]) -> set[str]:
    return {path for path, *_ in rows(schema)}


if __name__ == "__main__":
    print(reference(), end="")
