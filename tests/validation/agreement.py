"""What two reports must share to agree: types, counts, sampled positions and group order."""

from __future__ import annotations


def essence(report: dict, *, with_row_count: bool = True) -> dict:
    """A report without its notes and cell texts, which may be worded differently."""
    return {
        "valid": report["valid"],
        "errorCount": report["errorCount"],
        "rowCount": report["rowCount"] if with_row_count else None,
        "groups": [
            (
                group["type"],
                group["count"],
                [(s["rowNumber"], s["fieldNumber"], s["fieldName"]) for s in group["sample"]],
            )
            for group in report["groups"]
        ],
    }
