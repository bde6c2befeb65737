"""One run of a dataset's publisher, from its sources to a staged candidate release."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.config import Config
from portal.datasets.definitions import DatasetDefinition, sync_dataset
from portal.db import Database
from portal.errors import PortalError, RunInProgress, ValidationFailed
from portal.models import Candidate, CandidateStatus, Dataset, Run, RunStatus, Version, utcnow
from portal.pipeline.gather import fetch_all, normalise_all
from portal.pipeline.guard import Guarded, guard_dataset
from portal.pipeline.heartbeat import Heartbeat
from portal.pipeline.stage import stage_resource
from portal.pipeline.verdict import (
    add_mapping_errors,
    cell_report,
    failure_summary,
    summary_of,
)
from portal.privacy.rules import PrivacyGuardFailed
from portal.query import index
from portal.releases.diff import diff_tables
from portal.releases.packages import bundle_staged
from portal.releases.publishing import publish
from portal.storage import LocalStorage, sha256_of
from portal.timing import Laps
from portal.validation import validate_package

log = logging.getLogger(__name__)


def fingerprint(definition: DatasetDefinition) -> str:
    """A hash of everything in the definition that shapes the published files."""
    shape = [
        definition.meta,
        [
            (
                r.name,
                r.table_schema,
                r.columns,
                r.aggregate,
                r.never_publish,
                r.privacy,
                r.table_kind,
                r.missing_values,
                r.select,
            )
            for r in definition.resources
        ],
    ]
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def last_completed_run(session: Session, dataset: Dataset) -> Run | None:
    """The latest run that ended with the source read (succeeded or unchanged)."""
    return session.scalar(
        select(Run)
        .where(
            Run.dataset_id == dataset.id, Run.status.in_([RunStatus.SUCCEEDED, RunStatus.UNCHANGED])
        )
        .order_by(Run.id.desc())
        .limit(1)
    )


def run_dataset(
    db: Database,
    definition: DatasetDefinition,
    *,
    trigger: str = "cli",
    requested_by: str | None = None,
    uploads: Mapping[str, Path] | None = None,
) -> Run:
    """Run a publisher now and return its finished run; failures are recorded, not raised."""
    with db.session() as session:
        dataset = sync_dataset(session, definition)
        busy = session.scalar(
            select(Run.id).where(Run.dataset_id == dataset.id, Run.status == RunStatus.RUNNING)
        )
        if busy:
            raise RunInProgress(f"{definition.slug} already has run {busy} in progress")
        run_id = _start_run(session, dataset, definition, trigger, requested_by)
    return execute_run(db, definition, run_id, uploads or {})


def _start_run(
    session: Session,
    dataset: Dataset,
    definition: DatasetDefinition,
    trigger: str,
    requested_by: str | None,
) -> int:
    run = Run(
        dataset=dataset,
        status=RunStatus.RUNNING,
        trigger=trigger,
        requested_by=requested_by,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    session.add(run)
    try:
        session.flush()  # the partial unique index on running runs settles any race
    except IntegrityError as error:
        raise RunInProgress(f"{definition.slug} already has a run in progress") from error
    audit.record(
        session, requested_by or trigger, "run.start", "run", run.id, dataset=definition.slug
    )
    return run.id


def execute_run(
    db: Database, definition: DatasetDefinition, run_id: int, uploads: Mapping[str, Path]
) -> Run:
    config = db.config
    workdir = config.runs_dir / str(run_id)
    workdir.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        run = session.get(Run, run_id)
        try:
            with Heartbeat(db, run_id):
                _execute(session, config, definition, run, workdir, uploads)
        except ValidationFailed as error:
            _fail(run, str(error), error.report)
        except PortalError as error:
            _fail(run, str(error), run.report)
            run.error_type = type(error).__name__  # the scheduler retries SourceUnavailable
        except Exception as error:  # a bug must still end the run, never leave it "running"
            log.exception("run %s of %s crashed", run_id, definition.slug)
            _fail(run, f"internal error ({type(error).__name__}): {error}", run.report)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        run.finished_at = utcnow()
        audit.record(
            session,
            "pipeline",
            f"run.{run.status.value}",
            "run",
            run.id,
            dataset=definition.slug,
            source_hash=run.source_hash,
            error=run.error,
        )
    log.info(
        "run finished",
        extra={
            "run": run.id,
            "dataset": definition.slug,
            "status": run.status.value,
            "rows": run.row_count,
            "seconds": run.duration_seconds,
        },
    )
    return run


def _fail(run: Run, message: str, report: dict | None) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.report = report or {}


def _execute(
    session: Session,
    config: Config,
    definition: DatasetDefinition,
    run: Run,
    workdir: Path,
    uploads: Mapping[str, Path],
) -> None:
    laps = Laps("run", dataset=definition.slug, run=run.id)
    previous = last_completed_run(session, run.dataset)
    previous_states = (previous.source_state or {}) if previous else {}
    fetched = fetch_all(config, definition, workdir, previous_states, uploads)
    digest = hashlib.sha256(fingerprint(definition).encode())
    for name in sorted(fetched):
        digest.update(f"{name}:{fetched[name].sha256 or previous_states[name]['sha256']}".encode())
    run.source_hash = digest.hexdigest()
    run.source_state = {
        name: {**item.state, "sha256": item.sha256 or previous_states[name]["sha256"]}
        for name, item in fetched.items()
    }
    if previous is not None and previous.source_hash == run.source_hash:
        run.status = RunStatus.UNCHANGED
        return
    if any(item.unchanged for item in fetched.values()):
        # The source said "not modified" but the definition changed: fetch it whole.
        fetched = fetch_all(config, definition, workdir, {}, uploads)
    laps.lap("fetch")

    tables, sources, reads = normalise_all(definition, fetched, workdir, uploads)
    laps.lap("normalise")
    # As one package, so foreign keys between the dataset's resources are checked too.
    kept: dict[str, list[pl.DataFrame]] = {name: [] for name in tables}
    reports = validate_package(
        {name: (definition.resource(name).table_schema, path) for name, path in tables.items()},
        sinks={name: kept[name].append for name in tables},
    )
    run.row_count = sum(report["rowCount"] for report in reports.values())
    cells = cell_report(config, run.id, reads, kept)
    failed = {
        name: {f: c["failed"] for f, c in cell["fields"].items() if c["failed"]}
        for name, cell in cells.items()
    }
    for name, fields in failed.items():
        if fields:
            add_mapping_errors(reports[name], cells[name])
    valid = all(r["valid"] for r in reports.values())
    report = {"valid": valid, "resources": reports, "cells": cells}
    run.report = report
    laps.lap("validate")
    if not valid:
        raise ValidationFailed(failure_summary(reports, cells), report)

    validated = {name: sha256_of(path) for name, path in tables.items()}
    guard = guard_dataset(definition, tables, sources, config=config, workdir=workdir)
    report["privacy"] = guard.report
    laps.lap("guard")
    # The guard may rewrite tables (coarsen, scrub, suppress …): validate again, unless every
    # table still has exactly the bytes validated above (same SHA-256).
    if any(sha256_of(path) != validated[name] for name, path in tables.items()):
        _validate_guarded(definition, tables, report)
        laps.lap("validate after the guard")
    current = session.get(Version, run.dataset.current_version_id or 0)
    report["diff"] = diff_against_current(current, definition, tables, config)
    # Which version that was: publishing reuses the diff as the changelog while it is current.
    report["diffAgainst"] = current.number if current else None
    run.report = report
    laps.lap("diff")

    storage = LocalStorage(config.data_dir)
    staging = storage.new_staging_dir(f"run-{run.id}")
    files = _stage_all(definition, guard, tables, staging, laps)
    guard.record(session, run.id)
    run.report = {**report}
    for older in session.scalars(
        select(Candidate).where(
            Candidate.dataset_id == run.dataset_id, Candidate.status == CandidateStatus.PENDING
        )
    ):
        older.status = CandidateStatus.SUPERSEDED
        older.decided_at = utcnow()
    session.add(
        Candidate(
            dataset_id=run.dataset_id, run=run, staged_dir=staging.name, files=files, report=report
        )
    )
    run.status = RunStatus.SUCCEEDED
    if definition.auto_publish:
        session.flush()
        candidate = run.candidate
        version = publish(
            session,
            config,
            candidate,
            approved_by=None,
            note="Published automatically: aggregate tables, valid, privacy guard passed.",
        )
        candidate.status = CandidateStatus.APPROVED
        candidate.decided_at = utcnow()
        audit.record(
            session,
            "pipeline",
            "candidate.auto_publish",
            "candidate",
            candidate.id,
            dataset=definition.slug,
            version=version.number,
            files={f.filename: f.sha256 for f in version.files},
        )


def _stage_all(
    definition: DatasetDefinition,
    guard: Guarded,
    tables: Mapping[str, Path],
    staging: Path,
    laps: Laps,
) -> list[dict]:
    """Stage every table, check the staged files, build the version's zip and query indexes.

    The indexes (from each CSV, as soon as it is in place) and then the zip are built on
    another thread, so on another core (DuckDB and zlib release the GIL), while this one
    writes the JSON and Parquet renderings and the guard checks them. Nothing stays staged
    if any of it fails.
    """
    schemas = {resource.name: resource.table_schema for resource in definition.resources}
    files: list[dict] = []
    try:
        with ThreadPoolExecutor(max_workers=1) as beside:
            built = []

            def build_index(table: dict) -> None:
                built.append(beside.submit(index.build_staged, staging, [table], schemas))

            for name, path in tables.items():
                schema = definition.resource(name).table_schema
                files += stage_resource(name, path, schema, staging, placed=build_index)
            laps.lap("stage")
            # The version's zip, compressed once; publish reuses it.
            built.append(beside.submit(bundle_staged, staging))
            guard.check_staged(files, staging)
            laps.lap("check staged files")
            for job in built:
                job.result()
            laps.lap("waiting for the zip and query index")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files


def _validate_guarded(
    definition: DatasetDefinition, tables: Mapping[str, Path], report: dict
) -> None:
    guarded = validate_package(
        {name: (definition.resource(name).table_schema, path) for name, path in tables.items()}
    )
    if not all(r["valid"] for r in guarded.values()):
        report["guarded"] = guarded
        raise PrivacyGuardFailed(
            "after the privacy guard the data no longer matches its schema "
            f"({summary_of(guarded).split(': ', 1)[1]}); check the privacy declaration",
            report,
        )


def diff_against_current(
    current: Version | None,
    definition: DatasetDefinition,
    tables: Mapping[str, Path],
    config: Config,
) -> dict[str, dict]:
    """Each table compared with the same resource of `current`, the version the public sees
    now (None: nothing is published)."""
    storage = LocalStorage(config.data_dir)
    diffs = {}
    for name, path in tables.items():
        old = current.file(f"{name}.csv") if current else None
        diffs[name] = diff_tables(
            storage.path(old.path) if old else None, path, definition.resource(name).table_schema
        )
    return diffs
