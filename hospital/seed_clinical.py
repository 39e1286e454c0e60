"""Demo medication history: earlier prescriptions of a chronic patient, signed by a doctor and
approved by a pharmacist with real signatures, one still in supply today (aspirin and atorvastatin
for her coronary heart disease) and two whose supply ended long ago (a nitrate, levothyroxine), so
that the checks of a new prescription see the first and ignore the others. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from core import accounts, clock
from core.extensions import db
from hospital.models.consultations import Consultation, ConsultationStatus
from hospital.models.network import Doctor
from hospital.models.patients import ConfirmedDiagnosis
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import formulary, prescription_drafts
from hospital.services import prescription_safety as safety
from hospital.services import prescription_signing as signing

PATIENT = "13800000004"  # 赵桂芳: coronary heart disease (I25.1) and hypothyroidism (E03.9)
DOCTOR, PHARMACIST = "doc03", "pharm01"  # the cardiologist of the hub; its pharmacist
# (code, days ago the supply started, ICD-10 it treats, [(drug, dose, frequency, days)])
HISTORY = [
    ("RXDEMO0004A", 10, "I25.1", [("ASA100", 100, "qd", 28), ("ATO20", 20, "qn", 28)]),
    ("RXDEMO0004B", 120, "I25.1", [("ISMN20", 20, "bid", 28)]),
    ("RXDEMO0004C", 200, "E03.9", [("LT4_50", 50, "qd", 28)]),
]


def _consultation(patient_id: int, doctor: Doctor, diagnosis: ConfirmedDiagnosis, when) -> Consultation:
    row = Consultation(
        patient_id=patient_id,
        department_id=doctor.department_id,
        doctor_id=doctor.id,
        diagnosis_id=diagnosis.id,
        mode="text",
        status=ConsultationStatus.COMPLETED,
        complaint="复诊开药",
        created_at=when,
        accepted_at=when,
        ended_at=when,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _item(position: int, code: str, dose: float, frequency: str, days: int) -> PrescriptionItem:
    line = safety.ItemInput(drug_code=code, dose=dose, frequency=frequency, days=days)
    return prescription_drafts.item_row(position, formulary.get_drug(code), line)


def _prescription(code: str, days_ago: int, icd10: str, lines: list, patient, doctor: Doctor, pharmacist) -> None:
    when = clock.now() - timedelta(days=days_ago)
    diagnosis = db.session.execute(
        db.select(ConfirmedDiagnosis).filter_by(patient_id=patient.id, icd10=icd10)
    ).scalar_one()
    consultation = _consultation(patient.id, doctor, diagnosis, when)
    rx = Prescription(
        code=code,
        consultation_id=consultation.id,
        patient_id=patient.id,
        doctor_id=doctor.id,
        doctor_user_id=doctor.user_id,
        hospital_id=doctor.hospital_id,
        department_id=doctor.department_id,
        diagnosis_id=diagnosis.id,
        icd10=icd10,
        diagnosis_name=diagnosis.diagnosis,
        chronic=True,
        long_prescription=True,
        long_reason="病情稳定，长期处方",
        validity_days=3,
        status=S.DISPENSED,  # history written as it ended (the machine ran at the time)
        created_at=when,
        signed_at=when,
        valid_until=signing.valid_until_for(when, 3),
        reviewer_user_id=pharmacist.id,
        reviewed_at=when,
        paid_at=when,
        dispensed_at=when,
        items=[_item(i, *line) for i, line in enumerate(lines, start=1)],
    )
    db.session.add(rx)
    db.session.flush()
    signing.append_trail(rx, "doctor", doctor.user, signing.canonical_content(rx))
    db.session.flush()
    review = signing.review_content(rx, signing.trail(rx, "doctor").digest)
    signing.append_trail(rx, "review", pharmacist, review, decision=S.APPROVED)


def seed_clinical(context: dict) -> None:
    """Demo seeder: the medication history (after the network, the formulary and the pharmacies)."""
    patient, pharmacist = accounts.get_by_username(PATIENT), accounts.get_by_username(PHARMACIST)
    doctor_user = accounts.get_by_username(DOCTOR)
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=doctor_user.id)).scalar_one()
    for code, days_ago, icd10, lines in HISTORY:
        if db.session.execute(db.select(Prescription.id).filter_by(code=code)).first() is None:
            _prescription(code, days_ago, icd10, lines, patient, doctor, pharmacist)
    db.session.commit()
    context["medication_history_patient"] = PATIENT
