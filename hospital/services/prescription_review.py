"""The pharmacist's review: approve (signed with his key) or reject with a reason; and what the
review page shows of the patient (age, sex, allergies, confirmed diagnoses, active medications)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core import audit, notify
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.patients import Allergy, ConfirmedDiagnosis
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import medications, patients
from hospital.services import prescription_access as access
from hospital.services import prescription_signing as signing
from hospital.services.prescription_states import is_past_validity, move_to


@dataclass
class ReviewView:
    """Everything the reviewing pharmacist needs on one page."""

    rx: Prescription
    age: int | None
    sex: str | None
    allergies: list[Allergy]
    diagnoses: list[ConfirmedDiagnosis]
    medications: list[medications.ActiveMedication]
    override_label: str


def review_view(pharmacist: User, prescription_id: int) -> ReviewView:
    """The prescription of the pharmacist's hospital with the patient's clinical background (audited)."""
    rx = access.require_reviewer(pharmacist, prescription_id)
    rx.integrity = signing.verify_integrity(rx)
    patient = rx.patient
    view = ReviewView(
        rx,
        patients.age_years(patient),
        patient.sex,
        patients.list_allergies(rx.patient_id),
        patients.confirmed_diagnoses(rx.patient_id),
        medications.active_medications(rx.patient_id, exclude_ids=(rx.id,)),
        signing.override_label(rx.override_code) if rx.override_code else "",
    )
    audit.record_read(pharmacist.id, rx.patient_id, "prescription_review", rx.id)
    return view


def review_prescription(pharmacist: User, prescription_id: int, decision: str, reason: str = "") -> Prescription:
    """Approve (signed by the pharmacist) or reject with a reason; the patient and doctor are told."""
    rx = access.require_reviewer(pharmacist, prescription_id)
    if rx.status == S.SIGNED and is_past_validity(rx):
        move_to(rx, S.EXPIRED)
        db.session.commit()
        raise Conflict("expired", _l("This prescription's validity has passed."))
    if decision not in ("approve", "reject"):
        raise ValidationFailed("invalid_decision", _l("Choose approve or reject."), field="decision")
    if decision == "reject" and len(reason.strip()) < 2:
        raise ValidationFailed("reason_required", _l("Say why the prescription is rejected."), field="reason")
    if not signing.verify_integrity(rx)["doctor_signature"] and rx.status == S.SIGNED:
        raise Conflict("signature_invalid", _l("The doctor's signature does not match the content; do not approve."))
    move_to(rx, S.APPROVED if decision == "approve" else S.REJECTED)
    rx.reviewer_user_id, rx.reject_reason = pharmacist.id, reason.strip() if decision == "reject" else ""
    content = signing.review_content(rx, signing.trail(rx, "doctor").digest)
    signing.append_trail(rx, "review", pharmacist, content, decision=rx.status)
    audit.record(pharmacist.id, rx.patient_id, "review", "prescription", rx.id, decision=rx.status)
    db.session.commit()
    payload = {**signing.summary(rx), "reason": rx.reject_reason}
    notify.notify_users([rx.patient_id, rx.doctor_user_id], f"prescription.{rx.status}", payload)
    notify.broadcast(access.review_room(rx.hospital_id), "prescription.reviewed", payload)
    signing.announce_to_consultation(rx)
    return rx
