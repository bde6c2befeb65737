"""The privacy guard of a run: apply each resource's declared actions, then check every cell.

Nothing is staged unless no never-publish value and no declared name reaches any published
cell, in any resource or format, except as a coincidence the resource declares.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.datasets.definitions import DatasetDefinition, ResourceDefinition
from portal.errors import DefinitionError
from portal.pipeline.stage import PARQUET, read_json_rows, read_typed
from portal.privacy.declaration import check_columns
from portal.privacy.leaks import Finding, Secrets, find, gather, unchecked_cells
from portal.privacy.rules import PrivacyGuardFailed, guard_table
from portal.privacy.terms import Terms
from publishers.connectors import fetch, read_table

FREE_TEXT_LENGTH = 100  # a published text cell longer than this is free text


@dataclass
class Guarded:
    """The guard's report and what it looked for, kept to check the staged files too."""

    definition: DatasetDefinition
    report: dict[str, dict]
    secrets: dict[str, Secrets] = field(default_factory=dict)

    @property
    def looking(self) -> bool:
        """Whether any resource declares never-publish columns, names or a roster: else no
        cell can hold anything to look for."""
        return any(_declares_secrets(r) for r in self.definition.resources)

    @property
    def terms(self) -> Terms:
        terms = Terms()
        for secrets in self.secrets.values():
            terms.add(secrets)
        return terms

    def check_staged(self, files: list[dict], staging: Path) -> None:
        """Every staged JSON and Parquet file, cell by cell, as the public will read it.

        Each file is read back and compared with the staged CSV, which the guard checked:
        only the cells whose text differs from it (numbers read back as 12.0, text without
        the CSV's formula escape) are checked again, whole and inside their text.
        """
        if not self.looking:
            return  # nothing to look for: the report says no column or name is declared
        csvs = {
            item["resource"]: staging / item["filename"]
            for item in files
            if item["media_type"] == "text/csv"
        }
        checked: dict[str, list[str]] = {}
        csv_tables: dict[str, pl.DataFrame] = {}
        for item in files:
            resource = item["resource"]
            path = staging / item["filename"]
            if item["media_type"] not in ("application/json", PARQUET) or item["rows"] == 0:
                continue
            if item["media_type"] == PARQUET:
                label, table = "Parquet", pl.read_parquet(path)
            else:
                label, table = "JSON", self._read_json(path, resource, csvs.get(resource))
            if resource in csvs:
                if resource not in csv_tables:
                    csv_tables[resource] = pl.read_csv(csvs[resource], infer_schema=False)
                table = unchecked_cells(table, csv_tables[resource])
            texts = text_fields(self.definition.resource(resource))
            _refuse(self, resource, table, texts, f"the staged {label} file")
            checked.setdefault(resource, []).append(label)
        for resource, labels in checked.items():
            self.report.setdefault(resource, {})["formats"] = ["CSV", *labels]

    def _read_json(self, path: Path, resource: str, csv_path: Path | None) -> pl.DataFrame:
        """A staged JSON file's rows, with the types it was written with; fails closed."""
        table_schema = self.definition.resource(resource).table_schema
        try:
            if csv_path is None:
                raise ValueError(f"{path.name} has no staged CSV to take its types from")
            return read_json_rows(path, read_typed(csv_path, table_schema).collect_schema())
        except (ValueError, pl.exceptions.PolarsError) as error:
            raise PrivacyGuardFailed(
                f"privacy guard: the staged JSON file could not be read back to check its "
                f"cells ({error}); nothing was staged",
                {"privacy": self.report},
            ) from error

    def record(self, session: Session, run_id: int) -> None:
        """Put each accepted coincidence in the audit log, and remember the run's terms."""
        for resource, entry in self.report.items():
            for finding in entry.get("coincidences", []):
                audit.record(
                    session,
                    "pipeline",
                    "privacy.coincidence",
                    "run",
                    run_id,
                    dataset=self.definition.slug,
                    resource=resource,
                    field=finding["field"],
                    column=finding["column"],
                    cells=finding["cells"],
                )
        self.terms.remember(session, self.definition.slug)


