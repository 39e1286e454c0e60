"""The contract the pharmacy uses: what may be charged (payable), and the steps it reports back
(paid / dispensed / refunded), each idempotent when the prescription is already in that state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from core import audit
from core.errors import MSG_NOT_FOUND, Conflict, NotFound
from core.extensions import db
from core.rows import read
from hospital.models.prescriptions import Prescription, PrescriptionItem, effective_status, past_validity
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services.prescription_states import get, move_now


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


_RX, _ITEM = Prescription.__table__, PrescriptionItem.__table__
# The prescription and its items in one statement of plain columns: a payment reads only these,
# and loading them as ORM objects (with the items joined) cost several times the statement.
_PAYABLE = (
    db.select(
        *(_RX.c[name] for name in ("id", "code", "patient_id", "hospital_id", "icd10", "diagnosis_name")),
        *(_RX.c[name] for name in ("chronic", "valid_until", "status")),
        *(_ITEM.c[name] for name in ("drug_code", "name_zh", "name_en", "insurance_class", "quantity")),
        *(_ITEM.c[name] for name in ("unit_price_fen", "total_fen", "cold_chain")),
    )
    .outerjoin(_ITEM, _ITEM.c.prescription_id == _RX.c.id)
    .where(_RX.c.id == bindparam("id"))
    .order_by(_ITEM.c.position)
)


def payable_prescription(prescription_id: int, patient_id: int) -> PayablePrescription:
    """What the pharmacy may charge: 404 unless the patient's, 409 not_payable unless approved and valid."""
    rows = read(_PAYABLE, {"id": prescription_id}).all()
    rx = rows[0] if rows else None
    if rx is None or rx.patient_id != patient_id or rx.status == S.DRAFT:
        raise NotFound("prescription_not_found", MSG_NOT_FOUND)
    if rx.status != S.APPROVED or past_validity(rx.valid_until):
        raise Conflict(
            "not_payable",
            _l("This prescription cannot be paid (status: %(status)s)."),
            status=effective_status(rx.status, rx.valid_until),
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
        for i in rows
        if i.drug_code is not None
    )
    return PayablePrescription(
        rx.id, rx.code, rx.patient_id, rx.hospital_id, rx.icd10, rx.diagnosis_name, rx.chronic, rx.valid_until, lines
    )


def _mark(prescription_id: int, target: str, commit: bool = True, **values) -> Prescription:
    return _move(get(prescription_id), target, commit, **values)


def _move(rx: Prescription, target: str, commit: bool, **values) -> Prescription:
    """Move to `target` unless there already, by one conditional UPDATE and one audit INSERT (no
    flush of the unit of work: the payment marks its prescription paid on its hot path)."""
    if rx.status != target:
        move_now(rx, target, **values)
        audit.record_at_commit(None, rx.patient_id, target, "prescription", rx.id, **values)
        if commit:
            db.session.commit()
    return rx


def mark_paid(
    prescription_id: int, order_ref: str, commit: bool = True, payable: PayablePrescription | None = None
) -> None:
    """approved → paid (a repeat with the same order is a no-op, another order is a 409).
    Commits, unless the caller commits it with its own change (`commit=False`: the payment).

    `payable`: the prescription as this request's `payable_prescription` read it (approved), moved
    without being read again. The move is conditional on that status all the same: whatever
    changed the prescription since makes it a 409."""
    if payable is not None:
        # A stand-in kept outside the session, as the order's own row is (core/rows.py): it holds
        # what the conditional move and its audit entry read, and takes the values the move wrote.
        stand_in = Prescription(id=payable.id, patient_id=payable.patient_id, status=S.APPROVED)
        _move(stand_in, S.PAID, commit, order_ref=order_ref)
        return
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
