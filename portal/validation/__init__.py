"""Validation of normalised tables against Frictionless Table Schemas.

The report shape (stored as JSON on the run and shown in the office):

    {"valid": bool, "rowCount": int, "errorCount": int,
     "groups": [{"type": "constraint-error", "title": "Constraint Error", "count": 3,
                 "sample": [{"rowNumber": 5, "fieldNumber": 2, "fieldName": "district",
                             "cell": "Z9", "note": "..."}]}]}

Types, row numbers (header is row 1) and field numbers (1-based) are the ones
`frictionless validate` uses, so both can be compared cell for cell. Groups come in the
order of their first finding; each sample holds the first `sample_size` findings.

`validate_table`/`validate_package` are the fast streaming engine (polars, bounded
memory); `validate_table_reference`/`validate_package_reference` run frictionless
itself, with the CSV dialect our normaliser writes spelled out, and are the yardstick
the fast engine is tested against.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SAMPLE_SIZE",
    "validate_package",
    "validate_package_reference",
    "validate_table",
    "validate_table_reference",
]

# Imported on first use: the fast engine needs polars, the reference needs frictionless,
# and a process that runs one of them should not pay for loading the other.
_HOMES = {
    "SAMPLE_SIZE": "portal.validation.tables",
    "validate_package": "portal.validation.tables",
    "validate_table": "portal.validation.tables",
    "validate_package_reference": "portal.validation.reference",
    "validate_table_reference": "portal.validation.reference",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(_HOMES[name]), name)
