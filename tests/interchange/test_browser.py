"""In Debian's Chromium, on a phone: a patient takes his whole record with him, from his health page,
as a FHIR JSON file another hospital or app can read, and as a PDF he can read and print."""

from __future__ import annotations

import json
import re

import pypdfium2 as pdfium
import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from hospital.seed_clinical import PATIENT
from tests.browser_helpers import Taps, open_as
from tests.conftest import ARTIFACTS, PHONE, check_accessibility

CHRONIC_PATIENT = "13800000001"  # 王建国: a month of home readings in the demo data

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_patient_downloads_her_record_as_fhir(browser, live_server, tmp_path):
    page = open_as(browser, live_server, PATIENT, PHONE)
    taps = Taps(page)
    taps.tap("nav a[href='/my/health']")
    page.wait_for_selector("#fhir-download")
    check_accessibility(page, "fhir-download-health-page")
    with page.expect_download() as download:
        taps.tap("#fhir-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    bundle = Bundle.model_validate_json(saved.read_text(encoding="utf-8"))
    kinds = {e.resource.get_resource_type() for e in bundle.entry}
    assert {"Patient", "Condition", "MedicationRequest", "Encounter"} <= kinds
    assert bundle.entry[0].resource.name[0].text == "赵桂芳"
    assert saved.name.endswith(".fhir.json") and json.loads(saved.read_text())["type"] == "searchset"
    assert taps.count <= 2, f"{taps.count} taps from the home page to the file"
    page.context.close()


def test_patient_downloads_his_readable_record_as_pdf(browser, live_server, tmp_path):
    """From his home page: his health record, then the PDF; large type, Chinese, his readings."""
    page = open_as(browser, live_server, CHRONIC_PATIENT, PHONE)
    taps = Taps(page)
    taps.tap("nav a[href='/my/health']")
    page.wait_for_selector("#record-pdf-download")
    check_accessibility(page, "record-pdf-health-page")
    with page.expect_download() as download:
        taps.tap("#record-pdf-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "my-health-record.pdf" and saved.read_bytes().startswith(b"%PDF")
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(saved).pages))
    for words in ("我的健康档案", "王建国", "正在服用的药品及用法", "近期测量", "目标<140/90mmHg"):
        assert words in text, words
    assert taps.count <= 2, f"{taps.count} taps from the home page to the file"
    document = pdfium.PdfDocument(str(saved))
    image = document[0].render(scale=1.5).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "record-pdf-page1.png")
    assert image.width > 800
    document.close()
    page.context.close()
