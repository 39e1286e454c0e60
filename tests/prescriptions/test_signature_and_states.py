"""Signatures, tampering, the state machine, expiry with a frozen clock and the pharmacy's contract."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from core import clock, signing
from core.errors import Conflict, NotFound
from core.extensions import db
from core.models import AuditEntry
from hospital.models.prescriptions import Prescription, PrescriptionTrail
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput

# 2026-03-10 10:00 in Asia/Shanghai
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def draft(world, *items, validity_days=1):
    consultation = world.consultation()
    data = rxs.DraftInput(list(items) or [ItemInput("AML5", 5, "qd", 7)], validity_days=validity_days)
    return rxs.create_draft(world.doctor.user, consultation.id, data)


def approved(world, validity_days=1):
    rx = rxs.sign_prescription(world.doctor.user, draft(world, validity_days=validity_days).id)
    return rxs.review_prescription(world.pharmacist, rx.id, "approve")


def test_signature_verifies_and_a_changed_byte_fails(world):
    content = {"code": "RX1", "items": [{"drug": "AML5", "dose": 5}]}
    signature = signing.sign(world.doctor.user_id, content)
    key = signing.public_key_b64(world.doctor.user_id)
    assert signing.verify(key, content, signature)
    assert not signing.verify(key, {**content, "code": "RX2"}, signature)
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    assert not signing.verify(key, content, base64.b64encode(bytes(raw)).decode())
    other = signing.public_key_b64(world.other_doctor.user_id)
    assert not signing.verify(other, content, signature)


def test_trail_holds_content_signature_and_key(world):
    rx = rxs.sign_prescription(world.doctor.user, draft(world).id)
    entry = db.session.execute(db.select(PrescriptionTrail).filter_by(prescription_id=rx.id)).scalar_one()
    assert entry.content == rxs.canonical_content(rx) and entry.public_key == signing.public_key_b64(rx.doctor_user_id)
    assert signing.verify(entry.public_key, entry.content, entry.signature)
    entry.signature = "x"
    with pytest.raises(RuntimeError):
        db.session.commit()  # append-only
    db.session.rollback()


def test_tampering_with_the_row_after_signing_is_detected(world):
    rx = approved(world)
    assert rxs.verify_integrity(rx)["genuine"]
    db.session.execute(
        text("UPDATE prescription_items SET dose = 10, quantity = 2 WHERE prescription_id = :id"), {"id": rx.id}
    )
    db.session.commit()
    db.session.expire_all()
    rx = db.session.get(Prescription, rx.id)
    result = rxs.verify_integrity(rx)
    assert result["doctor_signature"] is False and result["genuine"] is False
    assert rxs.verify_public(rx.code)["genuine"] is False


def test_tampering_with_the_review_is_detected(world):
    rx = approved(world)
    other = world.other_doctor.user_id
    db.session.execute(text("UPDATE prescriptions SET reviewer_user_id = :u WHERE id = :id"), {"u": other, "id": rx.id})
    db.session.commit()
    db.session.expire_all()
    result = rxs.verify_integrity(db.session.get(Prescription, rx.id))
    assert result["doctor_signature"] is True and result["review_signature"] is False and not result["genuine"]


def test_state_machine_table(world):
    rx = draft(world)
    with pytest.raises(Conflict) as err:
        rxs.move_to(rx, S.APPROVED)
    assert err.value.reason == "illegal_transition"
    for target in (S.SIGNED, S.APPROVED, S.PAID, S.DISPENSED, S.REFUNDED):
        rxs.move_to(rx, target)
    with pytest.raises(Conflict):
        rxs.move_to(rx, S.PAID)
    db.session.rollback()
    assert rxs.TRANSITIONS[S.REJECTED] == {S.SUPERSEDED}
    assert S.EXPIRED in rxs.TRANSITIONS[S.APPROVED]


def test_paid_prescription_cannot_be_reviewed_again(world):
    rx = approved(world)
    with pytest.raises(Conflict) as err:
        rxs.review_prescription(world.pharmacist, rx.id, "reject", "再看看")
    assert err.value.reason == "illegal_transition"


def test_valid_on_the_issue_day_then_expired(world):
    with clock.frozen(MORNING):
        rx = approved(world)
        assert rx.valid_until == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # local midnight
        assert rxs.payable_prescription(rx.id, world.patient.id).valid_until == rx.valid_until
    with clock.frozen(MORNING + timedelta(hours=13, minutes=59)):
        assert rxs.payable_prescription(rx.id, world.patient.id)
    with clock.frozen(MORNING + timedelta(hours=14)):
        with pytest.raises(Conflict) as err:
            rxs.payable_prescription(rx.id, world.patient.id)
        assert err.value.reason == "not_payable"
        assert rxs.verify_public(rx.code)["valid"] is False
        assert rxs.expire_overdue() == 1
    assert db.session.get(Prescription, rx.id).status == S.EXPIRED


def test_extended_validity_is_at_most_three_days(world):
    with clock.frozen(MORNING):
        rx = approved(world, validity_days=3)
    with clock.frozen(MORNING + timedelta(days=2, hours=13)):
        assert rxs.payable_prescription(rx.id, world.patient.id)
    with clock.frozen(MORNING + timedelta(days=2, hours=14)), pytest.raises(Conflict):
        rxs.payable_prescription(rx.id, world.patient.id)
    consultation = world.consultation()
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        rxs.create_draft(
            world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)], validity_days=4)
        )
    assert err.value.reason == "invalid_validity"


def test_payable_contract_and_marks_are_idempotent(world):
    rx = approved(world)
    with pytest.raises(NotFound):
        rxs.payable_prescription(rx.id, world.other_patient.id)
    payable = rxs.payable_prescription(rx.id, world.patient.id)
    line = payable.lines[0]
    assert (line.drug_code, line.insurance_class, line.quantity, line.unit_price_fen, line.cold_chain) == (
        "AML5",
        "A",
        1,
        300,
        False,
    )
    assert payable.code == rx.code and payable.icd10 == "I10" and payable.chronic is True
    assert payable.valid_until.tzinfo is not None and payable.total_fen == 300
    rxs.mark_paid(rx.id, "ORD-1")
    rxs.mark_paid(rx.id, "ORD-1")
    with pytest.raises(Conflict):
        rxs.mark_paid(rx.id, "ORD-2")
    with pytest.raises(Conflict) as err:
        rxs.payable_prescription(rx.id, world.patient.id)
    assert err.value.reason == "not_payable"
    rxs.mark_dispensed(rx.id)
    rxs.mark_dispensed(rx.id)
    assert rxs.verify_public(rx.code)["dispensed"] is True
    assert rxs.verify_integrity(db.session.get(Prescription, rx.id))["genuine"]
    rxs.mark_refunded(rx.id)
    rxs.mark_refunded(rx.id)
    assert db.session.get(Prescription, rx.id).status == S.REFUNDED


def test_marked_paid_in_one_update_with_its_audit_entry(world):
    rx = approved(world)
    rxs.mark_paid(rx.id, "ORD-7")
    db.session.expire_all()
    row = db.session.get(Prescription, rx.id)
    assert (row.status, row.order_ref) == (S.PAID, "ORD-7") and row.paid_at is not None
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(object_type="prescription", object_id=rx.id, action=S.PAID)
    ).scalar_one()
    assert entry.patient_id == world.patient.id and entry.detail["order_ref"] == "ORD-7"


def test_a_prescription_moved_meanwhile_is_not_marked_paid(world):
    """The request holds the prescription as approved; another process expires it before the
    payment marks it paid: the conditional UPDATE finds it changed, a 409, nothing written."""
    rx = approved(world)
    held = db.session.get(Prescription, rx.id)
    assert held.status == S.APPROVED
    db.session.execute(text("UPDATE prescriptions SET status = 'expired' WHERE id = :id"), {"id": rx.id})
    with pytest.raises(Conflict) as err:
        rxs.mark_paid(rx.id, "ORD-8", commit=False)
    assert err.value.reason == "prescription_changed"
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Prescription, rx.id)
    assert (row.status, row.order_ref, row.paid_at) == (S.EXPIRED, None, None)
    assert not db.session.execute(db.select(AuditEntry).filter_by(object_id=rx.id, action=S.PAID)).first()


def test_unapproved_is_not_payable(world):
    rx = rxs.sign_prescription(world.doctor.user, draft(world).id)
    with pytest.raises(Conflict) as err:
        rxs.payable_prescription(rx.id, world.patient.id)
    assert err.value.reason == "not_payable"
    with pytest.raises(Conflict):
        rxs.mark_paid(rx.id, "ORD-9")


def test_cold_chain_insulin_line(world):
    world.diagnosis(icd10="E11.9", name="2型糖尿病")  # what insulin is for
    rx = rxs.sign_prescription(world.doctor.user, draft(world, ItemInput("INSGLA", 20, "qd", 7)).id)
    rxs.review_prescription(world.pharmacist, rx.id, "approve")
    line = rxs.payable_prescription(rx.id, world.patient.id).lines[0]
    assert line.cold_chain is True and line.quantity == 1
