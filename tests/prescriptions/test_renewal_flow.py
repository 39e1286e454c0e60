"""Renewal end to end on the demo data: an approved prescription is renewed in one action, the
doctor on shift accepts, starts from the proposed copy, and signs it with every rule checked anew."""

from core import accounts
from hospital.services import renewal
from tests.conftest import page_login

PASSWORD = "Demo@2026"


def _call(client, who, method, path, expect=200, **kwargs):
    response = getattr(client, method)(path, headers=who["headers"], **kwargs)
    assert response.status_code == expect, (path, response.get_json())
    return response.get_json()


def test_renewal_opens_a_consultation_and_the_doctor_signs_the_copy(demo_client, demo_users):
    patient = demo_users.login("13800000001", PASSWORD)
    doctor = demo_users.login("doc28", PASSWORD)  # cardiology, on call around the clock in the demo
    pharmacist = demo_users.login("pharm01", PASSWORD)
    hypertension = next(d for d in _call(demo_client, patient, "get", "/api/diagnoses") if d["icd10"] == "I10")
    cardiology = next(d for d in _call(demo_client, patient, "get", "/api/departments") if d["code"] == "CARD")
    body = {"department_id": cardiology["id"], "diagnosis_id": hypertension["id"], "complaint": "血压平稳"}
    first = _call(demo_client, patient, "post", "/api/consultations", 201, json=body)
    _call(demo_client, doctor, "post", f"/api/consultations/{first['id']}/accept", json={})
    items = [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}]
    rx = _call(
        demo_client, doctor, "post", "/api/prescriptions", 201, json={"consultation_id": first["id"], "items": items}
    )
    _call(demo_client, doctor, "post", f"/api/prescriptions/{rx['id']}/sign", json={})
    _call(demo_client, pharmacist, "post", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"})

    renewed = _call(demo_client, patient, "post", f"/api/prescriptions/{rx['id']}/renew", 201, json={})
    assert renewed["status"] == "waiting" and renewed["renewal_of_prescription_id"] == rx["id"]
    # Nothing is re-issued without the doctor: no new prescription exists until he acts.
    assert [p["id"] for p in _call(demo_client, patient, "get", "/api/prescriptions")] == [rx["id"]]

    _call(demo_client, doctor, "post", f"/api/consultations/{renewed['id']}/accept", json={})
    # The doctor's page shows the patient's history: the earlier prescription and his allergy, in words.
    page_login(demo_client, "doc28")
    history = demo_client.get(f"/consultations/{renewed['id']}").get_data(as_text=True).split('id="history"')[1]
    assert "氨氯地平" in history and "青霉素类" in history
    copy = renewal.draft_from_renewal(accounts.get_by_username("doc28"), renewed["id"])
    assert [(i.drug_code, i.days) for i in copy.items] == [("AML5", 7)] and copy.status == "draft"
    signed = _call(demo_client, doctor, "post", f"/api/prescriptions/{copy.id}/sign", json={})
    assert signed["status"] == "signed" and signed["consultation_id"] == renewed["id"]
