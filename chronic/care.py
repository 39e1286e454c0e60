"""Who looks after a patient between visits, and who may see his chronic-care data.

The facts come from hospital (consultations, diagnoses, the rota); this module is the one place
chronic care reads them, so that the coupling stays in sight.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import accounts, clock
from core.errors import MSG_NOT_FOUND, Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation
from hospital.models.consultations import ConsultationStatus as CS
from hospital.services import network, patients, rota

MSG_DOCTORS_ONLY = _l("Only a doctor may do this.")


# The diagnoses a kind of reading follows (ICD-10 prefixes): blood pressure for hypertensive and
# coronary disease, glucose for diabetes.
_DIAGNOSES_OF_READING = {"blood_pressure": ("I",), "glucose": ("E10", "E11", "E12", "E13", "E14"), "weight": ("E",)}


def _diagnosis_departments(patient_id: int, prefixes: tuple[str, ...] = ("",)) -> list[int]:
    departments = network.online_departments()
    found = []
    for diagnosis in patients.list_diagnoses(patient_id):
        if diagnosis.icd10.upper().startswith(prefixes):
            department = network.suggested_department(diagnosis.icd10, departments)
            if department is not None and department.id not in found:
                found.append(department.id)
    return found


def _consultation_departments(patient_id: int) -> list[int]:
    query = (
        db.select(Consultation.department_id)
        .where(Consultation.patient_id == patient_id)
        .order_by(Consultation.id.desc())
        .limit(20)
    )
    return list(dict.fromkeys(db.session.execute(query).scalars()))


def care_department_id(patient_id: int, reading_kind: str | None = None) -> int | None:
    """The department that follows this kind of reading for him: the one that follows up the
    matching confirmed diagnosis (cardiology for blood pressure with hypertension, endocrinology
    for glucose with diabetes), else that of his latest consultation, else his first diagnosis'."""
    if reading_kind in _DIAGNOSES_OF_READING:
        matching = _diagnosis_departments(patient_id, _DIAGNOSES_OF_READING[reading_kind])
        if matching:
            return matching[0]
    return next(iter(_consultation_departments(patient_id) + _diagnosis_departments(patient_id)), None)


def care_departments(patient_id: int) -> set[int]:
    """Every department that looks after him: those of his diagnoses and of his consultations."""
    return set(_diagnosis_departments(patient_id)) | set(_consultation_departments(patient_id))


def doctor_of(user: User):
    return network.doctor_for_user(user.id) if user.role == Role.DOCTOR else None


def _has_consulted(doctor_id: int, patient_id: int) -> bool:
    query = db.select(Consultation.id).where(Consultation.patient_id == patient_id, Consultation.doctor_id == doctor_id)
    return db.session.execute(query.limit(1)).first() is not None


def may_see(actor: User, patient_id: int) -> bool:
    """The patient himself, an administrator, a doctor who consulted him or a doctor of his care
    department (the on-duty doctor who gets his alert must see his chart)."""
    if actor.id == patient_id or actor.role == Role.ADMIN:
        return True
    doctor = doctor_of(actor)
    if doctor is None:
        return False
    return doctor.department_id in care_departments(patient_id) or _has_consulted(doctor.id, patient_id)


def patient_for(actor: User, patient_id: int) -> User:
    """The patient if `actor` may see his chronic-care data, else 404 (existence does not leak)."""
    patient = accounts.get_by_id(patient_id)
    if patient is None or patient.role != Role.PATIENT or not may_see(actor, patient_id):
        raise NotFound("patient_not_found", MSG_NOT_FOUND)
    return patient


def require_doctor_for(actor: User, patient_id: int) -> User:
    """The patient when `actor` is a doctor who may look after him (targets, plans, confirmations)."""
    patient = patient_for(actor, patient_id)
    if doctor_of(actor) is None:
        raise Forbidden("role_refused", MSG_DOCTORS_ONLY)
    return patient


def on_duty_doctor_user_ids(department_id: int | None) -> list[int]:
    """The users of the doctors on shift now in the department."""
    if department_id is None:
        return []
    shifts = rota.shifts_at(clock.now(), department_id)
    return sorted({network.get_doctor(shift.doctor_id).user_id for shift in shifts})


def consultation_of_patient(patient_id: int, consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.patient_id != patient_id:
        raise NotFound("consultation_not_found", MSG_NOT_FOUND, field="consultation_id")
    return consultation


def is_referred(consultation: Consultation) -> bool:
    return consultation.status == CS.REFERRED


def referred_consultations(patient_id: int) -> list[Consultation]:
    query = (
        db.select(Consultation)
        .where(Consultation.patient_id == patient_id, Consultation.status == CS.REFERRED)
        .order_by(Consultation.id.desc())
    )
    return list(db.session.execute(query).scalars())


def completed_consultations_since(patient_id: int, since) -> list[Consultation]:
    """Consultations of the patient that ended with a record (or a referral) after `since`."""
    query = db.select(Consultation).where(
        Consultation.patient_id == patient_id,
        Consultation.status.in_([CS.COMPLETED, CS.REFERRED]),
        Consultation.ended_at.is_not(None),
    )
    if since is not None:
        query = query.where(Consultation.ended_at > since)
    return list(db.session.execute(query.order_by(Consultation.ended_at)).scalars())


def patients_named(patient_ids: list[int]) -> list[User]:
    if not patient_ids:
        return []
    return list(db.session.execute(db.select(User).where(User.id.in_(patient_ids))).scalars())


def get_consultation(consultation_id: int) -> Consultation | None:
    return db.session.get(Consultation, consultation_id)
