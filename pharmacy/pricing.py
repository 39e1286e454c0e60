"""Which pharmacy serves a prescription by default, and what delivery costs: what both the order
service and the insurer's presettle claim builder need (so neither imports the other).

The pharmacies (a handful of rows, written by the seed and the administrators' tools, never by a
payment) are read once per process: a payment does not read them again. A committed change of a
pharmacy (through the ORM) forgets them in this process at commit and in every other process
over the message queue (`core.notify.tell_every_process`), so the fee the next order charges is
the one just saved. FRESH_FOR bounds what a process keeps if the queue was away when another
process changed a pharmacy. Each request gets its own detached copies (never shared between
sessions, and a copy cascaded into a session is taken as the row it is, never inserted).
"""

from __future__ import annotations

import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from core import notify
from core.errors import NotFound
from core.rows import values_of
from pharmacy.models import Pharmacy
from pharmacy.staff import list_pharmacies

FRESH_FOR = 60.0
_WORD = "pharmacies-changed"
_CHANGED = "pharmacy.pharmacies_changed"  # in a session's info: a pharmacy was written
_known: dict[str, tuple[float, tuple[dict, ...]]] = {}  # by database URL: when read, the rows


def default_pharmacy_for(hospital_id: int | None) -> Pharmacy:
    """The prescribing hospital's own pharmacy, else the first one."""
    pharmacies = _active_pharmacies()
    if not pharmacies:
        raise NotFound("pharmacy_not_found", _l("No pharmacy is open."))
    chosen = next((p for p in pharmacies if p["hospital_id"] == hospital_id), pharmacies[0])
    return _detached_copy(chosen)


def delivery_fee(pharmacy: Pharmacy, cold_chain: bool) -> int:
    return pharmacy.cold_chain_fee_fen if cold_chain else pharmacy.delivery_fee_fen


def _active_pharmacies() -> tuple[dict, ...]:
    """The open pharmacies' column values, read once per process (see the module's docstring)."""
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    known = _known.get(database)
    if known is None or time.monotonic() - known[0] > FRESH_FOR:
        known = _known[database] = (time.monotonic(), tuple(values_of(p) for p in list_pharmacies()))
    return known[1]


def _detached_copy(values: dict) -> Pharmacy:
    pharmacy = Pharmacy(**values)
    make_transient_to_detached(pharmacy)
    return pharmacy


def _forget(_payload: dict | None = None) -> None:
    _known.clear()


def _written(_mapper, connection, _target) -> None:
    """A pharmacy is written in this transaction: forget the list once it commits (not before,
    or a payment in between could read the old row again and keep it)."""
    Session.object_session(_target).info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        notify.tell_every_process(_WORD, {})


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(Pharmacy, _change, _written)
notify.on_word_from_any_process(_WORD, _forget)
