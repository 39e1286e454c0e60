"""Administrators' services: the day's settlements, the reconciliation, the mock's faults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from core.errors import AppError, NotFound
from insurance import ledger, reconciliation, settlement
from insurance.gateway import NotSupported, get_gateway
from insurance.settlement import SettlementView


def day_settlements(day: date) -> list[SettlementView]:
    """Every settlement created, settled or reversed on this local day."""
    return [SettlementView.of(row) for row in ledger.settlements_of_day(day)]


@dataclass(frozen=True)
class Overview:
    day: date
    settlements: list[SettlementView]
    reconciliation: reconciliation.Reconciliation | None
    error: str | None


def overview(day: date) -> Overview:
    """What the admin page shows: the day's settlements and, if the insurer answers, the reconciliation."""
    rows = day_settlements(day)
    try:
        return Overview(day, rows, reconciliation.reconcile(day), None)
    except AppError as err:
        return Overview(day, rows, None, err.render_message())


def set_faults(values: dict) -> dict:
    """Tell the mock insurer to be slow, fail or lose answers (an empty dict reads the faults)."""
    values = dict(values)
    replace = bool(values.pop("replace", False))
    try:
        return settlement._gateway_call(get_gateway().faults, values, replace)
    except NotSupported:
        raise NotFound(
            "no_mock_insurer", _l("The configured insurer is not the mock; it has no faults to set.")
        ) from None


def resolve() -> list[settlement.Resolution]:
    """Resolve every settlement whose outcome is unknown (the CLI's resolve-unknown)."""
    return settlement.resolve_unknown(older_than_seconds=60)
