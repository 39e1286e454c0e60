"""`flask pharmacy …`: assign staff, check stock flags."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core import accounts
from pharmacy import orders, staff, stock

cli = AppGroup("pharmacy", help="Pharmacy: staff and stock.")


@cli.command("assign")
@click.argument("username")
@click.argument("pharmacy_id", type=int)
def assign(username: str, pharmacy_id: int) -> None:
    """Put a pharmacist or dispatcher on a pharmacy's staff."""
    user = accounts.get_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    staff.assign_staff(user, pharmacy_id)
    click.echo(f"{username} now works for pharmacy {pharmacy_id}")


@cli.command("flags")
@click.argument("pharmacy_id", type=int)
def flags(pharmacy_id: int) -> None:
    """List low, near-expiry and expired stock of a pharmacy."""
    for row in stock.pharmacy_stock(pharmacy_id, flagged_only=True):
        marks = [name for name in ("low", "near_expiry", "expired") if getattr(row, name)]
        click.echo(f"{row.drug_code:<10} {row.name_zh:<12} available={row.available:<5} {' '.join(marks)}")


@cli.command("resolve-payments")
@click.option("--older-than", default=120.0, show_default=True, help="Seconds a payment must have been left.")
def resolve_payments(older_than: float) -> None:
    """Finish orders a crash left pending: ask the insurer (6301), then settle or release (2601)."""
    for ref, outcome in orders.resolve_stranded_payments(older_than):
        click.echo(f"{ref}: {outcome}")
