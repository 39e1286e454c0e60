"""`flask regulator …`: drain the outbox, reconcile a day's counts, send a refused report again."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from core import clock
from regulator import reconcile as reconciliation
from regulator import sender

cli = AppGroup("regulator", help="Reports to the provincial supervision platform: send, reconcile, retry.")


@cli.command("send")
@click.option("--now", "waiting_too", is_flag=True, help="Also send reports still waiting out their backoff.")
@click.option("--limit", default=200, show_default=True, help="At most this many reports.")
def send(waiting_too: bool, limit: int) -> None:
    """Send the due reports (the periodic task does the same every 30 seconds)."""
    result = sender.send_due(limit, waiting_too)
    click.echo(f"sent {len(result.sent)}, refused {len(result.failed)}, to retry {len(result.retrying)}")
    for msgid in result.failed:
        click.echo(f"  refused: {msgid}")


@cli.command("reconcile")
@click.option("--date", "day", default=None, help="YYYY-MM-DD (local); default today.")
def reconcile(day: str | None) -> None:
    """Compare the day's counts per report type with the platform's; exit 1 when they differ."""
    result = reconciliation.reconcile(date.fromisoformat(day) if day else clock.today())
    click.echo(f"{result.day}: {'balanced' if result.balanced else 'NOT balanced'}")
    if result.error:
        click.echo(f"  platform unreachable: {result.error}")
    for report_type, counts in result.counts.items():
        click.echo(f"  {report_type}: ours {counts['ours']}, platform {counts['theirs']}")
    if not result.balanced:
        raise SystemExit(1)


@cli.command("retry")
@click.argument("report_id", type=int)
def retry(report_id: int) -> None:
    """Send a refused report again (its payload rebuilt from the records)."""
    report = sender.retry(report_id)
    click.echo(f"{report.msgid} is pending again.")
