"""The integrity check reads in one statement and remembers verdicts only for the exact bytes
verified: a prescription, its trail or its signer's key changed in the database after a first
(remembered) read is flagged on the next read, through the API as on the service."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, text

from core import signing
from core.extensions import db
from hospital.models.prescriptions import Prescription
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput

GENUINE = {"doctor_signature": True, "review_signature": True, "genuine": True}


@pytest.fixture(autouse=True)
def fresh_verdicts():
    signing.forget_verdicts()
    yield
    signing.forget_verdicts()


@pytest.fixture
def verifications(monkeypatch):
    """Counts the Ed25519 verifications actually run (the real ones, spied on)."""
    calls = []
    real = signing._verify_message

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(signing, "_verify_message", counted)
    return calls


def approved(world) -> Prescription:
    consultation = world.consultation()
    data = rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)], validity_days=1)
    rx = rxs.sign_prescription(world.doctor.user, rxs.create_draft(world.doctor.user, consultation.id, data).id)
    return rxs.review_prescription(world.pharmacist, rx.id, "approve")


def integrity_read(client, rx_api, rx_id: int) -> dict:
    response = client.get(f"/api/prescriptions/{rx_id}", headers=rx_api.patient)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["integrity"]


def changed_in_database(sql: str, **params) -> None:
    db.session.execute(text(sql), params)
    db.session.commit()
    db.session.expire_all()


def test_a_second_read_verifies_nothing_again(world, client, rx_api, verifications):
    rx = approved(world)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    first = len(verifications)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    assert len(verifications) == first  # both signatures' verdicts remembered


def test_items_changed_after_a_remembered_read_are_flagged(world, client, rx_api, verifications):
    rx = approved(world)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    before = len(verifications)
    changed_in_database("UPDATE prescription_items SET dose = 10, quantity = 2 WHERE prescription_id = :id", id=rx.id)
    result = integrity_read(client, rx_api, rx.id)
    assert result["doctor_signature"] is False and result["genuine"] is False
    assert rxs.verify_public(rx.code)["genuine"] is False
    changed_in_database("UPDATE prescription_items SET dose = 5, quantity = 1 WHERE prescription_id = :id", id=rx.id)
    assert integrity_read(client, rx_api, rx.id) == GENUINE  # the original bytes: remembered verdicts again
    assert len(verifications) == before


def test_a_signature_replaced_in_the_trail_is_flagged(world, client, rx_api):
    rx = approved(world)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    content = rxs.canonical_content(db.session.get(Prescription, rx.id))
    forged = signing.sign(world.other_doctor.user_id, content)  # a genuine signature, by someone else
    changed_in_database(
        "UPDATE prescription_trail SET signature = :s WHERE prescription_id = :id AND kind = 'doctor'",
        s=forged,
        id=rx.id,
    )
    assert integrity_read(client, rx_api, rx.id)["doctor_signature"] is False


def test_the_review_changed_after_a_remembered_read_is_flagged(world, client, rx_api):
    rx = approved(world)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    other = world.other_doctor.user_id
    changed_in_database("UPDATE prescriptions SET reviewer_user_id = :u WHERE id = :id", u=other, id=rx.id)
    result = rxs.verify_integrity(db.session.get(Prescription, rx.id))
    assert result == {"doctor_signature": True, "review_signature": False, "genuine": False}


def test_a_rotated_or_revoked_key_is_honoured_at_once(world, client, rx_api):
    """The signer's key is read with the signatures on every check, never remembered: a key
    replaced or removed after a remembered read makes his signatures fail, as before."""
    rx = approved(world)
    assert integrity_read(client, rx_api, rx.id) == GENUINE
    fresh = Ed25519PrivateKey.generate().public_key()
    raw = fresh.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doctor = world.doctor.user_id
    original = signing.public_key_b64(doctor)
    changed_in_database("UPDATE signing_keys SET public_key = :k WHERE user_id = :u", k=raw, u=doctor)
    assert integrity_read(client, rx_api, rx.id) == {
        "doctor_signature": False,
        "review_signature": True,
        "genuine": False,
    }
    changed_in_database("DELETE FROM signing_keys WHERE user_id = :u", u=world.pharmacist.id)
    changed_in_database(
        "UPDATE signing_keys SET public_key = :k WHERE user_id = :u", k=base64.b64decode(original), u=doctor
    )
    assert integrity_read(client, rx_api, rx.id) == {
        "doctor_signature": True,
        "review_signature": False,
        "genuine": False,
    }


def test_the_check_reads_in_one_statement(world):
    rx = approved(world)
    db.session.expire_all()
    rx = db.session.get(Prescription, rx.id)
    rxs.canonical_content(rx)  # what the row's own relations load is the caller's, not the check's
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert rxs.verify_integrity(rx)["genuine"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_remembered_verdicts_are_bounded(monkeypatch):
    monkeypatch.setattr(signing, "VERDICTS_KEPT", 3)
    private = Ed25519PrivateKey.generate()
    key = base64.b64encode(
        private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    for n in range(5):
        content = {"n": n}
        signature = base64.b64encode(private.sign(signing.canonical(content))).decode()
        assert signing.verify(key, content, signature)
        assert not signing.verify(key, {"n": n + 100}, signature)
    assert len(signing._verdicts) == 3
