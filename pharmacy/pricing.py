"""Which pharmacy serves a prescription by default, and what delivery costs: what both the order
service and the insurer's presettle claim builder need (so neither imports the other)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import NotFound
from pharmacy.models import Pharmacy
from pharmacy.staff import list_pharmacies


def default_pharmacy_for(hospital_id: int | None) -> Pharmacy:
    """The prescribing hospital's own pharmacy, else the first one."""
    pharmacies = list_pharmacies()
    if not pharmacies:
        raise NotFound("pharmacy_not_found", _l("No pharmacy is open."))
    return next((p for p in pharmacies if p.hospital_id == hospital_id), pharmacies[0])


def delivery_fee(pharmacy: Pharmacy, cold_chain: bool) -> int:
    return pharmacy.cold_chain_fee_fen if cold_chain else pharmacy.delivery_fee_fen