def guard_dataset(
    definition: DatasetDefinition,
    tables: dict[str, Path],
    sources: dict[str, pl.LazyFrame],
    *,
    config: Config | None = None,
    workdir: Path | None = None,
) -> Guarded:
    """Apply each resource's privacy actions, then check no never-publish value remains.

    Returns the disclosure report (per resource: what was dropped, coarsened, reduced,
    scrubbed, suppressed and checked, with counts); raises PrivacyGuardFailed on a leak.
    """
    guarded = Guarded(definition, {})
    for resource in definition.resources:
        entry: dict = {}
        source = sources.get(resource.name)
        if source is not None:
            columns = source.collect_schema().names()
            entry["dropped"] = sorted(set(columns) - _mapped(resource))
            secrets = _secrets(definition, resource, source, columns, config, workdir)
            guarded.secrets[resource.name] = secrets
            entry["neverPublish"] = {"columns": list(resource.never_publish), **_counts(secrets)}
            entry["names"] = {
                "columns": secrets.name_columns,
                "tokens": len(secrets.names),
            }
            vocabulary = secrets.vocabulary()
        else:
            vocabulary = None
        entry.update(guard_table(tables[resource.name], resource.privacy, vocabulary))
        guarded.report[resource.name] = entry
    looking = guarded.looking
    for resource in definition.resources:
        texts = text_fields(resource)
        guarded.report[resource.name]["textFields"] = texts
        if not looking and not texts:
            continue  # no secret to look for, no text to measure
        # With nothing declared, only the text fields are read (free text is refused anyway).
        columns = None if looking else texts
        table = pl.read_csv(tables[resource.name], infer_schema=False, columns=columns)
        _refuse_free_text(definition, resource, table, guarded.report)
        _refuse(guarded, resource.name, table, texts, "the published CSV")
    return guarded


def text_fields(resource: ResourceDefinition) -> list[str]:
    """Fields whose cells are text of any kind: strings without an enumeration of values."""
    return [
        f["name"]
        for f in resource.table_schema["fields"]
        if f.get("type", "string") == "string" and not (f.get("constraints") or {}).get("enum")
    ]


def _declares_secrets(resource: ResourceDefinition) -> bool:
    """Whether a resource declares never-publish columns or names to look for."""
    privacy = resource.privacy or {}
    scrub = privacy.get("scrub") or {}
    return bool(resource.never_publish or scrub.get("names_from") or privacy.get("roster"))


def _mapped(resource: ResourceDefinition) -> set[str]:
    mapped = set()
    for spec in resource.columns.values():
        if isinstance(spec, str):
            mapped.add(spec)
        elif isinstance(spec, dict):
            mapped |= {spec.get("from"), spec.get("at")} - {None}
    return mapped


def _where(definition: DatasetDefinition, resource: ResourceDefinition) -> str:
    entry = definition.entry or f"publishers/{definition.slug}.yaml"
    return f"{entry}: {definition.slug}/{resource.name}"


def _secrets(
    definition: DatasetDefinition,
    resource: ResourceDefinition,
    source: pl.LazyFrame,
    columns: list[str],
    config: Config | None,
    workdir: Path | None,
) -> Secrets:
    """The never-publish values and names of a resource, every named column checked to exist."""
    where = _where(definition, resource)
    privacy = resource.privacy or {}
    name_columns = (privacy.get("scrub") or {}).get("names_from") or []
    check_columns(where, "never_publish", resource.never_publish, columns)
    check_columns(where, "privacy.scrub.names_from", name_columns, columns)
    # Read the source once, not once per column.
    needed = list(dict.fromkeys([*resource.never_publish, *name_columns]))
    source = source.select(needed).collect().lazy()
    names = {c: _values(source, c) for c in name_columns}
    roster = privacy.get("roster")
    if roster:
        names["roster"] = _roster(where, roster, config, workdir)
    return gather(source, list(resource.never_publish), names)


def _values(source: pl.LazyFrame, column: str) -> list[str]:
    values = source.select(pl.col(column).cast(pl.String)).drop_nulls().unique().collect()
    return values.to_series().to_list()


