"""The doctor's shift on one screen: the queue with waiting times and ages, "next patient", and in
one read everything the patient column shows (header, record, the renewal proposal, the last
prescription, the draft, the days preset). Writing and checking the prescription go through the
prescription services; what this module adds is the *source* of a copy (the renewal proposal or
the patient's last prescription), whose own supply is not counted as an earlier medication."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation, MedicalRecord
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import clinical, consultations, patients, prescriptions, renewal
from hospital.services import consultation_records as records

SHORT_DAYS, STABLE_DAYS = 7, 28  # DESIGN.md: 7 days; a long prescription of 4 weeks when stable
STABLE_REASON = _l("Chronic condition, stable: long prescription")
DEFAULT_ADVICE = _l("Continue the treatment as prescribed; measure at home and come back if anything changes.")


@dataclass
class QueueEntry:
    """A waiting patient as the queue column shows him."""

    consultation: Consultation
    age: int | None
    sex: str | None
    renewal: bool


@dataclass
class Desk:
    """The patient column of one consultation."""

    consultation: Consultation
    record: clinical.ClinicalRecord
    age: int | None
    medical_record: MedicalRecord | None
    proposal: Prescription | None
    last: Prescription | None
    draft: Prescription | None
    written: list[Prescription] = field(default_factory=list)
    preset_days: int = SHORT_DAYS
    long_reason: str = ""
    default_advice: str = ""


def _entry(consultation: Consultation) -> QueueEntry:
    patient = consultation.patient
    renewing = consultation.renewal_of_prescription_id is not None
    return QueueEntry(consultation, patients.age_years(patient), patient.sex, renewing)


def queue(doctor_user: User) -> dict:
    """His shift, the waiting patients (longest waiting first) and his open consultations."""
    state = consultations.queue_for(doctor_user)
    return {**state, "waiting": [_entry(c) for c in state["waiting"]], "accepted": list(state["accepted"])}


def next_patient(doctor_user: User) -> Consultation:
    """Accept the longest-waiting patient he may take; one a colleague took meanwhile is skipped."""
    for consultation in consultations.queue_for(doctor_user)["waiting"]:
        try:
            return consultations.accept(doctor_user, consultation.id)
        except Conflict as err:
            db.session.rollback()
            if err.code != "already_accepted":
                raise
    raise NotFound("queue_empty", _l("Nobody is waiting."))


def _last_prescription(consultation: Consultation) -> Prescription | None:
    """The patient's latest signed prescription for this consultation's diagnosis (any doctor)."""
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == consultation.patient_id, Prescription.status != S.DRAFT)
        .where(Prescription.diagnosis_id == consultation.diagnosis_id)
        .where(Prescription.consultation_id != consultation.id)
        .order_by(Prescription.id.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def _written_here(doctor_user: User, consultation: Consultation) -> list[Prescription]:
    query = db.select(Prescription).where(
        Prescription.consultation_id == consultation.id, Prescription.doctor_user_id == doctor_user.id
    )
    return list(db.session.execute(query.order_by(Prescription.id)).scalars())


def desk(doctor_user: User, consultation_id: int) -> Desk:
    """Everything the patient column shows, for a consultation the doctor may see (404 otherwise;
    the read of the clinical record is audited by the clinical service)."""
    record = clinical.consultation_record(doctor_user, consultation_id)
    consultation = record.consultation
    written = _written_here(doctor_user, consultation)
    drafts = [rx for rx in written if rx.status == S.DRAFT]
    diagnosis = consultation.diagnosis
    stable = bool(diagnosis.chronic and diagnosis.stable)
    return Desk(
        consultation,
        record,
        patients.age_years(record.patient),
        records.record_of(consultation.id),
        renewal.proposal_for(consultation),
        _last_prescription(consultation),
        drafts[-1] if drafts else None,
        [rx for rx in written if rx.status != S.DRAFT],
        STABLE_DAYS if stable else SHORT_DAYS,
        str(STABLE_REASON) if stable else "",
        str(DEFAULT_ADVICE),
    )


def _source_of(consultation: Consultation, source_id: int | None) -> int | None:
    """The prescription a copy renews: one of this patient's signed prescriptions (404 otherwise)."""
    if source_id is None:
        return None
    rx = db.session.get(Prescription, source_id)
    if rx is None or rx.patient_id != consultation.patient_id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    return rx.id


def check(doctor_user: User, consultation_id: int, draft, source_id: int | None, prescription_id: int | None) -> dict:
    """The findings as he types; the source's own supply is not an earlier medication."""
    consultation = consultations.require_accepted_by(doctor_user, consultation_id)
    renewal_of = _source_of(consultation, source_id)
    return prescriptions.check_result(doctor_user, consultation.id, draft, prescription_id, renewal_of_id=renewal_of)


def save_draft(
    doctor_user: User, consultation_id: int, draft, source_id: int | None, prescription_id: int | None
) -> Prescription:
    """Write the inline prescription: change his draft, or start one (a copy keeps its source)."""
    consultation = consultations.require_accepted_by(doctor_user, consultation_id)
    if prescription_id is not None:
        rx = prescriptions.get_prescription_for(doctor_user, prescription_id)
        if rx.consultation_id != consultation.id:
            raise NotFound("prescription_not_found", MSG_NOT_FOUND)
        return prescriptions.update_draft(doctor_user, rx.id, draft)
    renewal_of = _source_of(consultation, source_id)
    return prescriptions.create_draft(doctor_user, consultation.id, draft, renewal_of_id=renewal_of)
