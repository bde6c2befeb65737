"""The `portal` command: database, users, demo, runs, review and validation from a shell."""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from pathlib import Path

import click

from portal.cli.common import PortalGroup, portal_of
from portal.cli.policies import policies
from portal.cli.report import report
from portal.cli.users import users

# A command's objects end with its process. Without this, the collector's passes at
# interpreter exit walk every object of polars, numpy and click: 0.09-0.12 s of each
# command (`portal validate` of 2,000 rows: 0.50 s, 0.37 s with it).
atexit.register(gc.freeze)


@click.group(cls=PortalGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Police transparency portal: publish validated, reviewed open data."""


main.add_command(users)
main.add_command(report)
main.add_command(policies)


@main.group()
def db() -> None:
    """Database management."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the database to the latest schema."""
    from portal.db import current, upgrade
    from portal.releases import publishing

    portal = portal_of(ctx)
    upgrade(portal.config.database_url)
    click.echo(f"database at revision {current(portal.config.database_url)}")
    for name in publishing.remove_orphans(portal.db, portal.config):
        click.echo(f"removed {name}: left by an interrupted publish, never published")


@main.command()
@click.argument("datasets", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every publisher.")
@click.option(
    "--file",
    "files",
    multiple=True,
    metavar="RESOURCE=PATH",
    help="Use this file as the source of one resource (one dataset only).",
)
@click.pass_context
def run(
    ctx: click.Context, datasets: tuple[str, ...], run_all: bool, files: tuple[str, ...]
) -> None:
    """Run publishers now and print the outcome of each run."""
    from portal.pipeline.run import run_dataset

    portal = portal_of(ctx)
    broken = portal.broken
    slugs = sorted([*portal.definitions, *broken]) if run_all else list(datasets)
    if not slugs:
        raise click.UsageError("name at least one dataset, or use --all")
    uploads = {}
    for item in files:
        resource, sep, path = item.partition("=")
        if not sep or not path:
            raise click.UsageError(f"--file takes RESOURCE=PATH, not {item!r}")
        uploads[resource] = Path(path).resolve()
    if uploads and len(slugs) != 1:
        raise click.UsageError("--file applies to one dataset at a time")
    failed = False
    for slug in slugs:
        if slug in broken:
            # A broken entry disables only its own dataset: the others still run.
            click.echo(f"{slug}: not run, its definition does not load: {broken[slug]}")
            failed = True
            continue
        definition = portal.definition(slug)
        for resource in uploads:
            definition.resource(resource)  # an unknown resource name is a clear error
        result = run_dataset(portal.db, definition, trigger="cli", uploads=uploads)
        line = f"{slug}: run {result.id} {result.status.value}"
        if result.row_count is not None:
            line += f", {result.row_count} rows"
        if result.error:
            line += f": {result.error}"
        click.echo(line)
        failed |= result.status.value == "failed"
    sys.exit(1 if failed else 0)


@main.command()
@click.pass_context
def candidates(ctx: click.Context) -> None:
    """List candidates awaiting review."""
    from portal.releases.review import pending_candidates

    with portal_of(ctx).db.session() as session:
        pending = pending_candidates(session)
        if not pending:
            click.echo("no candidates awaiting review")
        for candidate in pending:
            rows = sum(f["rows"] or 0 for f in candidate.files if f["media_type"] == "text/csv")
            click.echo(
                f"{candidate.dataset.slug}\tcandidate {candidate.id}\trun "
                f"{candidate.run_id}\t{rows} rows\tstaged "
                f"{candidate.created_at:%Y-%m-%d %H:%M} UTC"
            )


@main.command()
@click.argument("dataset")
@click.option("--by", "email", required=True, help="E-mail of the approving records officer.")
@click.option("--note", default="", help="Note kept with the decision.")
@click.option("--at", "at", default=None, help='Embargo: publish at this time, "2026-12-01 09:00".')
@click.option("--tz", default="UTC", show_default=True, help="Time zone of --at (America/Chicago).")
@click.pass_context
def approve(
    ctx: click.Context, dataset: str, email: str, note: str, at: str | None, tz: str
) -> None:
    """Approve and publish the dataset's pending candidate (now, or at --at)."""
    from portal.releases import embargoes, review
    from portal.users import get_user

    portal = portal_of(ctx)
    publish_at = embargoes.parse_publish_at(at, tz) if at else None
    with portal.db.session() as session:
        user = get_user(session, email)
        result = review.approve(session, portal.config, dataset, user, note, publish_at=publish_at)
        if publish_at is not None:
            click.echo(
                f"{dataset}: approved; embargoed until {publish_at:%Y-%m-%d %H:%M} {tz} "
                f"({result.publish_at:%Y-%m-%d %H:%M} UTC)"
            )
        else:
            click.echo(f"{dataset}: published version {result.number}")


@main.command()
@click.argument("dataset")
@click.option("--by", "email", required=True, help="E-mail of the records officer.")
@click.option("--note", required=True, help="Why the candidate is rejected.")
@click.pass_context
def reject(ctx: click.Context, dataset: str, email: str, note: str) -> None:
    """Reject the dataset's pending candidate."""
    from portal.releases import review
    from portal.users import get_user

    with portal_of(ctx).db.session() as session:
        candidate = review.reject(session, dataset, get_user(session, email), note)
        click.echo(f"{dataset}: rejected candidate {candidate.id}")


@main.command()
@click.argument("dataset")
@click.argument("version", type=int)
@click.option("--by", "email", required=True, help="E-mail of the records officer.")
@click.option("--reason", required=True, help="The public notice: why it is withdrawn.")
@click.option("--yes", is_flag=True, help="Do not ask to confirm (for scripts).")
@click.pass_context
def retract(
    ctx: click.Context, dataset: str, version: int, email: str, reason: str, yes: bool
) -> None:
    """Retract a published version with a public notice (asks to confirm unless --yes)."""
    from portal.releases import retractions, review
    from portal.users import get_user

    with portal_of(ctx).db.session() as session:
        user = get_user(session, email)
        if not yes:
            consequences = retractions.retraction_consequences(session, dataset, version)
            for sentence in consequences.sentences:
                click.echo(f"- {sentence}")
            if not click.confirm(f"Retract version {version} of {dataset}?", default=False):
                click.echo("error: nothing was retracted", err=True)
                ctx.exit(1)
        retractions.retract(session, dataset, version, user, reason, portal_of(ctx).config)
        session.flush()
        current = review.current_version(session, dataset)
        click.echo(
            f"{dataset}: version {version} retracted; latest is now "
            f"{'version ' + str(current.number) if current else 'nothing'}"
        )


@main.command()
@click.argument("dataset", required=False)
@click.pass_context
def verify(ctx: click.Context, dataset: str | None) -> None:
    """Check offline that stored files, the database and the signed ledger agree; exit 1 if not."""
    from portal.policies.verify import verify as verify_policies
    from portal.releases import ledger

    portal = portal_of(ctx)
    # `portal verify policy:<name>` checks one policy's files; no argument checks everything.
    policy = dataset.removeprefix("policy:") if dataset and dataset.startswith("policy:") else None
    with portal.db.session() as session:
        result = ledger.verify(session, portal.config, None if policy else dataset)
        policies = (
            verify_policies(session, portal.config, policy) if policy or not dataset else None
        )
    click.echo(
        f"ledger intact: {result.entries} entries, signatures valid, {result.files} files match; "
        f"head {result.head or 'none'}"
    )
    if policies is not None:
        click.echo(
            f"policies intact: {policies.versions} versions, {policies.files} files match "
            "their signed ledger entries"
        )


@main.command()
@click.argument("schema", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--sample-size",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Findings listed per error type (every one is counted).",
)
def validate(schema: Path, file: Path, as_json: bool, sample_size: int) -> None:
    """Validate a CSV file against a table schema; exit 1 if invalid."""
    from portal.validation import validate_table
    from portal.validation.table_schema import read_schema

    report = validate_table(read_schema(schema), file, sample_size=sample_size)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(
            f"{file}: {report['rowCount']} rows, "
            f"{'valid' if report['valid'] else str(report['errorCount']) + ' errors'}"
        )
        for group in report["groups"]:
            click.echo(f"  {group['title']} ({group['type']}): {group['count']}")
            for finding in group["sample"]:
                where = f"row {finding['rowNumber']}" if finding.get("rowNumber") else "file"
                if finding.get("fieldName"):
                    where += f", field {finding['fieldName']}"
                click.echo(f"    {where}: {finding['note']}")
    sys.exit(0 if report["valid"] else 1)


@main.command()
@click.option("--serve", is_flag=True, help="Then serve the portal with gunicorn.")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.pass_context
def demo(ctx: click.Context, serve: bool, bind: str) -> None:
    """Generate demo sources, publish first versions, leave one candidate pending. Idempotent."""
    from portal.demo import load_demo

    portal = portal_of(ctx)
    for line in load_demo(portal):
        click.echo(line)
    if serve:
        click.echo(f"serving on http://{bind}/ (Ctrl-C stops)")
        from portal.config import REPO_ROOT

        # The workers must see the same folder, database and key as this process.
        os.environ.update(
            PORTAL_DEMO="1",
            SECRET_KEY=portal.config.secret_key,
            PORTAL_DATA_DIR=str(portal.config.data_dir),
            DATABASE_URL=portal.config.database_url,
        )
        os.execvp(  # noqa: S606 — replaces this process with gunicorn, no shell involved
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                bind,
                "--chdir",
                str(REPO_ROOT),
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
        )


@main.command()
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=1),
    default=15.0,
    show_default=True,
    help="A standby scheduler takes over this long after the active one stops.",
)
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="How often the run queue is polled and the lease renewed.",
)
@click.option(
    "--stale-seconds",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="A running run without a heartbeat for this long is marked interrupted.",
)
@click.option(
    "--grace-seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="On SIGTERM, how long a running run may take to finish.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Runs executed at the same time (never two of one dataset).",
)
@click.pass_context
def scheduler(
    ctx: click.Context,
    lease_seconds: float,
    poll_seconds: float,
    stale_seconds: float,
    grace_seconds: float,
    jobs: int,
) -> None:
    """Run the scheduler process: cron schedules, queued runs, retries (one active at a time)."""
    from portal.pipeline.heartbeat import HEARTBEAT_SECONDS
    from portal.scheduler.logs import log_json_lines
    from portal.scheduler.service import Scheduler, Settings

    if lease_seconds <= poll_seconds:
        raise click.UsageError("--lease-seconds must be longer than --poll-seconds")
    if stale_seconds < 2 * HEARTBEAT_SECONDS:
        raise click.UsageError(
            f"--stale-seconds must be at least {2 * HEARTBEAT_SECONDS:.0f} "
            f"(runs beat every {HEARTBEAT_SECONDS:.0f} s)"
        )
    log_json_lines(sys.stderr)
    settings = Settings(
        lease_seconds=lease_seconds,
        poll_seconds=poll_seconds,
        stale_seconds=stale_seconds,
        grace_seconds=grace_seconds,
        jobs=jobs,
    )
    Scheduler(portal_of(ctx), settings=settings).serve()
