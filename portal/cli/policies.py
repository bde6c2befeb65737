"""`portal policies …`: read the definitions folder, check sources, decide candidates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from portal.cli.common import portal_of


@click.group()
def policies() -> None:
    """The policy library: definitions, sources and candidates."""


@policies.command("sync")
@click.option(
    "--sources", "check", is_flag=True, help="Also fetch each policy's file or web source."
)
@click.pass_context
def sync(ctx: click.Context, check: bool) -> None:
    """Make each new Markdown file in policies/<name>/ a candidate."""
    from portal.policies import sources

    portal = portal_of(ctx)
    definitions, broken = sources.load_definitions(portal.config.policies_dir)
    for definition in definitions:
        with portal.db.session() as session:
            outcomes = sources.sync_definition(session, portal.config, definition)
            if check and definition.source is not None:
                outcomes.append(sources.check_source(session, portal.config, definition))
        for outcome in outcomes:
            click.echo(f"{outcome.policy}: {outcome.message}")
    for slug, error in broken.items():
        click.echo(f"{slug}: not loaded: {error}", err=True)
    if broken:
        ctx.exit(1)


@policies.command("upload")
@click.argument("policy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective", required=True, help="The day the version takes effect, 2026-08-01.")
@click.option("--by", "email", required=True, help="E-mail of the records officer.")
@click.pass_context
def upload(ctx: click.Context, policy: str, file: Path, effective: str, email: str) -> None:
    """Make a Markdown, Word or PDF file a candidate version of POLICY."""
    from portal.policies import library, review

    portal = portal_of(ctx)
    try:
        day = date.fromisoformat(effective)
    except ValueError:
        raise click.BadParameter(f"{effective!r} is not a date such as 2026-08-01") from None
    with portal.db.session() as session:
        found = library.get_policy(session, policy)
        version = review.submit(
            session, portal.config, found, file.name, file.read_bytes(), day,
            source="upload", source_ref=email, actor=email,
        )  # fmt: skip
        click.echo(f"{policy}: candidate {version.id} ({version.text_sha256[:12]}…)")


@policies.command("candidates")
@click.pass_context
def candidates(ctx: click.Context) -> None:
    """List policy versions awaiting a decision or a scheduled publication."""
    from portal.policies import library

    portal = portal_of(ctx)
    with portal.db.session() as session:
        for v in library.candidates(session):
            click.echo(
                f"{v.id}\t{v.policy.slug}\t{v.status.value}\teffective {v.effective_on}\t"
                f"{v.original_name}"
            )


@policies.command("approve")
@click.argument("candidate", type=int)
@click.option("--by", "email", required=True, help="E-mail of the approving records officer.")
@click.option("--summary", required=True, help="Summary of changes, shown to the public.")
@click.pass_context
def approve(ctx: click.Context, candidate: int, email: str, summary: str) -> None:
    """Approve and publish a policy candidate."""
    from portal.policies import review
    from portal.users import get_user

    portal = portal_of(ctx)
    with portal.db.session() as session:
        version = review.approve(
            session, portal.config, candidate, get_user(session, email), summary
        )
        click.echo(f"{version.policy.slug}: published version {version.number}")


@policies.command("reject")
@click.argument("candidate", type=int)
@click.option("--by", "email", required=True, help="E-mail of the records officer.")
@click.option("--note", required=True, help="Why it is rejected.")
@click.pass_context
def reject(ctx: click.Context, candidate: int, email: str, note: str) -> None:
    """Reject a policy candidate."""
    from portal.policies import review
    from portal.users import get_user

    portal = portal_of(ctx)
    with portal.db.session() as session:
        version = review.reject(session, candidate, get_user(session, email), note)
        click.echo(f"{version.policy.slug}: candidate {candidate} rejected")
