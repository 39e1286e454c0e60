"""The contract the pharmacy uses: what may be charged (payable), and the steps it reports back
(paid / dispensed / refunded), each idempotent when the prescription is already in that state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.rows import add_now
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services.prescription_states import effective_status, get, is_past_validity, move_now


@dataclass(frozen=True)
class PayableLine:
    drug_code: str
    name_zh: str
    name_en: str
    insurance_class: str  # "A" / "B" / "C"
    quantity: int  # packages
    unit_price_fen: int
    total_fen: int
    cold_chain: bool


@dataclass(frozen=True)
class PayablePrescription:
    id: int
    code: str  # the verify code
    patient_id: int
    hospital_id: int
    icd10: str
    diagnosis_name: str
    chronic: bool  # insurance med_type 14 (chronic-disease outpatient)
    valid_until: datetime  # aware
    lines: tuple[PayableLine, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)


def payable_prescription(prescription_id: int, patient_id: int) -> PayablePrescription:
    """What the pharmacy may charge: 404 unless the patient's, 409 not_payable unless approved and valid."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.patient_id != patient_id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status != S.APPROVED or is_past_validity(rx):
        raise Conflict(
            "not_payable", _l("This prescription cannot be paid (status: %(status)s)."), status=effective_status(rx)
        )
    lines = tuple(
        PayableLine(
            i.drug_code,
            i.name_zh,
            i.name_en,
            i.insurance_class,
            i.quantity,
            i.unit_price_fen,
            i.total_fen,
            i.cold_chain,
        )
        for i in rx.items
    )
    return PayablePrescription(
        rx.id, rx.code, rx.patient_id, rx.hospital_id, rx.icd10, rx.diagnosis_name, rx.chronic, rx.valid_until, lines
    )


def _mark(prescription_id: int, target: str, commit: bool = True, **values) -> Prescription:
    """Move to `target` unless there already, by one conditional UPDATE and one audit INSERT (no
    flush of the unit of work: the payment marks its prescription paid on its hot path)."""
    rx = get(prescription_id)
    if rx.status != target:
        move_now(rx, target, **values)
        add_now(audit.record(None, rx.patient_id, target, "prescription", rx.id, **values))
        if commit:
            db.session.commit()
    return rx


def mark_paid(prescription_id: int, order_ref: str, commit: bool = True) -> None:
    """approved → paid (a repeat with the same order is a no-op, another order is a 409).
    Commits, unless the caller commits it with its own change (`commit=False`: the payment)."""
    rx = get(prescription_id)
    if rx.status == S.PAID and rx.order_ref != order_ref:
        raise Conflict("already_paid", _l("This prescription is already paid by another order."))
    _mark(prescription_id, S.PAID, commit, order_ref=order_ref)


def mark_dispensed(prescription_id: int) -> None:
    """paid → dispensed (commits; idempotent)."""
    _mark(prescription_id, S.DISPENSED)


def mark_refunded(prescription_id: int) -> None:
    """paid or dispensed → refunded, for a returned order (commits; idempotent)."""
    _mark(prescription_id, S.REFUNDED)
