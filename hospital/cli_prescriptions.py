"""`flask prescriptions ...`: maintenance commands of the prescriptions area."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hospital.seed_formulary import load_formulary
from hospital.services import prescriptions

cli = AppGroup("prescriptions", help="E-prescriptions maintenance.")


@cli.command("expire-overdue")
def expire_overdue_command() -> None:
    """Mark every unpaid prescription past its validity as expired (run it e.g. every hour)."""
    click.echo(f"{prescriptions.expire_overdue()} prescription(s) expired.")


@cli.command("load-formulary")
def load_formulary_command() -> None:
    """Load or update the drug catalogue from hospital/data/formulary.json."""
    click.echo(f"{load_formulary()} drugs loaded.")
