"""Renewal, the most common reason chronic patients come: one action opens a follow-up consultation
with a proposed copy; the doctor reviews, adjusts and signs it (every rule checked anew).

Also "my medicines": when each current medicine runs out, with a reminder a few days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.models import User
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import consultation_access, consultations, prescriptions
from hospital.services import prescription_safety as safety

REMIND_DAYS_BEFORE = 5
RENEWABLE = (S.APPROVED, S.PAID, S.DISPENSED, S.EXPIRED)
TAKING = (S.PAID, S.DISPENSED, S.APPROVED)


def _renewable_of(patient: User, prescription_id: int) -> Prescription:
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.patient_id != patient.id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status not in RENEWABLE:
        raise Conflict("not_renewable", _l("Only a prescription that a pharmacist approved can be renewed."))
    return rx


def request_renewal(patient: User, prescription_id: int, mode: str = "text", complaint: str = ""):
    """Open a follow-up consultation for the same diagnosis with this prescription as the proposal."""
    rx = _renewable_of(patient, prescription_id)
    names = "、".join(i.name_zh for i in rx.items)
    text = (complaint or "").strip() or str(_l("Renewal of my medicine: %(names)s")) % {"names": names}
    consultation = consultations.start_consultation(
        patient.id, rx.department_id, rx.diagnosis_id, mode, text, renewal_of_prescription_id=rx.id
    )
    audit.record(patient.id, patient.id, "renew", "prescription", rx.id, consultation_id=consultation.id)
    db.session.commit()
    return consultation


def proposal_for(consultation) -> Prescription | None:
    """The prescription a renewal consultation proposes to copy (None for other consultations)."""
    if not consultation.renewal_of_prescription_id:
        return None
    rx = db.session.get(Prescription, consultation.renewal_of_prescription_id)
    return rx if rx is not None and rx.patient_id == consultation.patient_id else None


def draft_from_renewal(doctor_user: User, consultation_id: int) -> Prescription:
    """The doctor starts from the proposed copy: a new draft, all rules checked as for any other."""
    consultation = consultation_access.require_accepted_by(doctor_user, consultation_id)
    source = proposal_for(consultation)
    if source is None:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    draft = prescriptions.DraftInput(
        [safety.ItemInput(i.drug_code, i.dose, i.frequency, i.days, i.route, i.instructions) for i in source.items],
        source.long_prescription,
        source.long_reason,
        None,
        1,
        source.note,
    )
    return prescriptions.create_draft(doctor_user, consultation.id, draft, renewal_of_id=source.id)


@dataclass(frozen=True)
class Medicine:
    prescription_id: int
    name: str
    strength: str
    runs_out_on: date
    days_left: int
    remind: bool  # within a few days of running out: time to renew


def current_medicines(patient_id: int, today: date | None = None) -> list[Medicine]:
    """For each medicine of the patient's latest prescriptions: the day it runs out."""
    today = today or clock.today()
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status.in_(TAKING))
        .order_by(Prescription.signed_at.desc())
    )
    seen: set[str] = set()
    medicines: list[Medicine] = []
    for rx in db.session.execute(query).scalars():
        if rx.status == S.APPROVED and rx.past_validity:
            continue
        start = clock.to_local(rx.dispensed_at or rx.paid_at or rx.signed_at).date()
        for item in rx.items:
            if item.drug_code in seen:
                continue
            seen.add(item.drug_code)
            runs_out = start + timedelta(days=item.days)
            left = (runs_out - today).days
            if left >= -7:
                medicines.append(
                    Medicine(rx.id, item.name_zh, item.strength, runs_out, left, left <= REMIND_DAYS_BEFORE)
                )
    return sorted(medicines, key=lambda m: m.runs_out_on)


def home_context(user: User) -> dict:
    """The patient's home section: his medicines (the read is audited)."""
    medicines = current_medicines(user.id)
    audit.record_read(user.id, user.id, "medicines")
    return {"medicines": medicines}
