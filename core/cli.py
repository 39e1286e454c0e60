"""`flask seed-demo`: demo data from every domain, in the order the composition root gives."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click
from flask import current_app
from flask.cli import with_appcontext

# A seeder takes the shared seed context dict, adds what later seeders need (e.g. the demo
# patients) and returns nothing; app.py lists them in dependency order.
Seeder = Callable[[dict], None]


def seed_demo_command(seeders: Sequence[Seeder]) -> click.Command:
    """The `seed-demo` command running `seeders` in order."""

    @click.command("seed-demo")
    @with_appcontext
    def seed_demo() -> None:
        """Load the demo data (safe to run again: existing rows are kept)."""
        context: dict = {"password": current_app.config["DEMO_PASSWORD"], "logins": []}
        for seeder in seeders:
            seeder(context)
        click.echo("Demo data loaded. Demo logins (password: the DEMO_PASSWORD setting):")
        for role, username, note in context["logins"]:
            click.echo(f"  {role:<11} {username:<16} {note}")

    return seed_demo