def _roster(where: str, roster: dict, config: Config | None, workdir: Path | None) -> list[str]:
    """Every name in the declared roster source (officers' names live in another system)."""
    if config is None or workdir is None:
        raise DefinitionError(f"{where}: privacy.roster can be read only during a run")
    target = workdir / "roster"
    shutil.rmtree(target, ignore_errors=True)
    fetched = fetch(
        roster["source"], target, base_dir=config.data_dir, variables=config.source_variables
    )
    frame = read_table(fetched.path, roster["source"], target)
    available = frame.collect_schema().names()
    check_columns(where, "privacy.roster.columns", roster["columns"], available)
    found: list[str] = []
    for column in roster["columns"]:
        found += _values(frame, column)
    return found


def _counts(secrets: Secrets) -> dict:
    counted = secrets.counted
    return {
        "distinct": sum(c["distinct"] for c in counted.values()),
        "short": sum(c["short"] for c in counted.values()),
        "long": sum(c["long"] for c in counted.values()),
        "perColumn": counted,
    }


def _refuse_free_text(
    definition: DatasetDefinition, resource: ResourceDefinition, table: pl.DataFrame, report: dict
) -> None:
    scrubbed = set((resource.privacy.get("scrub") or {}).get("fields") or [])
    for name in text_fields(resource):
        if name in scrubbed or name not in table.columns:
            continue
        longest = table.select(pl.col(name).str.len_chars().max()).item() or 0
        if longest > FREE_TEXT_LENGTH:
            raise PrivacyGuardFailed(
                f"{_where(definition, resource)}: {name} holds free text (cells up to "
                f"{longest:,} characters) and is not scrubbed; declare it under "
                f"privacy: scrub: fields: [{name}] or publish a shorter field",
                {"privacy": report},
            )


def _refuse(guarded: Guarded, name: str, table: pl.DataFrame, texts: list[str], where: str) -> None:
    """Check one published table against every resource's secrets; fail on undeclared hits."""
    definition = guarded.definition
    published = definition.resource(name)
    leaks: list[tuple[Secrets, Finding]] = []
    for owner, secrets in guarded.secrets.items():
        declared = _coincidences(published) | _coincidences(definition.resource(owner))
        for finding in find(table, texts, secrets):
            summary = finding.summary(name, accepted=(finding.field, finding.column) in declared)
            if summary["accepted"]:
                entry = guarded.report.setdefault(name, {}).setdefault("coincidences", [])
                if (finding.field, finding.column) not in {
                    (c["field"], c["column"]) for c in entry
                }:
                    entry.append(summary)
            else:
                leaks.append((secrets, finding))
    if leaks:
        lines = [_leak_sentence(name, secrets, finding) for secrets, finding in leaks]
        guarded.report.setdefault(name, {})["leaks"] = [f.summary(name, False) for _, f in leaks]
        raise PrivacyGuardFailed(
            f"privacy guard: {where} would publish never-publish values: " + "; ".join(lines),
            {"privacy": guarded.report},
        )


def _coincidences(resource: ResourceDefinition) -> set[tuple[str, str]]:
    declared = (resource.privacy or {}).get("coincidences") or {}
    return {(field, column) for field, columns in declared.items() for column in columns}


def _leak_sentence(name: str, secrets: Secrets, finding: Finding) -> str:
    summary = finding.summary(name, False)
    if finding.column in secrets.counted:
        what = f"values of the never-publish column {finding.column}"
        if finding.column in secrets.name_columns:
            what += " (or names from it)"
    elif finding.column == "roster":
        what = "names from the declared roster"
    else:
        what = f"names from the name column {finding.column}"
    rows = ", ".join(str(r) for r in summary["rows"])
    how = "inside the text of" if finding.inside else "as the whole value of"
    more = "" if summary["cells"] <= len(summary["rows"]) else ", …"
    return (
        f"{name}.{finding.field} holds {what} {how} {summary['cells']:,} "
        f"{'cell' if summary['cells'] == 1 else 'cells'} (rows {rows}{more}); fix the column "
        f"mapping, scrub the field, or, if they are reviewed coincidences, declare "
        f"privacy: coincidences: {{{finding.field}: [{finding.column}]}}"
    )
