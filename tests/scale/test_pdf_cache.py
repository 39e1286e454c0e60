"""A signed prescription's PDF is rendered once and served from storage afterwards: the second
download sends the same bytes (QR included) without drawing the paper again; a change to what is
printed (the pharmacist's review) gives a new paper. The same for the expert report once the
leader has signed the conclusion."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from hospital.services import expert_report, prescription_pdf
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput
from tests.expert.test_cases_api import login, make_case  # noqa: F401  (fixture and helper)
from tests.prescriptions.conftest import rx_api, world  # noqa: F401  (fixtures)


@pytest.fixture
def renders(monkeypatch):
    """Count the times the paper is drawn."""
    calls = []
    draw = prescription_pdf.render

    def counting(*args, **kwargs):
        calls.append(args[0].id)
        return draw(*args, **kwargs)

    monkeypatch.setattr(prescription_pdf, "render", counting)
    return calls


def _signed(world):  # noqa: F811
    consultation = world.consultation()
    data = rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)])
    return rxs.sign_prescription(world.doctor.user, rxs.create_draft(world.doctor.user, consultation.id, data).id)


def test_the_second_download_is_the_stored_paper(world, client, rx_api, renders):  # noqa: F811
    rx = rxs.review_prescription(world.pharmacist, _signed(world).id, "approve")
    first = client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.patient)
    second = client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.patient)
    assert first.status_code == second.status_code == 200 and second.mimetype == "application/pdf"
    assert second.data == first.data  # byte for byte, QR included
    assert renders == [rx.id]  # drawn once
    text = PdfReader(io.BytesIO(second.data)).pages[0].extract_text()
    assert "已审核签名（有效）" in text and rx.code in text
    # still only for those who may read it: another patient gets 404, not the stored file
    assert client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.other_patient).status_code == 404


def test_a_change_to_what_is_printed_renders_a_new_paper(world, client, rx_api, renders):  # noqa: F811
    rx = _signed(world)
    before_review = client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.patient).data
    rxs.review_prescription(world.pharmacist, rx.id, "approve")
    after_review = client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.patient).data
    assert after_review != before_review and renders == [rx.id, rx.id]
    assert "待审核" in PdfReader(io.BytesIO(before_review)).pages[0].extract_text()
    assert "已审核签名（有效）" in PdfReader(io.BytesIO(after_review)).pages[0].extract_text()
    again = client.get(f"/api/prescriptions/{rx.id}.pdf", headers=rx_api.patient).data
    assert again == after_review and renders == [rx.id, rx.id]


def test_the_signed_expert_report_is_rendered_once(demo_client, login, monkeypatch):  # noqa: F811
    drawn = []
    draw = expert_report.render_report
    monkeypatch.setattr(expert_report, "render_report", lambda *a, **k: drawn.append(1) or draw(*a, **k))
    doc01, leader, exp03 = login("doc01"), login("exp02"), login("exp03")
    case_id = make_case(demo_client, doc01).get_json()["id"]
    demo_client.post(f"/api/expert-cases/{case_id}/answer", json={"accept": True}, headers=exp03)
    demo_client.post(f"/api/expert-cases/{case_id}/start", headers=leader)
    demo_client.post(f"/api/expert-cases/{case_id}/opinions", json={"text": "建议ACEI减量。"}, headers=exp03)
    conclusion = {
        "diagnosis": "糖尿病肾病3期",
        "treatment_advice": "低蛋白饮食。",
        "answers": ["改用CCB。", "暂不透析。"],
    }
    assert (
        demo_client.post(f"/api/expert-cases/{case_id}/conclusion", json=conclusion, headers=leader).status_code == 201
    )
    patient = login("13800000001")
    first = demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=patient)
    second = demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=doc01)
    assert first.status_code == second.status_code == 200
    assert second.data == first.data and len(drawn) == 1
    assert "签名验证：有效" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(second.data)).pages)
    assert demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=login("13800000002")).status_code == 404
