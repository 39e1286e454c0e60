"""`flask seed-demo`: demo data from every domain, in dependency order, idempotent."""

from __future__ import annotations

import importlib

import click
from flask import current_app
from flask.cli import with_appcontext

# Each entry is "module:function"; the function takes the seed context dict, adds what later
# seeders need (e.g. the demo patients) and returns nothing. Order follows the dependencies.
SEEDERS = [
    "hospital.seed:seed_network",
    "hospital.seed_rota:seed_rota",
    "hospital.seed_formulary:seed_formulary",
    "insurance.seed:seed_from_context",
    "pharmacy.seed:seed_pharmacy",
    "hospital.seed_expert:seed_expert",
]


def _load(path: str):
    module_name, _, function = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            return None  # that domain is not built yet
        raise
    return getattr(module, function, None)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data (safe to run again: existing rows are kept)."""
    context: dict = {"password": current_app.config["DEMO_PASSWORD"], "logins": []}
    for path in SEEDERS:
        seeder = _load(path)
        if seeder is not None:
            seeder(context)
    click.echo("Demo data loaded. Demo logins (password: the DEMO_PASSWORD setting):")
    for role, username, note in context["logins"]:
        click.echo(f"  {role:<11} {username:<16} {note}")
