"""Which pharmacy serves a prescription by default, and what delivery costs: what both the order
service and the insurer's presettle claim builder need (so neither imports the other).

The pharmacies (a handful of rows, written by the seed and the administrators' tools, never by a
payment) are read once per process and kept for FRESH_FOR seconds: a payment does not read them
again. A change written through this process's ORM forgets them at once; another process's
change is seen within FRESH_FOR. Each request gets its own detached copies (never shared between
sessions, and a copy cascaded into a session is taken as the row it is, never inserted).
"""

from __future__ import annotations

import time

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import make_transient_to_detached

from core.errors import NotFound
from core.rows import values_of
from pharmacy.models import Pharmacy
from pharmacy.staff import list_pharmacies

FRESH_FOR = 60.0
_KEY = "pharmacy.active_pharmacies"  # in app.extensions: one app's database, one list


def default_pharmacy_for(hospital_id: int | None) -> Pharmacy:
    """The prescribing hospital's own pharmacy, else the first one."""
    pharmacies = _active_pharmacies()
    if not pharmacies:
        raise NotFound("pharmacy_not_found", _l("No pharmacy is open."))
    return next((p for p in pharmacies if p.hospital_id == hospital_id), pharmacies[0])


def delivery_fee(pharmacy: Pharmacy, cold_chain: bool) -> int:
    return pharmacy.cold_chain_fee_fen if cold_chain else pharmacy.delivery_fee_fen


def _active_pharmacies() -> list[Pharmacy]:
    known = current_app.extensions.get(_KEY)
    if known is None or time.monotonic() - known[0] > FRESH_FOR:
        known = (time.monotonic(), tuple(values_of(p) for p in list_pharmacies()))
        current_app.extensions[_KEY] = known
    return [_detached_copy(values) for values in known[1]]


def _detached_copy(values: dict) -> Pharmacy:
    pharmacy = Pharmacy(**values)
    make_transient_to_detached(pharmacy)
    return pharmacy


def _forget(*_args) -> None:
    if has_app_context():
        current_app.extensions.pop(_KEY, None)


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(Pharmacy, _change, _forget)
