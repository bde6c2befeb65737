"""What every `portal` command shares: the portal of this process, domain errors as one line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from portal.errors import PortalError

if TYPE_CHECKING:
    from portal.datasets.context import Portal


def portal_of(ctx: click.Context) -> Portal:
    # Imported here, not at the top: `portal --help` and `portal validate` never need the
    # database, the dataset definitions or their connectors (issue 22: a quick command line).
    from portal.config import Config
    from portal.datasets.context import Portal

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
