"""`flask retention`: what is past its legal retention period, per class (`--dry-run`), and the
purge of exactly that (`--yes` to skip the question). See docs/retention.md."""

from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from core import clock
from interchange import retention


def _report(plans: list[retention.ClassPlan], verb: str) -> None:
    for plan in plans:
        cutoff = clock.to_local(plan.cutoff).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{plan.name}: {verb} {plan.count} (kept {plan.years} years; older than {cutoff})")
        if plan.ids:
            click.echo("  ids: " + ", ".join(str(i) for i in plan.ids))
        if plan.files:
            click.echo(f"  files: {len(plan.files)}")
        for name, count in sorted(plan.detail.items()):
            click.echo(f"  {name}: {count}")


@click.group(
    "retention",
    cls=AppGroup,
    invoke_without_command=True,
    help="Purge records past their legal retention period (see docs/retention.md).",
)
@click.option("--dry-run", is_flag=True, help="List what would be purged, per class; change nothing.")
@click.option("--yes", is_flag=True, help="Purge without asking.")
@with_appcontext
def cli(dry_run: bool, yes: bool) -> None:
    """List (--dry-run) or purge what is past its retention period."""
    now = clock.now()  # one instant for the list and the purge: exactly what was listed goes
    plans = retention.plan(now)
    _report(plans, "would purge")
    if dry_run or not any(p.count for p in plans):
        return
    if not yes:
        click.confirm("Purge these records for good?", abort=True)
    _report(retention.purge(now), "purged")
