"""What a consultation's answer prints, loaded with it, and the read statements built once.

The loader options are shared by the lists, the queue and the single read, so that serialising a
consultation issues no statement of its own (before: two to four lazy loads per consultation,
13–15 statements for a doctor's lists). The statements of the reads are built once, with bound
parameters for what changes per request: building a statement with joined loads and generating
its cache key cost about as much as running it (≈0.2 ms a read).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import Role
from hospital.models.consultations import Consultation, Handover
from hospital.models.consultations import ConsultationStatus as S
from hospital.models.network import Doctor
from hospital.models.patients import ConfirmedDiagnosis, InPersonVisit
from hospital.services import network


@cache
def shown(patient: bool = True) -> tuple:
    """Loader options for what ConsultationSchema prints: the department, the doctor's name, the
    diagnosis with its in-person visit (hospital and department), and the patient's name unless
    the reader is the patient (he is in the session already). Who decided a diagnosis, or marked
    it stable, stays lazy: mostly nobody or the consulting doctor, whom the identity map already
    holds (no statement). Built once: building loader options costs more than using them."""
    visit = joinedload(Consultation.diagnosis).joinedload(ConfirmedDiagnosis.visit)
    return (
        joinedload(Consultation.department),
        joinedload(Consultation.doctor).joinedload(Doctor.user),
        visit.joinedload(InPersonVisit.hospital),
        visit.joinedload(InPersonVisit.department),
        *([joinedload(Consultation.patient)] if patient else []),
    )


@cache
def one_shown(patient: bool) -> Select:
    """One consultation (`:consultation_id`) with what its answer prints."""
    return db.select(Consultation).where(Consultation.id == bindparam("consultation_id")).options(*shown(patient))


@cache
def listed_for(role: str) -> Select:
    """A user's consultations (`:user_id`), newest first (`:limit`), with what the list prints:
    a patient's own, a doctor's held now or before (his doctor id found inside the statement:
    NULL without a profile, and nothing matches), every one for administrators."""
    query = db.select(Consultation).options(*shown(patient=role != Role.PATIENT))
    query = query.order_by(Consultation.id.desc()).limit(bindparam("limit"))
    user_id = bindparam("user_id")
    if role == Role.PATIENT:
        return query.where(Consultation.patient_id == user_id)
    if role == Role.DOCTOR:
        doctor_id = network.doctor_id_of_user(user_id)
        held = db.select(Handover.consultation_id).where(Handover.from_doctor_id == doctor_id)
        mine = (Consultation.doctor_id == doctor_id) & (Consultation.status != S.WAITING)
        return query.where(mine | Consultation.id.in_(held))
    return query


@cache
def queue_of(on_shift: bool) -> Select:
    """A doctor's (`:doctor_id`) accepted consultations and, while he is on shift, the waiting ones
    of his department (`:department_id`) for anyone or for him, in one statement."""
    doctor_id = bindparam("doctor_id")
    mine = (Consultation.doctor_id == doctor_id) & (Consultation.status == S.ACCEPTED)
    if on_shift:
        mine |= (
            (Consultation.department_id == bindparam("department_id"))
            & (Consultation.status == S.WAITING)
            & (Consultation.doctor_id.is_(None) | (Consultation.doctor_id == doctor_id))
        )
    return db.select(Consultation).where(mine).options(*shown())
