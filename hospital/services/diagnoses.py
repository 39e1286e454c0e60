"""Diagnoses with a source (DESIGN §3): confirmed from a network hospital's in-person visit record,
or by a doctor who has seen the patient's uploaded in-person record (门诊病历 / 出院小结); what the
patient types is *claimed* until a doctor confirms or rejects it (with a reason the patient sees).
Only a confirmed diagnosis lets a consultation end in a prescription; only a doctor marks a
chronic diagnosis *stable*. Every decision keeps the doctor and the time, and is audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit, clock, notify, uploads
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import AuditEntry, Role, User
from hospital.models.patients import ConfirmedDiagnosis, DiagnosisSource, DiagnosisStatus, InPersonVisit
from hospital.services import clinical_access, patients

RECORD_AREA = "diagnosis-records"
RECORD_TYPES = (uploads.PNG, uploads.JPEG, uploads.WEBP, uploads.PDF)
DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
MIN_REASON = 4


def _load(diagnosis_id: int) -> ConfirmedDiagnosis:
    row = db.session.get(ConfirmedDiagnosis, diagnosis_id)
    if row is None:
        raise NotFound("diagnosis_not_found", MSG_NOT_FOUND)
    return row


def diagnoses_for(user: User, patient_id: int) -> list[ConfirmedDiagnosis]:
    """A patient's diagnoses for the patient or his doctors (404 and audited for anyone else)."""
    clinical_access.require_reader(user, patient_id, "diagnosis")
    rows = patients.list_diagnoses(patient_id)
    audit.record_read(user.id, patient_id, "diagnosis", None, count=len(rows))
    return rows


# --- the patient's claim ------------------------------------------------------------------------


def _check_record(content: bytes) -> uploads.FileType:
    limit = current_app.config.get("DIAGNOSIS_RECORD_MAX_BYTES", DEFAULT_MAX_RECORD_BYTES)
    if not content or len(content) > limit:
        raise ValidationFailed(
            "record_too_large",
            _l("The record may be at most %(mb)s MB."),
            field="record",
            mb=limit // (1024 * 1024),
        )
    kind = uploads.detect_type(content)
    if kind not in RECORD_TYPES:
        raise ValidationFailed(
            "record_type", _l("Upload a photo (PNG, JPEG, WebP) or a PDF of the record."), field="record"
        )
    return kind


def claim_diagnosis(
    patient: User, hospital_name: str, diagnosis: str, icd10: str, diagnosed_on: date | None, record: bytes | None
) -> ConfirmedDiagnosis:
    """The patient claims a diagnosis and (ideally) uploads the in-person record a doctor will check."""
    if record:
        _check_record(record)
    row = patients.add_diagnosis(patient, hospital_name, diagnosis, icd10, diagnosed_on)
    if record:
        attach_record(patient, row.id, record)
    return row


def attach_record(patient: User, diagnosis_id: int, content: bytes) -> ConfirmedDiagnosis:
    """Add or replace the image of the in-person record of a claimed diagnosis (commits)."""
    row = _load(diagnosis_id)
    if patient.role != Role.PATIENT or row.patient_id != patient.id:
        raise clinical_access.refused(patient, row.patient_id, "diagnosis", diagnosis_id)
    if row.status != DiagnosisStatus.CLAIMED:
        raise Conflict("not_claimed", _l("Only a diagnosis waiting for a doctor can take a new record."))
    kind = _check_record(content)
    try:
        row.record_file = uploads.store(RECORD_AREA, content, kind, prefix=f"{patient.id}/")
    except ValidationFailed as err:
        err.field = "record"  # the form's field, not the upload store's generic "file"
        raise
    row.record_mime = kind.mime
    audit.record(patient.id, patient.id, "upload", "diagnosis_record", row.id, mime=kind.mime)
    db.session.commit()
    return row


def record_file(user: User, diagnosis_id: int) -> tuple[Path, str]:
    """The uploaded record, for the patient and his doctors; the audited read is what proves that a
    doctor has seen it before confirming."""
    row = _load(diagnosis_id)
    if not clinical_access.may_read_patient(user, row.patient_id):
        raise clinical_access.refused(user, row.patient_id, "diagnosis_record", diagnosis_id)
    if not row.record_file:
        raise NotFound("record_not_found", _l("No in-person record was uploaded for this diagnosis."))
    audit.record_read(user.id, row.patient_id, "diagnosis_record", row.id)
    return uploads.upload_path(RECORD_AREA, row.record_file), row.record_mime or "application/octet-stream"


def _has_seen_record(user: User, row: ConfirmedDiagnosis) -> bool:
    query = db.select(AuditEntry.id).filter_by(
        actor_id=user.id, action="read", object_type="diagnosis_record", object_id=str(row.id)
    )
    return db.session.execute(query.limit(1)).first() is not None


# --- the doctor's decisions -------------------------------------------------------------------


def _claimed_in_consultation(doctor_user: User, diagnosis_id: int, consultation_id: int) -> ConfirmedDiagnosis:
    row = _load(diagnosis_id)
    clinical_access.require_treating_doctor(doctor_user, consultation_id, row.patient_id)
    if row.status != DiagnosisStatus.CLAIMED:
        raise Conflict("not_claimed", _l("This diagnosis has already been decided."))
    return row


