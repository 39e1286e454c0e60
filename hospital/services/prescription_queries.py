"""Read-only views of prescriptions: the public QR verification and the patient's history panel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import NotFound
from core.extensions import db
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import consultations, medications
from hospital.services import prescription_safety as safety
from hospital.services.prescription_signing import iso, verify_integrity
from hospital.services.prescription_states import ONCE_APPROVED, effective_status


def verify_public(code: str) -> dict:
    """What the QR shows anyone: only what the paper shows, plus genuine / approved / valid / dispensed."""
    rx = db.session.execute(db.select(Prescription).filter_by(code=code)).scalar_one_or_none()
    if rx is None or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", _l("No prescription with this code."))
    integrity = verify_integrity(rx)
    status = effective_status(rx)
    patient = rx.patient
    audit.record_read(None, rx.patient_id, "prescription_verify", rx.id)
    return {
        "code": rx.code,
        "genuine": integrity["genuine"],
        "status": status,
        "approved": rx.status in ONCE_APPROVED and rx.reviewer_user_id is not None,
        "valid": status == S.APPROVED,
        "dispensed": rx.status == S.DISPENSED,
        "dispensed_at": rx.dispensed_at,
        "hospital": rx.hospital.name_zh,
        "patient_name": _mask_name(patient.name),
        "patient_id_number": patient.id_number_masked,
        "diagnosis": rx.diagnosis_name,
        "icd10": rx.icd10,
        "doctor_name": rx.doctor_user.name,
        "pharmacist_name": rx.reviewer.name if rx.reviewer else None,
        "signed_at": rx.signed_at,
        "valid_until": rx.valid_until,
        "items": [
            {"name": i.name_zh, "strength": i.strength, "quantity": i.quantity, "unit": i.package_unit_zh}
            for i in rx.items
        ],
    }


def _mask_name(name: str) -> str:
    """王建国 → 王*国 (as printed: the paper is seen by the pharmacy, not the public)."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * max(1, len(name) - 2) + (name[-1] if len(name) > 2 else "")


def _usage(item: PrescriptionItem) -> str:
    """How often and how long, in words (the doctor's history reads "每日1次 × 7天", not "qd × 7d")."""
    return f"{safety.FREQUENCY_LABELS.get(item.frequency, item.frequency)} × {_l('%(n)s days') % {'n': item.days}}"


def history_for_patient(patient_id: int) -> list[dict]:
    """The patient's prescriptions for the doctor's history panel (consultations' provider)."""
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status != S.DRAFT)
        .order_by(Prescription.id.desc())
        .limit(50)
    )
    return [
        {
            "id": rx.id,
            "code": rx.code,
            "status": effective_status(rx),
            "signed_at": iso(rx.signed_at),
            "diagnosis": rx.diagnosis_name,
            "icd10": rx.icd10,
            "items": [f"{i.name_zh} {i.strength} {i.dose:g}{i.dose_unit} {_usage(i)}" for i in rx.items],
        }
        for rx in db.session.execute(query).scalars()
    ]


def register_with_consultations() -> None:
    """Show prescriptions and the active medication list in the patient's history panel."""
    consultations.register_history_provider("prescriptions", history_for_patient)
    consultations.register_history_provider("active_medications", active_medications_for_history)


def active_medications_for_history(patient_id: int) -> list[dict]:
    """Drugs of the patient's prescriptions still in supply today (the history panel's section)."""
    return [m.as_dict() for m in medications.active_medications(patient_id)]
