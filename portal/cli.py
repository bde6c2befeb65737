"""The `portal` command: database, users, demo, runs, review and validation from a shell."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from portal.config import Config
from portal.context import Portal
from portal.errors import PortalError


def _portal(ctx: click.Context) -> Portal:
    if ctx.obj is None:
        ctx.obj = Portal(Config.from_env())
    return ctx.obj


class PortalGroup(click.Group):
    """Turns domain errors into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PortalError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


@click.group(cls=PortalGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Police transparency portal: publish validated, reviewed open data."""


@main.group()
def db() -> None:
    """Database management."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or migrate the database to the latest schema."""
    from portal.migrate import current, upgrade

    portal = _portal(ctx)
    upgrade(portal.config.database_url)
    click.echo(f"database at revision {current(portal.config.database_url)}")


@main.group()
def users() -> None:
    """Records-office accounts."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["officer", "admin"]), default="officer", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_create(ctx: click.Context, email: str, role: str, password_stdin: bool) -> None:
    """Add a user who can sign in to the records office."""
    from portal.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _portal(ctx).db.session() as session:
        user = create_user(session, email, password, role)
        click.echo(f"created {user.role.value} {user.email}")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users and their roles."""
    from sqlalchemy import select

    from portal.models import User

    with _portal(ctx).db.session() as session:
        for user in session.scalars(select(User).order_by(User.email)):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.email}\t{user.role.value}\t{state}")


@users.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_set_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Reset a user's password."""
    from portal.users import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with _portal(ctx).db.session() as session:
        set_password(session, email, password, actor="cli")
        click.echo(f"password of {email} reset")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["officer", "admin"]))
@click.pass_context
def users_set_role(ctx: click.Context, email: str, role: str) -> None:
    """Change a user's role."""
    from portal.users import set_role

    with _portal(ctx).db.session() as session:
        user = set_role(session, email, role, actor="cli")
        click.echo(f"{user.email} is now {user.role.value}")


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Disable an account; its sessions stop working at once."""
    from portal.users import set_active

    with _portal(ctx).db.session() as session:
        set_active(session, email, False, actor="cli")
        click.echo(f"{email} disabled")


@users.command("enable")
@click.argument("email")
@click.pass_context
def users_enable(ctx: click.Context, email: str) -> None:
    """Enable a disabled account again."""
    from portal.users import set_active

    with _portal(ctx).db.session() as session:
        set_active(session, email, True, actor="cli")
        click.echo(f"{email} enabled")


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

    portal = _portal(ctx)
    slugs = sorted(portal.definitions) if run_all else list(datasets)
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
    from portal.releases import pending_candidates

    with _portal(ctx).db.session() as session:
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
    from portal import embargoes, releases
    from portal.users import get_user

    portal = _portal(ctx)
    publish_at = embargoes.parse_publish_at(at, tz) if at else None
    with portal.db.session() as session:
        user = get_user(session, email)
        result = releases.approve(
            session, portal.config, dataset, user, note, publish_at=publish_at
        )
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
    from portal import releases
    from portal.users import get_user

    with _portal(ctx).db.session() as session:
        candidate = releases.reject(session, dataset, get_user(session, email), note)
        click.echo(f"{dataset}: rejected candidate {candidate.id}")


@main.command()
@click.argument("dataset")
@click.argument("version", type=int)
@click.option("--by", "email", required=True, help="E-mail of the records officer.")
@click.option("--reason", required=True, help="The public notice: why it is withdrawn.")
@click.pass_context
def retract(ctx: click.Context, dataset: str, version: int, email: str, reason: str) -> None:
    """Retract a published version with a public notice."""
    from portal import releases
    from portal.users import get_user

    with _portal(ctx).db.session() as session:
        user = get_user(session, email)
        releases.retract(session, dataset, version, user, reason, _portal(ctx).config)
        session.flush()
        current = releases.current_version(session, dataset)
        click.echo(
            f"{dataset}: version {version} retracted; latest is now "
            f"{'version ' + str(current.number) if current else 'nothing'}"
        )


@main.command()
@click.argument("dataset", required=False)
@click.pass_context
def verify(ctx: click.Context, dataset: str | None) -> None:
    """Check offline that stored files, the database and the signed ledger agree; exit 1 if not."""
    from portal import ledger

    portal = _portal(ctx)
    with portal.db.session() as session:
        result = ledger.verify(session, portal.config, dataset)
    click.echo(
        f"ledger intact: {result.entries} entries, signatures valid, {result.files} files match; "
        f"head {result.head or 'none'}"
    )


@main.command()
@click.argument("schema", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(schema: Path, file: Path, as_json: bool) -> None:
    """Validate a CSV file against a table schema; exit 1 if invalid."""
    from portal.catalog import read_schema
    from portal.validation import validate_table

    report = validate_table(read_schema(schema), file)
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

    portal = _portal(ctx)
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
    from portal.scheduler.heartbeat import HEARTBEAT_SECONDS
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
    Scheduler(_portal(ctx), settings=settings).serve()
