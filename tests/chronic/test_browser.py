"""The journey of the issue: an elderly patient (elder mode, phone) records three blood-pressure
readings on the big number pad, one of them urgent; the cardiologist on duty sees the alert arrive
live on his follow-up list and opens the patient's panel with the chart (screenshots saved)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.browser_helpers import Taps, log_in
from tests.conftest import DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(240)]
PATIENT, DOCTOR = "13800000001", "doc28"


class ElderTaps(Taps):
    """The patient's taps, plus a number typed on the page's own number pad (a tap per key)."""

    def number(self, digits: str) -> None:
        for key in digits:
            self.tap(f"#numpad .numkey[data-key='{key}']")
        self.tap("#numpad .numkey[data-key='next']")


def _record(taps: ElderTaps, systolic: str, diastolic: str, pulse: str) -> None:
    page = taps.page
    page.wait_for_selector("#numpad:not([hidden])")
    taps.number(systolic)
    taps.number(diastolic)
    taps.number(pulse)  # "next" on the last field saves
    page.wait_for_selector("#just-recorded")


def test_elder_patient_records_blood_pressure_and_the_doctor_on_duty_sees_the_alert_live(browser, live_server):
    doctor_context = browser.new_context(**DESKTOP)
    doctor = doctor_context.new_page()
    log_in(doctor, live_server, DOCTOR)
    doctor.click("nav.mainnav a[href='/chronic']")
    doctor.wait_for_selector("#alert-list", state="attached")
    doctor.wait_for_function("() => window.io && document.body.dataset.userId")
    doctor.wait_for_timeout(500)  # the socket joins his personal room

    patient_context = browser.new_context(**PHONE)
    page = patient_context.new_page()
    log_in(page, live_server, PATIENT)
    taps = ElderTaps(page)
    taps.tap("#elder-offer-yes")
    page.wait_for_selector("html.elder")
    check_accessibility(page, "chronic-elder-home-phone")
    taps.tap("#home-record-reading")
    page.wait_for_url(re.compile(r".*/health$"))
    check_accessibility(page, "chronic-elder-numpad-phone")

    _record(taps, "132", "82", "72")
    assert "132/82" in page.inner_text("#just-recorded")
    _record(taps, "148", "92", "76")
    assert page.is_visible("#just-recorded.warn")
    _record(taps, "186", "112", "90")
    result = page.inner_text("#just-recorded")
    assert "186/112" in result and "120" in result  # the urgent one says what to do, in words
    assert page.is_visible("#just-recorded.error")
    page.wait_for_selector("#chart svg")
    check_accessibility(page, "chronic-elder-urgent-advice-phone")
    assert taps.count <= 1 + 1 + 3 * 12, taps.count  # offer, tile, and three readings of 3 fields

    # The doctor's list grows by itself; he opens the panel and sees the chart.
    live_row = doctor.wait_for_selector("#alert-list li.live:has-text('186/112')", timeout=15000)
    assert "王建国" in live_row.inner_text()
    check_accessibility(doctor, "chronic-doctor-alert-live")
    doctor.click("#alert-list li.live a")
    doctor.wait_for_url(re.compile(r".*/chronic/patients/\d+$"))
    doctor.wait_for_selector("#chart svg .pt.level-urgent")
    assert doctor.locator("#chart svg .pt.sys").count() >= 3
    assert "186/112" in doctor.inner_text("#panel-alerts-section")
    check_accessibility(doctor, "chronic-doctor-panel-chart")
    doctor.click("#days-7")
    doctor.wait_for_selector("#chart svg")
    patient_context.close()
    doctor_context.close()


def _referred(server) -> int:
    def api(username):
        headers = {"Authorization": f"Bearer {server.login(username)}"}

        def call(method, path, **kwargs):
            response = requests.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
            assert response.status_code < 300, (path, response.text[:300])
            return response.json()

        return call

    patient, doctor = api(PATIENT), api(DOCTOR)
    diagnosis = next(d for d in patient("GET", "/api/diagnoses") if d["icd10"] == "I10")
    card = next(d for d in patient("GET", "/api/departments") if d["code"] == "CARD")
    body = {"department_id": card["id"], "diagnosis_id": diagnosis["id"], "complaint": "头晕，血压波动"}
    consultation = patient("POST", "/api/consultations", json=body)
    doctor("POST", f"/api/consultations/{consultation['id']}/accept", json={})
    doctor(
        "POST",
        f"/api/consultations/{consultation['id']}/refer-offline",
        json={"reason": "血压控制不佳，需门诊调整用药"},
    )
    return consultation["id"]


def test_referred_patient_books_a_timed_visit_on_a_phone_and_cancels(browser, live_server):
    consultation_id = _referred(live_server)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, PATIENT)
    taps = ElderTaps(page)
    taps.tap("nav.mainnav a[href='/health']")
    taps.tap("#link-bookings")
    taps.tap(f"#book-referral-{consultation_id}")
    page.wait_for_selector("input[name='slot_id']")
    check_accessibility(page, "chronic-booking-slots-phone")
    taps.tap("label.slot:not(.full) >> nth=0")
    taps.tap("#confirm-booking")
    page.wait_for_url(re.compile(r".*/bookings/\d+$"))
    page.wait_for_selector("img.qr")
    assert page.evaluate("() => document.querySelector('img.qr').naturalWidth") > 0  # the QR code loaded
    check_accessibility(page, "chronic-booking-confirmation-qr-phone")
    assert taps.count == 5, taps.count
    taps.tap("#cancel-booking")
    page.wait_for_selector("#booking-status")
    assert page.locator("img.qr").count() == 0
    check_accessibility(page, "chronic-booking-cancelled-phone")
    context.close()
