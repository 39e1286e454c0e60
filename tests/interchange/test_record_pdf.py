"""The patient's readable record (PDF): his own only (anyone else a 404, audited), every section in
large type, Chinese by default and English from an English page, the text as a PDF reader sees it."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from core.extensions import db
from core.models import AuditEntry
from hospital.services.prescription_safety import ItemInput
from interchange import patient_record, record_pdf
from tests.chronic.conftest import CARDIOLOGIST, OTHER_PATIENT, PATIENT, Care, user
from tests.conftest import ARTIFACTS


@pytest.fixture
def care(demo_app):
    return Care(demo_app)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _download(care, username: str, patient_id: int):
    return care.get(f"/api/records/patients/{patient_id}/record.pdf", username)


def _book_visit(care) -> None:
    consultation_id = care.referred_consultation()
    slots = care.get(f"/api/chronic/slots?department_id={care.department('CARD').id}", PATIENT).get_json()
    body = {"consultation_id": consultation_id, "slot_id": slots[0]["id"]}
    assert care.post("/api/chronic/bookings", PATIENT, json=body).status_code == 201


def test_patient_downloads_his_record_in_chinese(care):
    patient = user(PATIENT)
    care.prescription(PATIENT, [ItemInput("AML5", 5, "qd", 7)])
    _book_visit(care)
    response = _download(care, PATIENT, patient.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _flat(_text(response.data))
    page = pdfium.PdfDocument(response.data)[0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.render(scale=1.5).to_pil().save(ARTIFACTS / "record-pdf-with-medicines.png")
    for heading in (
        "我的健康档案",
        "个人信息",
        "确诊诊断",
        "过敏",
        "正在服用的药品及用法",
        "近期处方",
        "问诊记录",
        "近期测量",
        "即将到来的就诊",
    ):
        assert heading in text, heading
    assert patient.name in text and patient.id_number_masked in text
    assert patient.id_number_masked.count("*") >= 8  # never the full resident ID
    assert "目标<140/90mmHg" in text  # readings with his target band
    assert "每次5mg，每日1次，口服" in text  # how to take his medicine
    assert "心血管内科" in text and "预约码" in text  # his booked visit
    record = patient_record.gather(patient)
    for line in record_pdf.lines_of(record)[2:]:
        assert _flat(line) in text, line
    entries = db.session.execute(
        db.select(AuditEntry).filter_by(actor_id=patient.id, object_type="record_pdf")
    ).scalars()
    assert [e.action for e in entries] == ["read"]


def test_english_page_gets_an_english_record(care):
    patient = user(PATIENT)
    patient.locale = "en"
    db.session.commit()
    care.prescription(PATIENT, [ItemInput("AML5", 5, "qd", 7)])
    pdf = _download(care, PATIENT, patient.id).data
    ARTIFACTS.mkdir(exist_ok=True)
    pdfium.PdfDocument(pdf)[0].render(scale=1.5).to_pil().save(ARTIFACTS / "record-pdf-english.png")
    text = _flat(_text(pdf))
    assert "take5mgeachtime,onceaday,bymouth" in text
    assert "Myhealthrecord" in text and "Personaldetails" in text and "Currentmedicinesandhowtotakethem" in text
    assert "个人信息" not in text


def test_large_type(care):
    pdf = _download(care, PATIENT, user(PATIENT).id).data
    sizes = set()

    def visitor(text, cm, tm, font_dict, font_size):
        if text.strip():
            sizes.add(round(font_size * tm[0]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visitor)
    body = [s for s in sizes if s != 12]  # the page number at the foot
    assert min(body) >= 15 and max(body) >= 28, sizes


def test_others_are_refused_with_404_and_audited(care):
    patient_id = user(PATIENT).id
    for username in (OTHER_PATIENT, CARDIOLOGIST, "admin"):
        assert _download(care, username, patient_id).status_code == 404, username
        refused = db.session.execute(
            db.select(AuditEntry).filter_by(actor_id=user(username).id, action="refused", object_type="record_pdf")
        ).scalars()
        assert [e.patient_id for e in refused] == [patient_id]
    anonymous = care.client.get(f"/api/records/patients/{patient_id}/record.pdf")
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == 401


def test_documented_in_the_openapi(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    answer = paths["/api/records/patients/{patient_id}/record.pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in answer["content"]
