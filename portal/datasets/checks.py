"""Checks of definition files as they load: JSON Schema, with the file, line and key of each error.

YAML node marks give the line of every key (PyYAML's `compose`), so an officer editing a
publisher entry is pointed at the exact place, and a typo in a key is an error, not a silence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from portal.datasets.definition_schema import DATE_FUNCTIONS, PUBLISHER_ENTRY
from portal.datasets.meta_schema import DATASET_META
from portal.errors import DefinitionError

VALIDATORS = {
    "entry": Draft202012Validator(PUBLISHER_ENTRY),
    "meta": Draft202012Validator(DATASET_META),
}
MAX_SHOWN = 5


def read_yaml(path: Path) -> tuple[dict, yaml.Node | None]:
    """The YAML mapping in `path` and its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError) as error:
        raise DefinitionError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: expected a mapping at the top level")
    return data, node


def line_of(node: yaml.Node | None, keys: Sequence[Any]) -> int | None:
    """The 1-based line of the key (or item) at `keys` in the node tree; the nearest parent's."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            found = _lookup(node, str(key))
            if found is None:
                return line
            key_node, node = found
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _lookup(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in node.value:
        if key_node.value == key:
            return key_node, value_node
    for key_node, value_node in node.value:  # `<<: *anchor` merges another mapping's keys
        if key_node.value == "<<" and isinstance(value_node, yaml.MappingNode):
            found = _lookup(value_node, key)
            if found is not None:
                return found
    return None


def _where(error: ValidationError) -> tuple[list[Any], str]:
    """The key path an error is about, and its message in plain words."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            known = ", ".join(sorted(allowed))
            return [*path, extra[0]], f"unknown key {extra[0]!r} (allowed: {known})"
    if error.validator == "required":
        return path, error.message.replace("is a required property", "is required")
    return path, error.message


def _closest(error: ValidationError) -> ValidationError:
    """For "one of" alternatives, what is wrong with the one of the value's own type."""
    while error.context:
        # An alternative of another type ("is not of type 'string'") is not the user's intent.
        fitting = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        error = best_match(fitting or error.context)
    return error


def schema_errors(kind: str, data: dict, path: Path, node: yaml.Node | None) -> None:
    """Raise one DefinitionError listing every error with `file:line: key: message`."""
    errors = sorted(VALIDATORS[kind].iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    lines = []
    for error in errors[:MAX_SHOWN]:
        keys, message = _where(_closest(error))
        key = ".".join(str(k) for k in keys) or "(top level)"
        lines.append(f"{path}:{line_of(node, keys)}: {key}: {message}")
    more = f" (and {len(errors) - MAX_SHOWN} more)" if len(errors) > MAX_SHOWN else ""
    raise DefinitionError("; ".join(lines) + more)


def check_columns(entry: dict, path: Path, node: yaml.Node | None) -> None:
    """What the schema cannot say: a two-digit year needs a pivot; functions' own keys."""
    for resource, spec in (entry.get("resources") or {}).items():
        for field, column in ((spec or {}).get("columns") or {}).items():
            if not isinstance(column, dict):
                continue
            keys = ["resources", resource, "columns", field]
            where = f"{path}:{line_of(node, keys)}: {'.'.join(keys)}"
            if "from" not in column and "value" not in column:
                raise DefinitionError(f"{where}: needs `from` (a source column) or `value`")
            formats = column.get("formats") or []
            formats = [formats] if isinstance(formats, str) else formats
            at_formats = column.get("at_formats") or []
            at_formats = [at_formats] if isinstance(at_formats, str) else at_formats
            function = column.get("function")
            if (formats or at_formats) and function not in DATE_FUNCTIONS:
                raise DefinitionError(f"{where}: `formats` only applies to date functions")
            if any("%y" in f for f in [*formats, *at_formats]) and column.get("pivot") is None:
                raise DefinitionError(
                    f"{where}: a format with a two-digit year (%y) needs a `pivot`: the first "
                    "year of the 100 years such dates fall in (e.g. pivot: 1950)"
                )
            if function == "age_band" and column.get("at") is None and at_formats:
                raise DefinitionError(f"{where}: `at_formats` needs `at`")


def check_family(slug: str, meta: dict, fields: dict[str, dict], schemas_dir: Path) -> None:
    """A dataset claiming a shipped family has that family's resources, fields and types."""
    family = meta.get("family") or slug
    if family == slug:
        return
    reference = schemas_dir / family
    if not (reference / "dataset.yaml").is_file():
        known = sorted(p.name for p in schemas_dir.iterdir() if (p / "dataset.yaml").is_file())
        raise DefinitionError(
            f"{slug}: family {family!r} is not a known family ({', '.join(known)}); use one "
            f"of them, or the dataset's own name {slug!r} for a new kind of dataset"
        )
    problems = []
    for schema_path in sorted(reference.glob("*.schema.json")):
        name = schema_path.name.removesuffix(".schema.json")
        wanted = {
            f["name"]: f.get("type", "string")
            for f in json.loads(schema_path.read_text(encoding="utf-8"))["fields"]
        }
        have = fields.get(name)
        if have is None:
            problems.append(f"no resource {name!r}")
            continue
        for field, kind in wanted.items():
            if field not in have:
                problems.append(f"{name} has no field {field!r}")
            elif have[field] != kind:
                problems.append(f"{name}.{field} is {have[field]}, the family's is {kind}")
    if problems:
        raise DefinitionError(
            f"{slug}: claims family {family!r} but does not match its schema: "
            + "; ".join(_first(problems))
        )


def _first(items: Iterable[str], count: int = 8) -> list[str]:
    items = list(items)
    return items[:count] + ([f"… {len(items) - count} more"] if len(items) > count else [])
