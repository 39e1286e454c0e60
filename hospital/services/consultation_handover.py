"""Handover: the consulting doctor keeps a consultation or hands it to a colleague; at shift end
waiting ones expire and accepted ones pass to the next shift (never dropped)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from core import audit, clock, tasks
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation, Handover
from hospital.models.consultations import ConsultationStatus as S
from hospital.models.network import Doctor
from hospital.models.rota import Shift
from hospital.services import chat, network, rota
from hospital.services import consultation_access as access
from hospital.services import consultation_machine as machine
from hospital.services import consultation_notices as notices


def handover(
    doctor_user: User, consultation_id: int, to_doctor_id: int | None = None, keep: bool = False, note: str = ""
) -> Consultation:
    """The consulting doctor keeps an accepted consultation past his shift, or hands it to a colleague."""
    consultation = access.require_accepted_by(doctor_user, consultation_id)
    doctor = access.doctor_of(doctor_user)
    if keep:
        _keep(consultation, doctor, note)
        audit.record(doctor_user.id, consultation.patient_id, "keep", "consultation", consultation.id)
        db.session.commit()
        return consultation
    target = network.get_doctor(to_doctor_id) if to_doctor_id else None
    shift = None
    if target is None:
        shift = rota.next_shift_in_department(doctor.department_id, clock.now(), exclude_doctor_id=doctor.id)
        target = shift.doctor if shift else None
    if target is None or target.id == doctor.id or target.department_id != consultation.department_id:
        raise ValidationFailed("no_colleague", _l("Choose a colleague of the same department."), field="to_doctor_id")
    shift = shift or rota.next_shift_in_department(target.department_id, clock.now())
    _hand_to(consultation, doctor, target, shift.id if shift and shift.doctor_id == target.id else None, note)
    db.session.commit()
    notices.announce(consultation, "handover", doctor_user.id, previous_doctor_user_id=doctor_user.id)
    return consultation


def _keep(consultation: Consultation, doctor: Doctor, note: str) -> None:
    """The doctor keeps the consultation past his shift (by choice, or because nobody takes over):
    the sweep leaves it alone, and the handover log says so."""
    consultation.kept_by_doctor = True
    db.session.add(
        Handover(
            consultation_id=consultation.id,
            from_doctor_id=doctor.id,
            to_doctor_id=doctor.id,
            kept=True,
            note=note[:500],
        )
    )


def _hand_to(consultation: Consultation, from_doctor: Doctor, to_doctor: Doctor, shift_id: int | None, note: str):
    db.session.add(
        Handover(
            consultation_id=consultation.id, from_doctor_id=from_doctor.id, to_doctor_id=to_doctor.id, note=note[:500]
        )
    )
    consultation.doctor_id, consultation.shift_id, consultation.kept_by_doctor = to_doctor.id, shift_id, False
    audit.record(
        from_doctor.user_id,
        consultation.patient_id,
        "handover",
        "consultation",
        consultation.id,
        to_doctor_id=to_doctor.id,
    )
    chat.system_message(consultation, _l("Handed over to Dr %(name)s for the next shift."), name=to_doctor.user.name)


# --- shift end: expiry and handover ---------------------------------------------------------


@tasks.every(30)
def sweep_due(now: datetime | None = None) -> dict:
    """Expire waiting consultations whose shift is over; hand over accepted ones whose doctor's
    shift ended (unless he keeps them). Cheap when nothing is due, so views call it lazily."""
    now = now or clock.now()
    expired = list(
        db.session.execute(
            db.select(Consultation).where(Consultation.status == S.WAITING, Consultation.expires_at <= now)
        ).scalars()
    )
    for consultation in expired:
        _expire(consultation, now)
    ended = list(
        db.session.execute(
            db.select(Consultation)
            .join(Shift, Shift.id == Consultation.shift_id)
            .where(Consultation.status == S.ACCEPTED, Consultation.kept_by_doctor.is_(False), Shift.ends_at <= now)
        ).scalars()
    )
    handed = sum(_handover_at_shift_end(c, now) for c in ended)
    return {"expired": len(expired), "handed_over": handed, "kept": len(ended) - handed}


# When the lazy sweep last ran in this process, by the app's clock (a frozen test clock that
# jumps makes it run again at once).
_last_lazy_sweep: datetime | None = None
LAZY_SWEEP_EVERY = timedelta(seconds=1)


def sweep_lazily() -> None:
    """What reads call before answering: the sweep, at most once a second per process. The
    periodic task runs it every 30 s anyway; this keeps a read right after a shift's end exact
    (within a second) without two statements on every read of a busy server."""
    global _last_lazy_sweep
    now = clock.now()
    if _last_lazy_sweep is not None and timedelta(0) <= now - _last_lazy_sweep < LAZY_SWEEP_EVERY:
        return
    _last_lazy_sweep = now
    sweep_due(now)


def _expire(consultation: Consultation, now: datetime) -> None:
    try:
        machine.move_to(consultation, S.EXPIRED, ended_at=now)
    except Conflict:
        return  # accepted or cancelled meanwhile
    audit.record(None, consultation.patient_id, "expire", "consultation", consultation.id)
    db.session.commit()
    notices.announce(consultation, "expired", None)


def _handover_at_shift_end(consultation: Consultation, now: datetime) -> bool:
    doctor = consultation.doctor
    shift = rota.next_shift_in_department(consultation.department_id, now, exclude_doctor_id=doctor.id)
    if shift is None:  # nobody to take it: the doctor keeps it (never dropped) and is told
        _keep(consultation, doctor, "no colleague on the next shift")
        db.session.commit()
        notices.notify_party(
            doctor.user_id,
            consultation,
            "kept",
            _l("No colleague is on the next shift: you keep consultation #%(id)s."),
        )
        return False
    _hand_to(consultation, doctor, shift.doctor, shift.id, "shift end")
    db.session.commit()
    notices.announce(consultation, "handover", None, previous_doctor_user_id=doctor.user_id)
    return True
