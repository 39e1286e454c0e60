"""The chronic-care pages render for their roles, forms say what is wrong next to the field, the
patient is led from his referred consultation to a booking, and panels of others are 404."""

from __future__ import annotations

import re
from datetime import timedelta

from chronic.models import Booking
from core import clock
from core.extensions import db
from hospital.services import consultations
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, user
from tests.conftest import csrf_of, page_login


def _post(client, path: str, data: dict, page: str):
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_patient_pages_render(care):
    client = care.client
    page_login(client, PATIENT)
    home = client.get("/").get_data(as_text=True)
    assert 'id="health-today"' in home and 'href="/health"' in home
    for path in (
        "/health",
        "/health?kind=glucose&days=7",
        "/health/medicines",
        "/health/plan",
        "/health/labs",
        "/bookings",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert 'id="chart-data"' in client.get("/health?days=90").get_data(as_text=True)


def test_reading_form_refuses_an_impossible_value_in_words_next_to_the_field(care):
    client = care.client
    page_login(client, PATIENT)
    response = _post(
        client, "/health/readings", {"kind": "blood_pressure", "systolic": "400", "diastolic": "90"}, "/health"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="e-systolic"' in html and "400" in html and 'aria-invalid="true"' in html
    ok = _post(client, "/health/readings", {"kind": "blood_pressure", "systolic": "186", "diastolic": "112"}, "/health")
    assert ok.status_code == 302
    shown = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert 'id="just-recorded"' in shown and "120" in shown


def test_referred_patient_is_led_from_his_consultation_to_a_booking(care):
    consultation_id = care.referred_consultation()
    client = care.client
    page_login(client, PATIENT)
    detail = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert f'href="/bookings/new?consultation={consultation_id}"' in detail
    listing = client.get("/bookings").get_data(as_text=True)
    assert f'id="book-referral-{consultation_id}"' in listing
    choose = client.get(f"/bookings/new?consultation={consultation_id}").get_data(as_text=True)
    slot_id = re.search(r'name="slot_id" value="(\d+)"', choose).group(1)
    none_chosen = _post(client, "/bookings/new", {"consultation": consultation_id}, "/bookings")
    assert none_chosen.status_code == 422
    booked = _post(client, "/bookings/new", {"consultation": consultation_id, "slot_id": slot_id}, "/bookings")
    assert booked.status_code == 302
    confirmation = client.get(booked.headers["Location"]).get_data(as_text=True)
    booking = db.session.execute(db.select(Booking).filter_by(consultation_id=consultation_id)).scalar_one()
    assert booking.code in confirmation and f"/bookings/{booking.id}/qr.svg" in confirmation
    assert client.get(f"/bookings/{booking.id}/qr.svg").mimetype == "image/svg+xml"
    cancelled = _post(client, f"/bookings/{booking.id}/cancel", {}, f"/bookings/{booking.id}")
    assert cancelled.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(booking), booking.id).status == "cancelled"
    page_login(client, OTHER_PATIENT)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.get(f"/bookings/new?consultation={consultation_id}").status_code == 404


def test_doctor_pages_and_panel_actions(care):
    me = user(PATIENT).id
    consultation_id = care.accepted_consultation()
    client = care.client
    page_login(client, CARDIOLOGIST)
    assert 'href="/chronic"' in client.get("/").get_data(as_text=True)
    assert client.get("/chronic").status_code == 200
    detail = client.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    panel_link = f"/chronic/patients/{me}?consultation={consultation_id}"
    assert panel_link in detail
    panel = client.get(panel_link)
    assert panel.status_code == 200 and 'id="order-tests"' in panel.get_data(as_text=True)
    bad = _post(client, f"/chronic/patients/{me}/targets", {"bp_systolic_urgent": "130"}, panel_link)
    assert bad.status_code == 422 and "⚠" in bad.get_data(as_text=True)
    added = _post(client, f"/chronic/patients/{me}/plan", {"kind": "glucose", "interval_days": "7"}, panel_link)
    assert added.status_code == 302
    ordered = _post(
        client, f"/chronic/patients/{me}/order", {"consultation": consultation_id, "tests": ["HBA1C"]}, panel_link
    )
    assert ordered.status_code == 302
    page_login(client, OTHER_DOCTOR)
    assert client.get(f"/chronic/patients/{me}").status_code == 404
    page_login(client, OTHER_PATIENT)
    assert client.get(f"/chronic/patients/{me}").status_code == 403


def test_trend_flag_shows_beside_the_patient_in_the_doctors_queue(care):
    now = clock.now()
    for hours in (30, 20, 2):
        when = (now - timedelta(hours=hours)).isoformat()
        care.post(
            "/api/chronic/readings",
            PATIENT,
            json={"kind": "blood_pressure", "systolic": 158, "diastolic": 96, "measured_at": when},
        )
    patient = user(PATIENT)
    consultations.start_consultation(
        patient.id, care.department("CARD").id, care.hypertension(patient.id), "text", "续方"
    )
    client = care.client
    page_login(client, CARDIOLOGIST)
    queue = client.get("/doctor").get_data(as_text=True)
    assert "queue-flag" in queue and "📈" in queue


def test_lab_tests_ordered_online_booked_and_returned_through_the_pages(care):
    me = user(PATIENT).id
    consultation_id = care.accepted_consultation()
    client = care.client
    page_login(client, CARDIOLOGIST)
    panel = f"/chronic/patients/{me}?consultation={consultation_id}"
    ordered = _post(
        client, f"/chronic/patients/{me}/order", {"consultation": consultation_id, "tests": ["HBA1C", "K"]}, panel
    )
    assert ordered.status_code == 302
    page_login(client, PATIENT)
    labs_page = client.get("/health/labs").get_data(as_text=True)
    order_id = int(re.search(r'id="book-lab-(\d+)"', labs_page).group(1))
    choose = client.get(f"/bookings/new?lab_order={order_id}").get_data(as_text=True)
    slot_id = re.search(r'name="slot_id" value="(\d+)"', choose).group(1)
    booked = _post(client, "/bookings/new", {"lab_order": order_id, "slot_id": slot_id}, "/health/labs")
    assert booked.status_code == 302
    page_login(client, "admin")
    worklist = client.get("/admin/lab").get_data(as_text=True)
    assert f'id="send-results-{order_id}"' in worklist
    missing = _post(
        client, f"/admin/lab/{order_id}", {"value_HBA1C": "6.4", "hospital_name": "福州市第一医院"}, "/admin/lab"
    )
    assert missing.status_code == 422
    sent = _post(
        client,
        f"/admin/lab/{order_id}",
        {"value_HBA1C": "6.4", "value_K": "4.1", "hospital_name": "福州市第一医院"},
        "/admin/lab",
    )
    assert sent.status_code == 302
    page_login(client, CARDIOLOGIST)
    assert "6.4" in client.get(f"/chronic/patients/{me}").get_data(as_text=True)
