"""Reading a Table Schema file: light enough for `portal validate` to start quickly."""

from __future__ import annotations

import json
from pathlib import Path

from portal.errors import DefinitionError


def read_schema(path: Path) -> dict:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DefinitionError(f"{path}: {error}") from error
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise DefinitionError(f"{path}: a table schema needs a list of fields")
    return schema
