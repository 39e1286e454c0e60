"""`flask insurance …`: resolve unknown settlements (run after a crash), reconcile a day, faults."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup

from core import clock
from insurance.admin import set_faults
from insurance.reconciliation import reconcile as run_reconciliation
from insurance.settlement import resolve_unknown as resolve

cli = AppGroup("insurance", help="Medical-insurance settlement: resolve, reconcile, mock faults.")


@cli.command("resolve-unknown")
@click.option("--older-than", default=60.0, show_default=True, help="Seconds a pending call may still be running.")
def resolve_unknown(older_than: float) -> None:
    """Ask the insurer about every settlement whose outcome is unknown (never charges again)."""
    results = resolve(older_than_seconds=older_than)
    for r in results:
        click.echo(f"{r.med_org_ord}  {r.msgid}  {r.before} -> {r.after}  ({r.how})")
    click.echo(f"{len(results)} settlement(s) checked.")


@cli.command("reconcile")
@click.option("--date", "day", default=None, help="YYYY-MM-DD (local); default today.")
def reconcile(day: str | None) -> None:
    """Compare our ledger with the insurer's for a day; exit 1 when they differ."""
    result = run_reconciliation(date.fromisoformat(day) if day else clock.today())
    click.echo(f"{result.day}: {'balanced' if result.balanced else 'NOT balanced'} ({result.statement.description})")
    for d in result.differences:
        click.echo(f"  {d.kind}  {d.med_org_ord}  {d.setl_id or '-'}  {d.field or ''} ours={d.ours} theirs={d.theirs}")
    if not result.balanced:
        raise SystemExit(1)


@cli.command("faults")
@click.argument("settings", required=False, default="")
@click.option("--replace", is_flag=True, help="Reset the faults not given.")
def faults(settings: str, replace: bool) -> None:
    """Read or set the mock insurer's faults, e.g. '{"fail_next": 1}' or '{"timeout_after_charge": true}'."""
    values = json.loads(settings) if settings else {}
    click.echo(json.dumps(set_faults({**values, "replace": replace}), ensure_ascii=False))
