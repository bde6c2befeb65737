"""A Table Schema read without frictionless, for the schemas whose meaning is plain.

Importing frictionless costs about a third of a second, more than the fast engine spends
checking 200,000 ordinary rows. Most schemas hold nothing but fields of the types the fast
engine checks in polars (string, integer, number, boolean, date, any) in their default
formats, with constraints given as plain JSON values: for those, `LightSchema` answers every
question the engine asks (names, types, constraints, keys, missing values) from the
descriptor itself. Anything else (another type or format, a field option such as
`bareNumber`, a foreign key, a constraint value that needs reading) and `light_schema`
answers None: the engine uses frictionless' own Schema, as before.

The cells the fast engine cannot prove ordinary (a probable error, an odd spelling) are
read by `LightField.create_cell_reader`, which gives the answers of frictionless' cell and
value readers for these plain types (numbers still go to frictionless: `LightField.real()` builds
its field from the same descriptor on first use). `tests/validation/test_light_schema.py`
holds both readers to the same answers on generated cells, against the installed frictionless.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import Any

# frictionless' `supported_constraints`, in its order (findings within a cell follow it).
SUPPORTED = {
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "integer": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "number": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "boolean": ["required", "enum"],
    "date": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "any": ["required", "enum"],
}
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
_FIELD_KEYS = {"name", "type", "format", "title", "description", "constraints", "example"}
_SCHEMA_KEYS = {"fields", "primaryKey", "missingValues", "title", "description"}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain_constraint(kind: str, name: str, value: Any) -> bool:
    """A constraint value frictionless would take as it is (no reading, no conversion)."""
    # exclusiveMinimum/Maximum: frictionless refuses them in a v1 schema; let it say so.
    if name not in SUPPORTED[kind] or name.startswith("exclusive"):
        return False
    if name == "required":
        return isinstance(value, bool)
    if name == "pattern":
        try:
            re.compile(f"^{value}$")
        except (re.error, TypeError):
            return False
        return isinstance(value, str)
    if name in ("minLength", "maxLength"):
        return _whole(value) and value >= 0
    if name == "enum":
        plain = {"string": lambda v: isinstance(v, str), "integer": _whole}.get(kind)
        return (
            plain is not None
            and isinstance(value, list)
            and bool(value)
            and all(plain(v) for v in value)
            and len(set(value)) == len(value)
        )
    return kind == "integer" and _whole(value)  # number and date bounds need reading


def _plain_field(descriptor: Any) -> bool:
    if not isinstance(descriptor, dict) or not set(descriptor) <= _FIELD_KEYS:
        return False
    kind = descriptor.get("type", "string")
    if not isinstance(descriptor.get("name"), str) or kind not in SUPPORTED:
        return False
    if descriptor.get("format", "default") != "default":
        return False
    constraints = descriptor.get("constraints", {})
    return isinstance(constraints, dict) and all(
        _plain_constraint(kind, name, value) for name, value in constraints.items()
    )


def light_schema(descriptor: dict) -> LightSchema | None:
    """The schema without frictionless, or None when its meaning needs frictionless."""
    if not isinstance(descriptor, dict) or not set(descriptor) <= _SCHEMA_KEYS:
        return None
    fields = descriptor.get("fields")
    if not isinstance(fields, list) or not all(_plain_field(f) for f in fields):
        return None
    names = [f["name"] for f in fields]
    if len(set(names)) != len(names):
        return None
    key = descriptor.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not all(isinstance(k, str) and k in names for k in key):
        return None
    missing = descriptor.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
        return None
    return LightSchema(descriptor, key, missing)


class LightSchema:
    """What the engine reads of a schema: fields, primary key, foreign keys, missing values."""

    def __init__(self, descriptor: dict, primary_key: list[str], missing: list[str]) -> None:
        self.descriptor = descriptor
        self.primary_key = primary_key
        self.foreign_keys: list[dict] = []
        self.missing_values = missing
        self.fields = [LightField(f, self) for f in descriptor["fields"]]

    @cached_property
    def real(self) -> Any:
        from frictionless import Schema

        return Schema.from_descriptor(self.descriptor)


class LightField:
    """A plain field, answering as frictionless' Field would; `real()` is that Field."""

    def __init__(self, descriptor: dict, schema: LightSchema | None = None) -> None:
        self.descriptor = descriptor
        self.schema = schema
        self.name: str = descriptor["name"]
        self.type: str = descriptor.get("type", "string")
        self.format = "default"
        self.constraints: dict = dict(descriptor.get("constraints", {}))
        self.missing_values = [""]
        self.supported_constraints = SUPPORTED[self.type]
        self.true_values = TRUE_VALUES
        self.false_values = FALSE_VALUES

    def has_defined(self, name: str) -> bool:
        return False  # none of the options the engine asks about (missing_values, bare_number)

    def list_defined(self) -> list[str]:
        return ["name", "constraints"] if self.constraints else ["name"]

    def real(self) -> Any:
        """frictionless' own field for this descriptor (frictionless imported now)."""
        if self.schema is not None:
            return self.schema.real.get_field(self.name)
        from frictionless import Field

        return Field.from_descriptor(self.descriptor)

    def create_value_reader(self) -> Any:
        reader = None

        def read(value: Any) -> Any:
            nonlocal reader
            # The plain values `light_schema` admits, as frictionless' readers give them back.
            if self.type in ("string", "any") and isinstance(value, str):
                return value
            if self.type == "integer" and _whole(value):
                return value
            if reader is None:
                reader = self.real().create_value_reader()
            return reader(value)

        return read

    def create_cell_reader(self) -> Any:
        """What frictionless' `Field.create_cell_reader` answers, for the plain types."""
        if self.type == "number":  # numbers have a reader of their own options: frictionless'
            return self.real().create_cell_reader()
        read = _VALUE_READERS[self.type]
        missing = self.schema.missing_values if self.schema is not None else self.missing_values
        checks = []
        for name in self.supported_constraints:
            constraint = self.constraints.get(name)
            if constraint is None:
                continue
            if name == "pattern":
                constraint = re.compile(f"^{constraint}$")
            checks.append((name, _CHECKS[name], constraint))
        kind = f'type is "{self.type}/{self.format}"'

        def cell_reader(cell: Any) -> tuple[Any, dict[str, str] | None]:
            notes: dict[str, str] | None = None
            if str(cell) in missing:
                cell = None
            if cell is not None:
                cell = read(cell)
                if cell is None:
                    notes = {"type": kind}
            if not notes:
                for name, check, constraint in checks:
                    if not check(constraint, cell):
                        notes = notes or {}
                        notes[name] = f'constraint "{name}" is "{self.constraints[name]}"'
            return cell, notes

        return cell_reader


