"""In Debian's Chromium: the patient sits on his consultation page (phone) while the doctor signs
through the API and the pharmacist approves; the panel shows the prescription, then the pay
button, without a reload."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import log_in
from tests.conftest import PHONE, check_accessibility
from tests.prescriptions.test_browser import _accepted_consultation
from tests.prescriptions.test_live_panel import PATIENT, review_through_api, sign_through_api

pytestmark = [pytest.mark.browser, pytest.mark.live]
TIMEOUT = 15000


def test_the_patients_panel_follows_signature_and_approval_live(browser, live_server):
    consultation_id = _accepted_consultation(live_server.db_path)
    context = browser.new_context(**PHONE)
    patient = context.new_page()
    patient.set_default_timeout(TIMEOUT)
    taps = 0
    try:
        log_in(patient, live_server, PATIENT)
        patient.locator("a[href='/consultations']").first.click()
        taps += 1
        with patient.expect_response(re.compile(r".*/prescription-panel$")):  # the socket joined the room
            patient.click(f"a[href='/consultations/{consultation_id}']")
            taps += 1
        assert "本次问诊尚无处方" in patient.inner_text("#rx-panel")
        patient.evaluate("window.__stayed = 'no reload'")

        rx_id = sign_through_api(live_server, consultation_id)
        patient.wait_for_selector("#rx-panel [data-status='signed']")
        panel = patient.inner_text("#rx-panel")
        assert "氨氯地平" in panel and "本次问诊尚无处方" not in panel
        assert patient.locator(f"#panel-pay-{rx_id}").count() == 0  # not before the pharmacist approves
        check_accessibility(patient, "rx-live-panel-signed")

        review_through_api(live_server, rx_id, "approve")
        pay = patient.wait_for_selector(f"#panel-pay-{rx_id}")
        assert pay.inner_text().strip() == "去支付"
        assert patient.locator("#rx-panel [data-status='approved']").count() == 1
        assert patient.evaluate("window.__stayed") == "no reload"
        check_accessibility(patient, "rx-live-panel-approved")
        assert taps == 2  # home → my consultations → this consultation; the rest came live
    finally:
        context.close()
