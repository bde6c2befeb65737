"""`portal users …`: records-office accounts from a shell."""

from __future__ import annotations

import sys

import click

from portal.cli.common import portal_of


@click.group()
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
    with portal_of(ctx).db.session() as session:
        user = create_user(session, email, password, role)
        click.echo(f"created {user.role.value} {user.email}")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users and their roles."""
    from sqlalchemy import select

    from portal.models import User

    with portal_of(ctx).db.session() as session:
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
    with portal_of(ctx).db.session() as session:
        set_password(session, email, password, actor="cli")
        click.echo(f"password of {email} reset")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["officer", "admin"]))
@click.pass_context
def users_set_role(ctx: click.Context, email: str, role: str) -> None:
    """Change a user's role."""
    from portal.users import set_role

    with portal_of(ctx).db.session() as session:
        user = set_role(session, email, role, actor="cli")
        click.echo(f"{user.email} is now {user.role.value}")


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Disable an account; its sessions stop working at once."""
    from portal.users import set_active

    with portal_of(ctx).db.session() as session:
        set_active(session, email, False, actor="cli")
        click.echo(f"{email} disabled")


@users.command("enable")
@click.argument("email")
@click.pass_context
def users_enable(ctx: click.Context, email: str) -> None:
    """Enable a disabled account again."""
    from portal.users import set_active

    with portal_of(ctx).db.session() as session:
        set_active(session, email, True, actor="cli")
        click.echo(f"{email} enabled")


@users.command("set-public-name")
@click.argument("email")
@click.argument("name", default="")
@click.pass_context
def users_set_public_name(ctx: click.Context, email: str, name: str) -> None:
    """How the public ledger names the user (no NAME: by the role)."""
    from portal.users import set_public_name

    with portal_of(ctx).db.session() as session:
        user = set_public_name(session, email, name, actor="cli")
        click.echo(f"{user.email} is named in public as {user.public_label!r}")
