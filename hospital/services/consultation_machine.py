"""The consultation state machine: its one transition table, `move_to()`, and the room names.

Nothing else assigns `Consultation.status`; an illegal move is a 409 (`illegal_transition`).
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core.errors import Conflict
from core.extensions import db
from core.signals import status_changed
from hospital.models.consultations import Consultation
from hospital.models.consultations import ConsultationStatus as S

TRANSITIONS: dict[str, set[str]] = {
    S.WAITING: {S.ACCEPTED, S.CANCELLED, S.EXPIRED},
    S.ACCEPTED: {S.COMPLETED, S.REFERRED},
    S.COMPLETED: set(),
    S.REFERRED: set(),
    S.CANCELLED: set(),
    S.EXPIRED: set(),
}
OPEN = (S.WAITING, S.ACCEPTED)


def queue_room(department_id: int) -> str:
    return f"queue:{department_id}"


def consultation_room(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


# --- the state machine ----------------------------------------------------------------------


def move_to(consultation: Consultation, status: str, **values) -> Consultation:
    """The only status change: checked against TRANSITIONS and applied as a conditional update,
    so that two concurrent actions (accept vs cancel, two doctors accepting) cannot both win."""
    current = consultation.status
    if status not in TRANSITIONS.get(current, set()):
        raise Conflict(
            "illegal_transition",
            _l("A consultation that is %(current)s cannot become %(target)s."),
            current=gettext(current),
            target=gettext(status),
        )
    result = db.session.execute(
        db.update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.status == current)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("illegal_transition", _l("The consultation changed meanwhile; please reload."))
    db.session.expire(consultation)
    status_changed.send("consultation", record_id=consultation.id, status=status)
    return consultation
