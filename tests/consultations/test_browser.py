"""Two browsers: the patient (phone) starts a consultation, the doctor (desktop) accepts it from
the live queue, they chat, the doctor completes it with a record and the patient sees it."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import log_in
from tests.conftest import DESKTOP, PHONE, check_accessibility

PATIENT, DOCTOR = "13800000001", "doc28"  # hypertension; doc28 is the cardiology doctor on call 24 h
TIMEOUT = 15000


@pytest.mark.browser
@pytest.mark.live
def test_patient_and_doctor_consult_by_chat(browser, live_server):
    url = live_server.url
    patient_ctx, doctor_ctx = browser.new_context(**PHONE), browser.new_context(**DESKTOP)
    patient, doctor = patient_ctx.new_page(), doctor_ctx.new_page()
    patient.set_default_timeout(TIMEOUT)
    doctor.set_default_timeout(TIMEOUT)
    try:
        log_in(doctor, url, DOCTOR)
        doctor.goto(url + "/doctor")
        doctor.wait_for_selector("#on-shift")
        check_accessibility(doctor, "consultations-workbench")

        log_in(patient, url, PATIENT)
        patient.goto(url + "/consultations/new")
        patient.select_option("#f-department_id", label="心血管内科")
        patient.wait_for_selector("#on-duty li:has-text('曾红')")
        check_accessibility(patient, "consultations-new")
        patient.get_by_label(re.compile("原发性高血压")).check()
        patient.fill("#f-complaint", "血压控制平稳，想续开降压药")
        patient.click("#start-consultation")
        patient.wait_for_url(re.compile(r".*/consultations/\d+$"))
        cid = patient.url.rsplit("/", 1)[1]
        check_accessibility(patient, "consultations-waiting")

        # The queue updates live: no reload on the doctor's side.
        item = doctor.locator(f'#queue li[data-id="{cid}"]')
        item.wait_for()
        item.get_by_role("button").click()
        doctor.wait_for_url(re.compile(rf".*/consultations/{cid}$"))
        doctor.wait_for_selector("#record-form")

        patient.wait_for_selector('#status-label [data-status="accepted"]')
        patient.fill("#chat-text", "医生您好，最近血压130/80左右")
        patient.click("#chat-send")
        doctor.wait_for_selector("#messages li:has-text('最近血压130/80左右')")
        doctor.fill("#chat-text", "好的，继续服用氨氯地平，每日监测血压")
        doctor.press("#chat-text", "Enter")
        patient.wait_for_selector("#messages li:has-text('继续服用氨氯地平')")
        check_accessibility(patient, "consultations-chat-patient")
        check_accessibility(doctor, "consultations-chat-doctor")

        doctor.fill("#r-history", "高血压6年，规律服药，血压控制可")
        doctor.fill("#r-advice", "低盐饮食，继续服药，每日监测血压，1个月后复诊")
        doctor.click("#complete")
        doctor.wait_for_selector('#status-label [data-status="completed"]')

        patient.wait_for_selector("#record:has-text('低盐饮食')")
        assert "原发性高血压" in patient.inner_text("#record")
        check_accessibility(patient, "consultations-record-patient")
    finally:
        patient_ctx.close()
        doctor_ctx.close()
