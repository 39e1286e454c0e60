"""A booked in-person visit on referral: the department's published 30-minute slots, the booking
with its QR code, cancel; full slots refused; another patient's booking is 404."""

from __future__ import annotations

from datetime import timedelta

from chronic.models import Booking, VisitSlot
from core import clock
from core.extensions import db
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, user


def _slots(care, department_code: str = "CARD") -> list[dict]:
    department = care.department(department_code)
    response = care.get(f"/api/chronic/slots?department_id={department.id}", PATIENT)
    assert response.status_code == 200
    return response.get_json()


def test_referred_patient_books_a_slot_gets_a_qr_code_and_cancels(care):
    consultation_id = care.referred_consultation()
    slots = _slots(care)
    assert slots and all(s["capacity"] == 4 for s in slots)
    first = slots[0]
    starts = clock.to_local(clock.now())
    assert first["starts_at"] > starts.isoformat()
    response = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": first["id"]}
    )
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()
    assert booking["status"] == "booked" and len(booking["code"]) == 16 and booking["department"] == "心血管内科"
    assert db.session.get(VisitSlot, first["id"]).booked == 1
    qr = care.get(f"/api/chronic/bookings/{booking['id']}/qr.svg", PATIENT)
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    verified = care.client.get(f"/api/chronic/bookings/verify/{booking['code']}").get_json()
    assert verified["status"] == "booked" and "name" not in verified
    twice = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": slots[1]["id"]}
    )
    assert twice.status_code == 409 and twice.get_json()["reason"] == "already_booked"
    # Someone else's booking does not exist for him.
    assert care.get(f"/api/chronic/bookings/{booking['id']}", OTHER_PATIENT).status_code == 404
    assert care.post(f"/api/chronic/bookings/{booking['id']}/cancel", OTHER_PATIENT).status_code == 404
    cancelled = care.post(f"/api/chronic/bookings/{booking['id']}/cancel", PATIENT)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    db.session.expire_all()
    assert db.session.get(VisitSlot, first["id"]).booked == 0
    assert care.post(f"/api/chronic/bookings/{booking['id']}/cancel", PATIENT).status_code == 409
    rebook = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": slots[1]["id"]}
    )
    assert rebook.status_code == 201


def test_bad_bookings_are_refused_in_words(care):
    open_one = care.accepted_consultation()
    slot = _slots(care)[0]
    not_referred = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": open_one, "slot_id": slot["id"]}
    )
    assert not_referred.status_code == 409 and not_referred.get_json()["reason"] == "not_referred"
    consultation_id = care.referred_consultation()
    other_department = _slots(care, "ENDO")[0]
    wrong = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": other_department["id"]}
    )
    assert wrong.status_code == 422 and "slot_id" in wrong.get_json()["errors"]["json"]
    missing = care.post("/api/chronic/bookings", PATIENT, json={"slot_id": slot["id"]})
    assert missing.status_code == 422 and "consultation_id" in missing.get_json()["errors"]["json"]
    no_slot = care.post("/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id})
    assert no_slot.status_code == 422 and "slot_id" in no_slot.get_json()["errors"]["json"]
    # His referral is not another patient's to book.
    theirs = care.post(
        "/api/chronic/bookings", OTHER_PATIENT, json={"consultation_id": consultation_id, "slot_id": slot["id"]}
    )
    assert theirs.status_code == 404


def test_a_full_slot_is_refused(care):
    consultation_id = care.referred_consultation()
    slot = _slots(care)[0]
    db.session.execute(db.update(VisitSlot).where(VisitSlot.id == slot["id"]).values(booked=VisitSlot.capacity))
    db.session.commit()
    full = care.post("/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": slot["id"]})
    assert full.status_code == 409 and full.get_json()["reason"] == "slot_full"
    assert "其他时段" in full.get_json()["message"]  # Chinese by default: "choose another time"
    assert db.session.execute(db.select(Booking).filter_by(slot_id=slot["id"])).first() is None


def test_the_referring_doctor_chooses_a_network_hospital_department(care):
    consultation_id = care.referred_consultation()
    member = (
        db.session.execute(
            db.select(VisitSlot.department_id).where(VisitSlot.department_id != care.department("CARD").id)
        )
        .scalars()
        .first()
    )
    refused = care.post(
        f"/api/chronic/referrals/{consultation_id}/destination", OTHER_DOCTOR, json={"department_id": member}
    )
    assert refused.status_code == 404
    chosen = care.post(
        f"/api/chronic/referrals/{consultation_id}/destination", CARDIOLOGIST, json={"department_id": member}
    )
    assert chosen.status_code == 200 and chosen.get_json()["department_id"] == member
    slot = care.get(f"/api/chronic/slots?department_id={member}", PATIENT).get_json()[0]
    booked = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": slot["id"]}
    )
    assert booked.status_code == 201


def test_publishing_slots(care):
    card = care.department("CARD").id
    day = (clock.local_now() + timedelta(days=20)).date().isoformat()
    body = {"department_id": card, "day": day, "first": "13:00", "count": 4, "capacity": 6}
    published = care.post("/api/chronic/slots", CARDIOLOGIST, json=body)
    assert published.status_code == 201 and len(published.get_json()) == 4
    assert published.get_json()[1]["starts_at"].endswith("13:30:00+08:00")
    assert care.post("/api/chronic/slots", CARDIOLOGIST, json=body).get_json() == []  # already there
    assert care.post("/api/chronic/slots", OTHER_DOCTOR, json=body).status_code == 403
    assert care.post("/api/chronic/slots", PATIENT, json=body).status_code == 403
    bad = care.post("/api/chronic/slots", "admin", json={**body, "capacity": 0})
    assert bad.status_code == 422 and "capacity" in bad.get_json()["errors"]["json"]
    assert user("admin").role == "admin"
