"""In Debian's Chromium: the doctor writes and signs (pinyin search), the pharmacist's queue shows
it live and he approves, and the patient downloads the PDF on a phone-sized page."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser_helpers import log_in
from tests.conftest import DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _accepted_consultation(db_path) -> int:
    """An accepted consultation of doc01 with patient 13800000001 (hypertension), written to the live database."""
    con = sqlite3.connect(db_path)
    try:
        one = lambda sql, *args: con.execute(sql, args).fetchone()[0]  # noqa: E731
        patient = one("SELECT id FROM users WHERE username = '13800000001'")
        doctor_user = one("SELECT id FROM users WHERE username = 'doc01'")
        doctor, department = con.execute(
            "SELECT id, department_id FROM doctors WHERE user_id = ?", (doctor_user,)
        ).fetchone()
        diagnosis = one("SELECT id FROM confirmed_diagnoses WHERE patient_id = ? AND icd10 = 'I10'", patient)
        values = {
            "patient_id": patient,
            "department_id": department,
            "doctor_id": doctor,
            "diagnosis_id": diagnosis,
            "mode": "text",
            "status": "accepted",
            "complaint": "复诊开药",
            "created_at": "2026-01-01 00:00:00",
            "accepted_at": "2026-01-01 00:00:00",
        }
        for _cid, name, _type, notnull, default, pk in con.execute("PRAGMA table_info(consultations)"):
            if notnull and not pk and default is None and name not in values:
                values[name] = 0
        cursor = con.execute(
            f"INSERT INTO consultations ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        con.commit()
        return cursor.lastrowid
    finally:
        con.close()


def test_doctor_signs_pharmacist_approves_patient_downloads(browser, live_server):
    consultation_id = _accepted_consultation(live_server.db_path)
    pharmacist = browser.new_context(**DESKTOP).new_page()
    log_in(pharmacist, live_server.url, "pharm01")
    pharmacist.goto(live_server.url + "/pharmacist/review")
    pharmacist.wait_for_selector("#queue-empty")
    check_accessibility(pharmacist, "rx-review-queue-empty")

    doctor = browser.new_context(**DESKTOP).new_page()
    log_in(doctor, live_server.url, "doc01")
    doctor.goto(f"{live_server.url}/prescriptions/new?consultation={consultation_id}")
    doctor.fill("#drug-q", "aldp")
    doctor.click("#drug-results button[data-code='AML5']")
    doctor.wait_for_selector("#rx-items tr[data-code='AML5']")
    doctor.wait_for_selector("#rx-findings .alert.ok")
    assert doctor.inner_text("#rx-items td.qty") == "1"
    doctor.fill("#drug-q", "ato")
    doctor.click("#drug-results button[data-code='ATO20']")
    doctor.wait_for_selector("#rx-items tr[data-code='ATO20']")
    check_accessibility(doctor, "rx-editor")
    doctor.click("#rx-sign")
    doctor.wait_for_selector("#rx-open")

    row = pharmacist.wait_for_selector("#review-queue li a", timeout=10000)  # live, no reload
    check_accessibility(pharmacist, "rx-review-queue")
    row.click()
    pharmacist.wait_for_selector("#rx-approve")
    assert "青霉素类" in pharmacist.inner_text("#rx-allergies")  # the allergen group, in words
    check_accessibility(pharmacist, "rx-review-detail")
    pharmacist.click("#rx-approve")
    pharmacist.wait_for_selector("#queue-empty:not([hidden])")

    patient_context = browser.new_context(**PHONE, accept_downloads=True)
    patient = patient_context.new_page()
    log_in(patient, live_server.url, "13800000001")
    check_accessibility(patient, "rx-patient-home")
    assert "氨氯地平" in patient.inner_text("#my-medicines")
    patient.goto(live_server.url + "/prescriptions")
    patient.click("#rx-list a")
    patient.wait_for_selector("#rx-pdf")
    assert "已审核通过" in patient.inner_text("#rx-detail")
    check_accessibility(patient, "rx-patient-detail")
    with patient.expect_download() as download_info:
        patient.click("#rx-pdf")
    path = download_info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
