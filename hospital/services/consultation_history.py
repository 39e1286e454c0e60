"""A patient's history for those treating him: earlier consultations, records, diagnoses,
allergies, and sections other areas register (e.g. prescriptions)."""

from __future__ import annotations

from collections.abc import Callable

from core import accounts, audit, clock
from core.errors import MSG_NOT_FOUND, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation, MedicalRecord
from hospital.services import consultation_access as access
from hospital.services import patients
from hospital.services.consultation_machine import OPEN
from hospital.services.consultation_records import RECORD_FIELDS

_history_providers: dict[str, Callable[[int], list[dict]]] = {}


def register_history_provider(name: str, fn: Callable[[int], list[dict]]) -> None:
    """Add a section to patient_history(): fn(patient_id) -> list of plain dicts."""
    _history_providers[name] = fn


def _may_see_patient(actor: User, patient_id: int) -> bool:
    if actor.id == patient_id or actor.role == Role.ADMIN:
        return True
    doctor = access.doctor_of(actor)
    if doctor is None:
        return False
    query = db.select(Consultation).where(Consultation.patient_id == patient_id, Consultation.status.in_(OPEN))
    return (
        any(access.can_view(actor, c) for c in db.session.execute(query).scalars())
        or db.session.execute(
            db.select(Consultation.id).where(Consultation.patient_id == patient_id, Consultation.doctor_id == doctor.id)
        ).first()
        is not None
    )


def patient_history(actor: User, patient_id: int) -> dict:
    """Earlier consultations (with records), confirmed diagnoses, allergies and registered sections."""
    if not _may_see_patient(actor, patient_id):
        raise NotFound("patient_not_found", MSG_NOT_FOUND)
    patient = accounts.get_user(patient_id)
    consultations = list(
        db.session.execute(
            db.select(Consultation)
            .where(Consultation.patient_id == patient_id)
            .order_by(Consultation.id.desc())
            .limit(50)
        ).scalars()
    )
    records = {
        r.consultation_id: r
        for r in db.session.execute(
            db.select(MedicalRecord).where(MedicalRecord.consultation_id.in_([c.id for c in consultations]))
        ).scalars()
    }
    history = {
        "patient": {
            "id": patient.id,
            "name": patient.name,
            "sex": patient.sex,
            "age": patients.age_years(patient),
            "id_number": patient.id_number_masked,
        },
        "consultations": [_history_item(c, records.get(c.id)) for c in consultations],
        "diagnoses": [_diagnosis_dict(d) for d in patients.list_diagnoses(patient_id)],
        "allergies": [{"allergen": a.allergen, "reaction": a.reaction} for a in patients.list_allergies(patient_id)],
    }
    for name, provider in _history_providers.items():
        history[name] = provider(patient_id)
    audit.record_read(actor.id, patient_id, "patient_history", patient_id)
    return history


def _diagnosis_dict(d) -> dict:
    return {
        "id": d.id,
        "hospital_name": d.hospital_name,
        "diagnosis": d.diagnosis,
        "icd10": d.icd10,
        "diagnosed_on": d.diagnosed_on.isoformat(),
        "stable": d.stable,
    }


def _history_item(c: Consultation, record: MedicalRecord | None) -> dict:
    return {
        "id": c.id,
        "status": c.status,
        "mode": c.mode,
        "complaint": c.complaint,
        "created_at": clock.to_local(c.created_at).isoformat(),
        "department": c.department.name_zh if c.department else None,
        "doctor": c.doctor.user.name if c.doctor else None,
        "record": {k: getattr(record, k) for k in RECORD_FIELDS} if record else None,
    }
