"""In Debian's Chromium, on her phone: a patient takes her whole record with her, from her health
page, as a FHIR JSON file another hospital or app can read."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from hospital.seed_clinical import PATIENT
from tests.clinical.test_browser import Taps, log_in
from tests.conftest import PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_patient_downloads_her_record_as_fhir(browser, live_server, tmp_path):
    page = log_in(browser, live_server, PATIENT, PHONE)
    taps = Taps(page)
    taps.click("nav a[href='/my/health']")
    page.wait_for_selector("#fhir-download")
    check_accessibility(page, "fhir-download-health-page")
    with page.expect_download() as download:
        taps.click("#fhir-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    bundle = Bundle.model_validate_json(saved.read_text(encoding="utf-8"))
    kinds = {e.resource.get_resource_type() for e in bundle.entry}
    assert {"Patient", "Condition", "MedicationRequest", "Encounter"} <= kinds
    assert bundle.entry[0].resource.name[0].text == "赵桂芳"
    assert saved.name.endswith(".fhir.json") and json.loads(saved.read_text())["type"] == "searchset"
    assert taps.count <= 2, f"{taps.count} taps from the home page to the file"
    page.context.close()
