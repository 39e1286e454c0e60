"""What a consultation's answer prints, and the read statements built once.

The lists, the queue and the single read are rows (core.rows): one statement of labelled
columns, joined to what ConsultationSchema prints (department, doctor's and patient's names, the
diagnosis with its in-person visit and who decided it) and what the shift desk shows of the
patient (age, sex), shaped into the nested objects the schema reads. Loading the same as ORM
objects with eight joined relations cost about four times the statement: the ORM sets up a
loader for every relation at every execution. Statements are built once, with bound parameters
for what changes per request: building one and generating its cache key cost about as much as
running it.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam

from core import rows
from core.extensions import db
from core.models import Role, User
from core.rows import Shown, labelled
from hospital.models.consultations import Consultation, Handover
from hospital.models.consultations import ConsultationStatus as S
from hospital.models.network import Department, Doctor, Hospital
from hospital.models.patients import ConfirmedDiagnosis, InPersonVisit
from hospital.services import network


class DiagnosisShown(Shown):
    """A diagnosis as read: with the model's own `has_record` (one rule, not a copy of it)."""

    has_record = ConfirmedDiagnosis.has_record


_consultation = Consultation.__table__
_department = Department.__table__.alias("department")
_doctor = Doctor.__table__.alias("doctor")
_doctor_user = User.__table__.alias("doctor_user")
_patient = User.__table__.alias("patient")
_diagnosis = ConfirmedDiagnosis.__table__.alias("diagnosis")
_decided_by = User.__table__.alias("decided_by")
_stable_by = User.__table__.alias("stable_by")
_visit = InPersonVisit.__table__.alias("visit")
_visit_hospital = Hospital.__table__.alias("visit_hospital")
_visit_department = Department.__table__.alias("visit_department")

_SHOWN = (
    db.select(
        *_consultation.c,
        *labelled([_patient.c.id, _patient.c.name, _patient.c.birth_date, _patient.c.sex], "patient"),
        *labelled([_department.c.id, _department.c.name_zh, _department.c.name_en], "department"),
        _doctor.c.id.label("doctor__id"),
        _doctor_user.c.name.label("doctor__user__name"),
        *labelled(_diagnosis.c, "diagnosis"),
        _decided_by.c.id.label("diagnosis__decided_by__id"),
        _decided_by.c.name.label("diagnosis__decided_by__name"),
        _stable_by.c.id.label("diagnosis__stable_by__id"),
        _stable_by.c.name.label("diagnosis__stable_by__name"),
        *labelled(_visit.c, "diagnosis__visit"),
        _visit_hospital.c.name_zh.label("diagnosis__visit__hospital__name_zh"),
        _visit_department.c.id.label("diagnosis__visit__department__id"),
        _visit_department.c.name_zh.label("diagnosis__visit__department__name_zh"),
    )
    .select_from(_consultation)
    .join(_patient, _patient.c.id == _consultation.c.patient_id)
    .join(_department, _department.c.id == _consultation.c.department_id)
    .outerjoin(_doctor, _doctor.c.id == _consultation.c.doctor_id)
    .outerjoin(_doctor_user, _doctor_user.c.id == _doctor.c.user_id)
    .outerjoin(_diagnosis, _diagnosis.c.id == _consultation.c.diagnosis_id)
    .outerjoin(_decided_by, _decided_by.c.id == _diagnosis.c.decided_by_user_id)
    .outerjoin(_stable_by, _stable_by.c.id == _diagnosis.c.stable_by_user_id)
    .outerjoin(_visit, _visit.c.id == _diagnosis.c.visit_id)
    .outerjoin(_visit_hospital, _visit_hospital.c.id == _visit.c.hospital_id)
    .outerjoin(_visit_department, _visit_department.c.id == _visit.c.department_id)
)
_KINDS = {"diagnosis": DiagnosisShown}


def shaped(found) -> list[Shown]:
    """Each row of a statement below as the consultation ConsultationSchema prints."""
    return rows.shaped(found, Shown, _KINDS)


ONE_SHOWN = _SHOWN.where(_consultation.c.id == bindparam("consultation_id"))
"""One consultation (`:consultation_id`) with what its answer prints."""


@cache
def listed_for(role: str, by_status: bool) -> Select:
    """A user's consultations (`:user_id`), newest first (`:limit`), in one status (`:status`)
    when `by_status`: a patient's own, a doctor's held now or before (his doctor id found inside
    the statement: NULL without a profile, and nothing matches), every one for administrators."""
    query = _SHOWN.order_by(_consultation.c.id.desc()).limit(bindparam("limit"))
    if by_status:
        query = query.where(_consultation.c.status == bindparam("status"))
    user_id = bindparam("user_id")
    if role == Role.PATIENT:
        return query.where(_consultation.c.patient_id == user_id)
    if role == Role.DOCTOR:
        doctor_id = network.doctor_id_of_user(user_id)
        held = db.select(Handover.consultation_id).where(Handover.from_doctor_id == doctor_id)
        mine = (_consultation.c.doctor_id == doctor_id) & (_consultation.c.status != S.WAITING)
        return query.where(mine | _consultation.c.id.in_(held))
    return query


@cache
def queue_of(on_shift: bool) -> Select:
    """A doctor's (`:doctor_id`) accepted consultations and, while he is on shift, the waiting ones
    of his department (`:department_id`) for anyone or for him, in one statement."""
    doctor_id, c = bindparam("doctor_id"), _consultation.c
    mine = (c.doctor_id == doctor_id) & (c.status == S.ACCEPTED)
    if on_shift:
        waiting = (c.department_id == bindparam("department_id")) & (c.status == S.WAITING)
        mine |= waiting & (c.doctor_id.is_(None) | (c.doctor_id == doctor_id))
    return _SHOWN.where(mine)
