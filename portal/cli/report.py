"""`portal report RUN`: a run's validation and privacy report, per field, with source lines."""

from __future__ import annotations

import json

import click

from portal.cli.common import portal_of


@click.command()
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--resource", default=None, help="Only this resource (table).")
@click.option("--field", default=None, help="Only findings of this field.")
@click.option("--kind", default=None, help="Only this kind: failed, blanked, type-error …")
@click.option("--limit", default=20, show_default=True, help="Findings per resource (≤ 1000).")
@click.option("--offset", default=0, show_default=True, help="Skip this many findings first.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def report(
    ctx: click.Context,
    run_id: int,
    resource: str | None,
    field: str | None,
    kind: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Print a run's report: per field, counts and offending source values with file and line."""
    from portal.pipeline.report import Page, describe_finding, run_report

    portal = portal_of(ctx)
    with portal.db.session() as session:
        data = run_report(
            session, portal.config, run_id, Page(resource, field, kind, offset, limit)
        )
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"run {data['run']} of {data['dataset']}: {data['status']}")
    if data["error"]:
        click.echo(f"  {data['error']}")
    for name, part in data["resources"].items():
        click.echo(f"\n{name} — {part['source']}")
        if part["ignoredColumns"]:
            click.echo(f"  source columns ignored: {', '.join(part['ignoredColumns'])}")
        if part["fields"]:
            click.echo(f"  {'field':<28}{'failed':>8}{'blanked':>9}{'invalid':>9}")
            for field_name, counts in part["fields"].items():
                click.echo(
                    f"  {field_name or '(row)':<28}{counts['failed']:>8,}"
                    f"{counts['blanked']:>9,}{counts['invalid']:>9,}"
                )
        else:
            click.echo("  every cell was read and is valid")
        if part["total"]:
            first = part["offset"] + 1
            last = part["offset"] + len(part["findings"])
            click.echo(f"  findings {first}–{last} of {part['total']:,}:")
            for finding in part["findings"]:
                click.echo("    " + describe_finding(finding, part["unit"]))
    if data["privacy"]:
        click.echo("\nprivacy guard")
        for name, entry in data["privacy"].items():
            for key, value in entry.items():
                shown = value if isinstance(value, str | int) else json.dumps(value, default=str)
                click.echo(f"  {name}: {key}: {shown}")
