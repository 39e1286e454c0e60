"""The prescription's state machine: one transition table and the one `move_to` that checks it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import clock
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.signals import status_changed
from core.transitions import conditional_move_known
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
    _check_move(rx, target)
    rx.status = target
    for name, value in _stamps(target).items():
        setattr(rx, name, value)
    status_changed.send("prescription", record_id=rx.id, status=target)


def move_now(rx: Prescription, target: str, **values) -> None:
    """`move_to` written at once by a conditional UPDATE (… WHERE status = the one read), with
    `values` in the same statement: the pharmacy's steps, on the payment's hot path. No flush of
    the unit of work; whoever moved the prescription meanwhile wins and this call is a 409."""
    _check_move(rx, target)
    if not conditional_move_known(rx, target, **_stamps(target), **values):
        raise Conflict("prescription_changed", _l("This prescription was changed meanwhile; please reload."))
    status_changed.send("prescription", record_id=rx.id, status=target)


def _check_move(rx: Prescription, target: str) -> None:
    if target not in TRANSITIONS.get(rx.status, set()):
        raise Conflict(
            "illegal_transition",
            _l("A prescription cannot go from %(current)s to %(target)s."),
            current=rx.status,
            target=target,
        )


def _stamps(target: str) -> dict:
    """The time column a move into `target` stamps."""
    now = clock.now()
    stamp = {S.SIGNED: "signed_at", S.PAID: "paid_at", S.DISPENSED: "dispensed_at"}.get(target)
    if stamp:
        return {stamp: now}
    if target in (S.EXPIRED, S.REFUNDED, S.SUPERSEDED):
        return {"ended_at": now}
    if target in (S.APPROVED, S.REJECTED):
        return {"reviewed_at": now}
    return {}


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
