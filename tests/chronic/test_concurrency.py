"""50 patients book the last 5 places of a slot at once: exactly 5 succeed, 45 are told the time
is full, and the slot never holds more than its capacity (SQLite with threads; PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from chronic.models import Booking, VisitSlot
from core import accounts, clock, sessions
from core.extensions import db
from hospital.models.consultations import Consultation, ConsultationStatus
from hospital.models.network import Department, Hospital
from hospital.models.patients import ConfirmedDiagnosis
from tests.conftest import GOOD_PASSWORD, valid_id

N, CAPACITY, LEFT = 50, 10, 5


def _patients_with_referrals(department_id: int) -> list[tuple[str, int]]:
    """N real-name patients, each with a consultation referred to an in-person visit; (token, id)."""
    rows = []
    for serial in range(N):
        patient = accounts.register_patient(
            "测试患者", valid_id("19550101", f"{serial:03d}"), f"137{serial:08d}", GOOD_PASSWORD
        )
        diagnosis = ConfirmedDiagnosis(
            patient_id=patient.id,
            hospital_name="测试医院",
            diagnosis="原发性高血压",
            icd10="I10",
            diagnosed_on=date(2020, 1, 1),
        )
        db.session.add(diagnosis)
        db.session.flush()
        consultation = Consultation(
            patient_id=patient.id,
            department_id=department_id,
            diagnosis_id=diagnosis.id,
            status=ConsultationStatus.REFERRED,
            end_reason="需门诊复查",
        )
        db.session.add(consultation)
        db.session.flush()
        rows.append((sessions.open_api_session(patient).token, consultation.id))
    db.session.commit()
    return rows


def _slot_with_last_places() -> tuple[int, int]:
    hospital = Hospital(code="H35999999999", name_zh="测试医院", name_en="Test Hospital")
    db.session.add(hospital)
    db.session.flush()
    department = Department(hospital_id=hospital.id, code="CARD", name_zh="心血管内科", name_en="Cardiology")
    db.session.add(department)
    db.session.flush()
    starts = clock.now().replace(microsecond=0) + timedelta(days=1)
    slot = VisitSlot(
        department_id=department.id,
        purpose="visit",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        capacity=CAPACITY,
        booked=CAPACITY - LEFT,
    )
    db.session.add(slot)
    db.session.commit()
    return department.id, slot.id


def _book_all_at_once(app, slot_id: int, patients: list[tuple[str, int]]) -> list[tuple[int, dict]]:
    barrier, results, lock = threading.Barrier(N), [], threading.Lock()

    def one(token: str, consultation_id: int) -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(
                "/api/chronic/bookings",
                json={"consultation_id": consultation_id, "slot_id": slot_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            with lock:
                results.append((response.status_code, response.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=one, args=patient) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    return results


def _run(app) -> None:
    department_id, slot_id = _slot_with_last_places()
    patients = _patients_with_referrals(department_id)
    results = _book_all_at_once(app, slot_id, patients)
    assert len(results) == N
    won = [body for code, body in results if code == 201]
    lost = [(code, body) for code, body in results if code != 201]
    assert len(won) == LEFT, sorted(code for code, _ in results)
    assert all(code == 409 and body["reason"] == "slot_full" for code, body in lost), lost[:3]
    db.session.expire_all()
    assert db.session.get(VisitSlot, slot_id).booked == CAPACITY
    bookings = db.session.execute(db.select(Booking).filter_by(slot_id=slot_id)).scalars().all()
    assert sorted(b.id for b in bookings) == sorted(body["id"] for body in won)


@pytest.mark.timeout(300)
def test_fifty_patients_book_the_last_five_places_on_sqlite(app):
    _run(app)


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_fifty_patients_book_the_last_five_places_on_postgres(pg_app):
    _run(pg_app)