def _read_string(cell: Any) -> Any:
    return cell if isinstance(cell, str) else None


def _read_integer(cell: Any) -> Any:
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except Exception:
            return None
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, Decimal) and cell % 1 == 0:
        return int(cell)
    return None


_BOOLEANS = {**dict.fromkeys(TRUE_VALUES, True), **dict.fromkeys(FALSE_VALUES, False)}


def _read_boolean(cell: Any) -> Any:
    if cell is True or cell is False:
        return cell
    if isinstance(cell, str):
        return _BOOLEANS.get(cell)
    return None


def _read_date(cell: Any) -> Any:
    if isinstance(cell, dt.datetime):
        if cell.hour == 0 and cell.minute == 0 and cell.second == 0:
            return dt.datetime(cell.year, cell.month, cell.day).date()
        return None
    if isinstance(cell, dt.date):
        return cell
    if not isinstance(cell, str):
        return None
    try:
        return dt.datetime.strptime(cell, "%Y-%m-%d").date()
    except Exception:
        return None


_VALUE_READERS: dict[str, Callable[[Any], Any]] = {
    "string": _read_string,
    "integer": _read_integer,
    "boolean": _read_boolean,
    "date": _read_date,
    "any": lambda cell: cell,
}


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(constraint: Any, cell: Any) -> bool:
        if cell is None:
            return True
        if cell != cell:  # NaN
            return False
        return bool(compare(cell, constraint))

    return check


_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "required": lambda constraint, cell: not (constraint and cell is None),
    "minLength": lambda constraint, cell: cell is None or len(cell) >= constraint,
    "maxLength": lambda constraint, cell: cell is None or len(cell) <= constraint,
    "pattern": lambda constraint, cell: cell is None or bool(constraint.match(cell)),
    "enum": lambda constraint, cell: cell is None or cell in constraint,
    "minimum": _bound(operator.ge),
    "maximum": _bound(operator.le),
    "exclusiveMinimum": _bound(operator.gt),
    "exclusiveMaximum": _bound(operator.lt),
}
