"""The prescription's state machine: one transition table and the one `move_to` that checks it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import clock
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.signals import status_changed
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S

# The one transition table (DESIGN §2): anything else is a 409 illegal_transition.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SIGNED},
    S.SIGNED: {S.APPROVED, S.REJECTED, S.EXPIRED},
    S.REJECTED: {S.SUPERSEDED},
    S.APPROVED: {S.PAID, S.EXPIRED},
    S.PAID: {S.DISPENSED, S.REFUNDED},
    S.DISPENSED: {S.REFUNDED},  # a delivery that failed and came back after dispensing
}
ONCE_APPROVED = (S.APPROVED, S.PAID, S.DISPENSED, S.EXPIRED, S.REFUNDED)


def move_to(rx: Prescription, target: str) -> None:
    """The only place a prescription's status changes (caller commits)."""
    if target not in TRANSITIONS.get(rx.status, set()):
        raise Conflict(
            "illegal_transition",
            _l("A prescription cannot go from %(current)s to %(target)s."),
            current=rx.status,
            target=target,
        )
    rx.status = target
    now = clock.now()
    stamp = {S.SIGNED: "signed_at", S.PAID: "paid_at", S.DISPENSED: "dispensed_at"}.get(target)
    if stamp:
        setattr(rx, stamp, now)
    elif target in (S.EXPIRED, S.REFUNDED, S.SUPERSEDED):
        rx.ended_at = now
    elif target in (S.APPROVED, S.REJECTED):
        rx.reviewed_at = now
    status_changed.send("prescription", record_id=rx.id, status=target)


def get(prescription_id: int) -> Prescription:
    """A prescription by id, for services that checked access another way (404 otherwise)."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    return rx


def is_past_validity(rx: Prescription) -> bool:
    return rx.past_validity


def effective_status(rx: Prescription) -> str:
    """An approved prescription past its validity is expired even before the CLI runs."""
    return rx.effective_status
