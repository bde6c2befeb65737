"""A run's report for people: per resource and field, counts and a page of offending cells.

The command line (`portal report RUN`) and the records office's run page show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.config import Config
from portal.errors import PortalError
from portal.models import Run
from portal.pipeline.cells import findings_path, read_findings

PAGE = 20
MAX_PAGE = 1000


class UnknownRun(PortalError):
    """No run has this number."""


@dataclass(frozen=True)
class Page:
    """Which findings to show: all, or one resource, field or kind; `limit` from `offset`."""

    resource: str | None = None
    field: str | None = None
    kind: str | None = None
    offset: int = 0
    limit: int = PAGE


def run_report(session: Session, config: Config, run_id: int, page: Page = Page()) -> dict:
    """The run's outcome, and per resource its source, ignored columns, counts and findings."""
    run = session.get(Run, run_id)
    if run is None:
        raise UnknownRun(f"no run number {run_id}")
    limit = max(0, min(page.limit, MAX_PAGE))
    stored = run.report or {}
    resources = {}
    for name, cells in (stored.get("cells") or {}).items():
        if page.resource is not None and name != page.resource:
            continue
        findings, total = read_findings(
            findings_path(config.reports_dir, run.id, name),
            field=page.field,
            kind=page.kind,
            offset=max(0, page.offset),
            limit=limit,
        )
        validation = (stored.get("resources") or {}).get(name) or {}
        resources[name] = {
            "source": cells.get("source", ""),
            "unit": cells.get("unit", "line"),
            "ignoredColumns": cells.get("ignoredColumns", []),
            "rows": validation.get("rowCount"),
            "fields": {
                field: {k: counts[k] for k in ("failed", "blanked", "invalid")}
                for field, counts in cells.get("fields", {}).items()
            },
            "findings": findings,
            "total": total,
            "offset": max(0, page.offset),
            "limit": limit,
        }
    return {
        "run": run.id,
        "dataset": run.dataset.slug,
        "status": run.status.value,
        "error": run.error,
        "valid": stored.get("valid"),
        "privacy": stored.get("privacy"),
        "resources": resources,
    }


def describe_finding(finding: dict, unit: str) -> str:
    """One finding in words: where, which field, the source value, why."""
    where = f"row {finding['row']} of the table"
    if finding.get("line") is not None:
        where = f"{unit} {finding['line']}"
        where += f" of {finding['file']}" if finding.get("file") else ""
    value = finding.get("value")
    shown = repr(value) if value is not None else "(empty)"
    text = f"{where}: {finding['field'] or '(row)'} {shown} — {finding['kind']}: {finding['note']}"
    if finding.get("first_row") is not None:
        first = finding.get("first_line")
        earlier = f"{unit} {first}" if first is not None else f"row {finding['first_row']}"
        if first is not None and finding.get("file"):
            earlier += f" of {finding['file']}"
        text += f" (the same key as {earlier})"
    return text
