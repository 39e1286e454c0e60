"""In Debian's Chromium, the journey of clinical trust: a patient photographs her in-person record
and claims a diagnosis on her phone; the on-call doctor opens the record, confirms the diagnosis,
records an allergy and sees the warning on the next prescription, which he signs with a coded
reason; the pharmacist sees the allergy and the override reason on the review page."""

from __future__ import annotations

import pytest
import requests

from tests.browser_helpers import Taps, open_as
from tests.clinical.conftest import PNG
from tests.conftest import DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]

PATIENT, DOCTOR, PHARMACIST = "13800000002", "doc28", "pharm01"  # doc28: cardiology, on call around the clock


def consultation_on(server, diagnosis_id: int) -> int:
    """The follow-up on the claimed diagnosis, asked and accepted through the consultation API (that
    journey is the consultation area's own browser test)."""
    patient = {"Authorization": f"Bearer {server.login(PATIENT)}"}
    doctor = {"Authorization": f"Bearer {server.login(DOCTOR)}"}
    departments = requests.get(server.url + "/api/departments", timeout=10).json()
    cardiology = next(d["id"] for d in departments if d["code"] == "CARD")
    body = {
        "department_id": cardiology,
        "diagnosis_id": diagnosis_id,
        "mode": "text",
        "complaint": "血压高，想复诊开药",
    }
    created = requests.post(server.url + "/api/consultations", headers=patient, json=body, timeout=10)
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    accepted = requests.post(f"{server.url}/api/consultations/{consultation_id}/accept", headers=doctor, timeout=10)
    assert accepted.status_code == 200, accepted.text
    return consultation_id


def patient_claims(browser, server, tmp_path) -> int:
    record = tmp_path / "门诊病历.png"
    record.write_bytes(PNG)
    page = open_as(browser, server, PATIENT, PHONE)
    taps = Taps(page)
    taps.tap("nav a[href='/my/health']")
    page.wait_for_selector("#claim-form")
    taps.type("#f-hospital_name", "福州市第一医院")
    taps.type("#f-diagnosis", "原发性高血压")
    taps.type("#f-icd10", "I10")
    taps.type("#f-diagnosed_on", "2023-05-10")
    taps.clicks += 1  # choosing the photo
    page.set_input_files("#f-record", str(record))
    taps.tap("#claim-submit")
    claimed = page.wait_for_selector("#my-diagnoses li[data-status='claimed']")
    assert "等待医生确认" in claimed.inner_text() and "病历已上传" in claimed.inner_text()
    check_accessibility(page, "clinical-patient-claimed")
    assert taps.count <= 7
    return int(claimed.get_attribute("id").removeprefix("diagnosis-"))


def doctor_confirms_and_prescribes(browser, server, consultation_id: int, diagnosis_id: int) -> None:
    page = open_as(browser, server, DOCTOR, DESKTOP)
    taps = Taps(page)
    page.goto(f"{server.url}/consultations/{consultation_id}")  # from his workbench
    taps.tap("#clinical-record")
    page.wait_for_selector(f"#confirm-{diagnosis_id}")
    check_accessibility(page, "clinical-doctor-record")
    with page.expect_popup() as popup:
        taps.tap(f"#open-record-{diagnosis_id}")
    popup.value.close()
    taps.tap(f"#confirm-{diagnosis_id}")
    page.wait_for_selector(f"#diagnosis-{diagnosis_id}[data-status='confirmed']")
    taps.tap("#allergy-add summary")
    taps.select("#doc-allergy-allergen", "penicillin")
    taps.type("#doc-allergy-reaction", "全身皮疹、喉头发紧")
    taps.select("#doc-allergy-severity", "severe")
    taps.tap("#doc-allergy-save")
    page.wait_for_selector("#allergy-banner li[data-allergen='penicillin']")
    taps.tap("#to-prescription")
    page.wait_for_selector("#editor-clinical #allergy-banner li[data-allergen='penicillin']")
    taps.type("#drug-q", "amxl")
    taps.tap("#drug-results button[data-code='AMX250']")
    page.wait_for_selector("#rx-items tr[data-code='AMX250']")
    assert page.input_value("#rx-items select") == "tid"  # the catalogue's own frequency, not the list's first
    warning = page.wait_for_selector("#rx-findings [data-code='allergy']")
    assert "penicillin" in warning.inner_text() or "青霉素" in warning.inner_text()
    check_accessibility(page, "clinical-editor-allergy-warning")
    taps.type("#rx-items input[id^='days-']", "3")
    taps.select("#rx-override-code", "benefit_outweighs_risk")
    taps.type("#rx-override", "皮试阴性，已告知患者风险")
    taps.tap("#rx-sign")
    page.wait_for_selector("#rx-open")
    assert taps.count <= 16


def pharmacist_sees_allergy_and_reason(browser, server) -> None:
    page = open_as(browser, server, PHARMACIST, DESKTOP)
    taps = Taps(page)
    page.goto(server.url + "/pharmacist/review")
    taps.tap("#review-queue li a")
    page.wait_for_selector("#rx-override")
    assert "青霉素类" in page.inner_text("#rx-allergies") and "全身皮疹" in page.inner_text("#rx-allergies")
    assert "获益大于风险" in page.inner_text("#rx-override") and "皮试阴性" in page.inner_text("#rx-override")
    assert "原发性高血压" in page.inner_text("#rx-diagnoses") and "女" in page.inner_text("#rx-patient")
    check_accessibility(page, "clinical-pharmacist-review")
    assert taps.count <= 1


def test_claim_confirm_allergy_warning_override_review(browser, live_server, tmp_path):
    diagnosis_id = patient_claims(browser, live_server, tmp_path)
    consultation_id = consultation_on(live_server, diagnosis_id)
    doctor_confirms_and_prescribes(browser, live_server, consultation_id, diagnosis_id)
    pharmacist_sees_allergy_and_reason(browser, live_server)
