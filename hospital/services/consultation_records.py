"""The medical record of a consultation: written by the consulting doctor, fixed at the end."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation, MedicalRecord
from hospital.models.network import Doctor
from hospital.services import consultation_access as access
from hospital.services import patients

RECORD_FIELDS = ("chief_complaint", "history", "diagnosis", "icd10", "advice")


def record_of(consultation_id: int) -> MedicalRecord | None:
    return db.session.execute(db.select(MedicalRecord).filter_by(consultation_id=consultation_id)).scalar_one_or_none()


def get_record(user: User, consultation_id: int) -> MedicalRecord:
    consultation = access.get_consultation_for(user, consultation_id)
    record = db.session.execute(
        db.select(MedicalRecord).filter_by(consultation_id=consultation.id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("record_not_found", _l("No medical record has been written yet."))
    audit.record_read(user.id, consultation.patient_id, "medical_record", record.id)
    return record


def write_record(consultation: Consultation, doctor: Doctor, actor: User, values: dict) -> MedicalRecord:
    values = {k: (values.get(k) or "").strip() for k in RECORD_FIELDS if values.get(k) is not None}
    if values.get("icd10"):
        values["icd10"] = values["icd10"].upper()
        if not patients.ICD10_RE.match(values["icd10"]):
            raise ValidationFailed("invalid_icd10", _l("Enter an ICD-10 code such as I10 or E11.9."), field="icd10")
    record = db.session.execute(
        db.select(MedicalRecord).filter_by(consultation_id=consultation.id)
    ).scalar_one_or_none()
    if record is None:
        record = MedicalRecord(consultation_id=consultation.id, doctor_id=doctor.id)
        db.session.add(record)
    before = {k: getattr(record, k) for k in RECORD_FIELDS}
    for key, value in values.items():
        setattr(record, key, value)
    record.doctor_id, record.updated_at = doctor.id, clock.now()
    db.session.flush()
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    audit.record(actor.id, consultation.patient_id, "update", "medical_record", record.id, changed=sorted(changed))
    return record


def check_record_complete(record: MedicalRecord) -> None:
    for field in ("chief_complaint", "diagnosis", "icd10", "advice"):
        if not getattr(record, field):
            raise ValidationFailed(
                "record_incomplete",
                _l("The medical record needs a chief complaint, a diagnosis with its ICD-10 code and advice."),
                field=field,
            )


def save_record(doctor_user: User, consultation_id: int, values: dict) -> MedicalRecord:
    """The consulting doctor writes or revises the record while the consultation is open."""
    access.require_accepted_by(doctor_user, consultation_id)
    consultation = access.load(consultation_id)
    record = write_record(consultation, access.doctor_of(doctor_user), doctor_user, values)
    db.session.commit()
    return record
