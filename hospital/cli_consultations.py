"""`flask consultations end-shifts`: the shift-end sweep (also run lazily and in the background)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hospital.services import consultation_handover

cli = AppGroup("consultations", help="Follow-up consultations.")


@cli.command("end-shifts")
def end_shifts() -> None:
    """Expire waiting consultations of ended shifts and hand over open ones to the next shift."""
    result = consultation_handover.sweep_due()
    click.echo(f"expired {result['expired']}, handed over {result['handed_over']}, kept {result['kept']}")