def _decided(row: ConfirmedDiagnosis, doctor_user: User, consultation_id: int, status: str) -> None:
    row.status, row.decided_by_user_id, row.decided_at = status, doctor_user.id, clock.now()
    row.decided_in_consultation_id = consultation_id


def _announce(row: ConfirmedDiagnosis) -> None:
    notify.notify_user(
        row.patient_id,
        f"diagnosis.{row.status}",
        {"diagnosis_id": row.id, "diagnosis": row.diagnosis, "icd10": row.icd10, "reason": row.rejected_reason},
    )


def confirm_diagnosis(
    doctor_user: User, diagnosis_id: int, consultation_id: int, chronic: bool | None = None
) -> ConfirmedDiagnosis:
    """Confirm a claimed diagnosis, in an accepted consultation with the patient, after opening the
    uploaded in-person record; the doctor's name and the time are kept and audited."""
    row = _claimed_in_consultation(doctor_user, diagnosis_id, consultation_id)
    if not row.record_file:
        raise Conflict(
            "record_required",
            _l("Ask the patient to upload the in-person record first; it cannot be confirmed without."),
        )
    if not _has_seen_record(doctor_user, row):
        raise Conflict("record_not_seen", _l("Open the patient's in-person record before confirming."))
    _decided(row, doctor_user, consultation_id, DiagnosisStatus.CONFIRMED)
    row.source = DiagnosisSource.DOCTOR_REVIEW
    if chronic is not None:
        row.chronic = chronic
    audit.record(
        doctor_user.id, row.patient_id, "confirm", "diagnosis", row.id, icd10=row.icd10, consultation=consultation_id
    )
    db.session.commit()
    _announce(row)
    return row


def reject_diagnosis(doctor_user: User, diagnosis_id: int, consultation_id: int, reason: str) -> ConfirmedDiagnosis:
    """Reject a claimed diagnosis with a reason the patient reads."""
    row = _claimed_in_consultation(doctor_user, diagnosis_id, consultation_id)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            "reason_required", _l("Tell the patient why the diagnosis is not confirmed."), field="reason"
        )
    _decided(row, doctor_user, consultation_id, DiagnosisStatus.REJECTED)
    row.rejected_reason = reason[:500]
    audit.record(doctor_user.id, row.patient_id, "reject", "diagnosis", row.id, reason=row.rejected_reason)
    db.session.commit()
    _announce(row)
    return row


def mark_stable(doctor_user: User, diagnosis_id: int, consultation_id: int, stable: bool = True) -> ConfirmedDiagnosis:
    """A doctor marks a confirmed chronic diagnosis stable (unlocking the 84-day limit), or unmarks it."""
    row = _load(diagnosis_id)
    clinical_access.require_treating_doctor(doctor_user, consultation_id, row.patient_id)
    if row.status != DiagnosisStatus.CONFIRMED or not row.chronic:
        raise Conflict("not_confirmed_chronic", _l("Only a confirmed chronic diagnosis can be marked stable."))
    row.stable, row.stable_by_user_id, row.stable_at = stable, doctor_user.id, clock.now()
    audit.record(doctor_user.id, row.patient_id, "stable", "diagnosis", row.id, stable=stable)
    db.session.commit()
    return row


def require_prescribable_diagnosis(diagnosis: ConfirmedDiagnosis) -> ConfirmedDiagnosis:
    """A consultation may end in a prescription only for a confirmed diagnosis."""
    if diagnosis.status != DiagnosisStatus.CONFIRMED:
        raise Conflict(
            "diagnosis_not_confirmed",
            _l("The diagnosis is only claimed: confirm it after seeing the in-person record before prescribing."),
            field="diagnosis_id",
        )
    return diagnosis


# --- in-person visits (the network hospitals' record systems) ------------------------------------


def record_visit(
    patient_id: int,
    hospital_id: int,
    department_id: int | None,
    doctor_name: str,
    visited_on: date,
    diagnoses: list[tuple[str, str, bool]],
    summary: str = "",
) -> InPersonVisit:
    """An in-person visit as a network hospital reports it, with its diagnoses confirmed at once
    (name, ICD-10, chronic); used by the interface to the hospitals and by the demo data."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role != Role.PATIENT:
        raise Forbidden("role_refused", _l("Only patients have visits."))
    visit = InPersonVisit(
        patient_id=patient_id,
        hospital_id=hospital_id,
        department_id=department_id,
        doctor_name=doctor_name,
        visited_on=patients.check_diagnosis_date(patient, visited_on),
        summary=summary,
    )
    db.session.add(visit)
    db.session.flush()
    for name, icd10, chronic in diagnoses:
        db.session.add(
            ConfirmedDiagnosis(
                patient_id=patient_id,
                hospital_id=hospital_id,
                hospital_name=visit.hospital.name_zh,
                diagnosis=name,
                icd10=patients.check_icd10(icd10),
                diagnosed_on=visited_on,
                chronic=chronic,
                status=DiagnosisStatus.CONFIRMED,
                source=DiagnosisSource.VISIT_RECORD,
                visit_id=visit.id,
            )
        )
    audit.record(None, patient_id, "create", "in_person_visit", visit.id, hospital_id=hospital_id)
    db.session.commit()
    return visit
