"""Who may see a consultation and who may act in it (404 for those who may not see it)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam

from core import rows
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation, Handover
from hospital.models.consultations import ConsultationStatus as S
from hospital.models.network import Doctor
from hospital.services import duty, network

# Extension point for other areas: extra readers (e.g. the pharmacist of a prescription),
# registered at import time of those areas.
_access_rules: list[Callable[[User, Consultation], bool]] = []


def register_access_rule(rule: Callable[[User, Consultation], bool]) -> None:
    """Let another area allow a reader: rule(user, consultation) -> True to allow (read only)."""
    if rule not in _access_rules:
        _access_rules.append(rule)


# --- who may see what -----------------------------------------------------------------------


def doctor_of(user: User) -> Doctor | None:
    return network.doctor_for_user(user.id) if user.role == Role.DOCTOR else None


def _held_before(doctor_id: int, consultation_id: int) -> bool:
    query = db.select(Handover.id).filter_by(consultation_id=consultation_id, from_doctor_id=doctor_id)
    return db.session.execute(query).first() is not None


def in_queue_of(doctor: Doctor, consultation: Consultation) -> bool:
    """A waiting one of his department (for anyone or for him) while he is on shift."""
    return (
        consultation.status == S.WAITING
        and consultation.department_id == doctor.department_id
        and consultation.doctor_id in (None, doctor.id)
        and duty.current_shift(doctor.id) is not None
    )


def is_participant(user: User, consultation: Consultation) -> bool:
    """The patient or the consulting doctor (the two who chat)."""
    if user.id == consultation.patient_id:
        return True
    doctor = doctor_of(user)
    return doctor is not None and consultation.doctor_id == doctor.id and consultation.status != S.WAITING


def can_view(user: User, consultation: Consultation) -> bool:
    """The patient, administrators, and a doctor who holds it (as participant, or waiting for
    him), has it in his queue or held it before; else what another area's rules allow. (A
    doctor's profile is read once: a consulting doctor's participation is that he holds it.)"""
    if user.id == consultation.patient_id or user.role == Role.ADMIN:
        return True
    doctor = doctor_of(user)
    if doctor is not None:
        return (
            consultation.doctor_id == doctor.id
            or in_queue_of(doctor, consultation)
            or _held_before(doctor.id, consultation.id)
        )
    return any(rule(user, consultation) for rule in _access_rules)


def load(consultation_id: int) -> Consultation:
    """The consultation by id (404 when there is none)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    return consultation


def visible(user: User, consultation: Consultation | Row | None) -> Consultation | Row:
    """The consultation (as loaded, or None) if this user may see it, else 404 (its existence
    does not leak)."""
    if consultation is None or not can_view(user, consultation):
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    return consultation


# Who is in a consultation and where it stands: what can_view reads, for reads that print
# something else of it (its messages). A row through a statement built once, not the object.
_ACCESS_ROW = db.select(
    Consultation.id, Consultation.patient_id, Consultation.doctor_id, Consultation.department_id, Consultation.status
).where(Consultation.id == bindparam("consultation_id"))


def access_row_for(user: User, consultation_id: int) -> Row:
    """The consultation's id, people, department and status if this user may see it, else 404."""
    return visible(user, rows.read(_ACCESS_ROW, {"consultation_id": consultation_id}).first())


def get_consultation_for(user: User, consultation_id: int) -> Consultation:
    """The consultation if this user may see it, else 404 (its existence does not leak)."""
    return visible(user, db.session.get(Consultation, consultation_id))


def participant(user: User, consultation_id: int) -> Consultation:
    consultation = get_consultation_for(user, consultation_id)
    if not is_participant(user, consultation):
        raise Forbidden("not_participant", _l("Only the patient and the consulting doctor may do this."))
    return consultation


def _consulting_doctor(doctor_user: User, consultation_id: int) -> tuple[Consultation, Doctor]:
    if doctor_user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only the consulting doctor may do this."))
    consultation = get_consultation_for(doctor_user, consultation_id)
    doctor = doctor_of(doctor_user)
    if doctor is None or consultation.doctor_id != doctor.id:
        raise Forbidden("not_consulting_doctor", _l("Only the consulting doctor may do this."))
    return consultation, doctor


def require_accepted_by(doctor_user: User, consultation_id: int) -> Consultation:
    """The consultation when this doctor is its consulting doctor and it is accepted (prescribing)."""
    consultation, _doctor = _consulting_doctor(doctor_user, consultation_id)
    if consultation.status != S.ACCEPTED:
        raise Conflict("not_accepted", _l("Only an accepted consultation allows this."))
    return consultation
