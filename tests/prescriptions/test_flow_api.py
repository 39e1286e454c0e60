"""The whole flow through the API, and who may do what."""

from __future__ import annotations

from core.extensions import db
from core.models import Notification
from tests.prescriptions.conftest import item


def write(client, headers, consultation_id, *items_, **extra):
    body = {"consultation_id": consultation_id, "items": list(items_) or [item()], **extra}
    return client.post("/api/prescriptions", json=body, headers=headers)


def signed(world, client, rx_api, *items_, **extra):
    consultation = world.consultation()
    created = write(client, rx_api.doctor, consultation.id, *items_, **extra)
    assert created.status_code == 201, created.get_json()
    rx_id = created.get_json()["id"]
    response = client.post(f"/api/prescriptions/{rx_id}/sign", json={}, headers=rx_api.doctor)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_write_sign_approve_and_notify(world, client, rx_api):
    rx = signed(world, client, rx_api, item("AML5", 5, "qd", 7), item("ATO20", 20, "qn", 7))
    assert rx["status"] == "signed" and rx["items"][0]["quantity"] == 1 and rx["total_fen"] > 0
    events = {n.event for n in db.session.execute(db.select(Notification)).scalars()}
    assert "prescription.signed" in events
    queue = client.get("/api/prescriptions?status=signed", headers=rx_api.pharmacist).get_json()
    assert [r["id"] for r in queue] == [rx["id"]]
    approved = client.post(
        f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"}, headers=rx_api.pharmacist
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    body = client.get(f"/api/prescriptions/{rx['id']}", headers=rx_api.patient).get_json()
    assert body["integrity"] == {"doctor_signature": True, "review_signature": True, "genuine": True}
    assert body["pharmacist"]["name"] == "郭药师"
    patient_events = [
        n.event for n in db.session.execute(db.select(Notification).filter_by(user_id=world.patient.id)).scalars()
    ]
    assert "prescription.approved" in patient_events


def test_special_control_drug_is_refused_with_its_reason(world, client, rx_api):
    consultation = world.consultation()
    response = write(client, rx_api.doctor, consultation.id, item("MOR30SR", 30, "bid", 3))
    assert response.status_code == 422 and response.get_json()["reason"] == "special_control_drug"


def test_warnings_need_an_override_reason(world, client, rx_api):
    world.allergy("penicillin")
    consultation = world.consultation()
    created = write(client, rx_api.doctor, consultation.id, item("AMX250", 500, "tid", 5))
    assert created.status_code == 201
    rx_id = created.get_json()["id"]
    assert created.get_json()["findings"][0]["code"] == "allergy"
    refused = client.post(f"/api/prescriptions/{rx_id}/sign", json={}, headers=rx_api.doctor)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "override_required"
    assert "allergy" in [f["code"] for f in refused.get_json()["findings"]]  # it names what needs the reason
    bare = {"override_code": "benefit_outweighs_risk", "override_reason": "ok"}
    refused = client.post(f"/api/prescriptions/{rx_id}/sign", json=bare, headers=rx_api.doctor)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "override_reason_required"
    reason = {"override_code": "benefit_outweighs_risk", "override_reason": "皮试阴性，已告知"}
    ok = client.post(f"/api/prescriptions/{rx_id}/sign", json=reason, headers=rx_api.doctor)
    assert ok.status_code == 200 and ok.get_json()["override_reason"] == "皮试阴性，已告知"
    assert ok.get_json()["override_code"] == "benefit_outweighs_risk"


def test_check_endpoint_shows_findings_as_he_types(world, client, rx_api):
    world.diagnosis(icd10="K21.9", name="胃食管反流病")
    consultation = world.consultation(icd10="I25.1", name="冠心病")
    body = {"consultation_id": consultation.id, "items": [item("CLO75", 75), item("OME20", 20)]}
    result = client.post("/api/prescriptions/check", json=body, headers=rx_api.doctor).get_json()
    assert result["warnings"] == 1 and result["findings"][0]["code"] == "interaction"
    assert result["quantities"] == [1, 1]


def test_diagnosis_must_match_the_consultation(world, client, rx_api):
    consultation = world.consultation()
    response = write(client, rx_api.doctor, consultation.id, item(), icd10="E11.9")
    assert response.status_code == 422 and response.get_json()["reason"] == "diagnosis_mismatch"


def test_only_the_consulting_doctor_writes_in_an_accepted_consultation(world, client, rx_api):
    consultation = world.consultation()
    assert write(client, rx_api.other_doctor, consultation.id).status_code in (403, 404)
    assert write(client, rx_api.patient, consultation.id).status_code == 403
    assert write(client, rx_api.pharmacist, consultation.id).status_code == 403
    finished = world.consultation(status="completed")
    response = write(client, rx_api.doctor, finished.id)
    assert response.status_code == 409 and response.get_json()["reason"] == "not_accepted"


def test_only_pharmacists_review(world, client, rx_api):
    rx = signed(world, client, rx_api)
    for headers in (rx_api.doctor, rx_api.patient):
        response = client.post(f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"}, headers=headers)
        assert response.status_code == 403


def test_a_patient_sees_only_his_own(world, client, rx_api):
    rx = signed(world, client, rx_api)
    assert client.get(f"/api/prescriptions/{rx['id']}", headers=rx_api.patient).status_code == 200
    assert client.get(f"/api/prescriptions/{rx['id']}", headers=rx_api.other_patient).status_code == 404
    assert client.get(f"/api/prescriptions/{rx['id']}.pdf", headers=rx_api.other_patient).status_code == 404
    assert client.get(f"/api/prescriptions/{rx['id']}", headers=rx_api.other_doctor).status_code == 404
    assert client.get("/api/prescriptions", headers=rx_api.other_patient).get_json() == []
    renew = client.post(f"/api/prescriptions/{rx['id']}/renew", json={}, headers=rx_api.other_patient)
    assert renew.status_code == 404


def test_signed_content_cannot_change(world, client, rx_api):
    rx = signed(world, client, rx_api)
    body = {"items": [item("AML5", 10, "qd", 7)]}
    response = client.put(f"/api/prescriptions/{rx['id']}", json=body, headers=rx_api.doctor)
    assert response.status_code == 409 and response.get_json()["reason"] == "not_draft"


def test_reject_revise_and_supersede(world, client, rx_api):
    rx = signed(world, client, rx_api, item("AML5", 5, "qd", 7))
    rejected = client.post(
        f"/api/prescriptions/{rx['id']}/review", json={"decision": "reject"}, headers=rx_api.pharmacist
    )
    assert rejected.status_code == 422 and rejected.get_json()["reason"] == "reason_required"
    client.post(
        f"/api/prescriptions/{rx['id']}/review",
        json={"decision": "reject", "reason": "剂量请核对"},
        headers=rx_api.pharmacist,
    )
    doctor_events = [
        n.event for n in db.session.execute(db.select(Notification).filter_by(user_id=world.doctor.user_id)).scalars()
    ]
    assert "prescription.rejected" in doctor_events
    revised = client.post(f"/api/prescriptions/{rx['id']}/revise", headers=rx_api.doctor)
    assert revised.status_code == 201
    new = revised.get_json()
    assert new["version"] == 2 and new["revision_of_id"] == rx["id"] and new["status"] == "draft"
    client.put(f"/api/prescriptions/{new['id']}", json={"items": [item("AML5", 2.5, "qd", 7)]}, headers=rx_api.doctor)
    client.post(f"/api/prescriptions/{new['id']}/sign", json={}, headers=rx_api.doctor)
    old = client.get(f"/api/prescriptions/{rx['id']}", headers=rx_api.doctor).get_json()
    assert old["status"] == "superseded" and old["reject_reason"] == "剂量请核对"
    assert old["integrity"]["genuine"] is True


def test_verify_shows_only_the_papers_fields(world, client, rx_api):
    rx = signed(world, client, rx_api)
    client.post(f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"}, headers=rx_api.pharmacist)
    response = client.get(f"/api/prescriptions/verify/{rx['code']}")  # anonymous
    assert response.status_code == 200
    body = response.get_json()
    assert body["genuine"] and body["approved"] and body["valid"] and not body["dispensed"]
    assert set(body) == {
        "code",
        "genuine",
        "status",
        "approved",
        "valid",
        "dispensed",
        "dispensed_at",
        "hospital",
        "patient_name",
        "patient_id_number",
        "diagnosis",
        "icd10",
        "doctor_name",
        "pharmacist_name",
        "signed_at",
        "valid_until",
        "items",
    }
    text = response.get_data(as_text=True)
    assert "*" in body["patient_id_number"] and "13900000001" not in text and "王建国" not in text
    assert client.get("/api/prescriptions/verify/RXNOTREAL").status_code == 404


def test_drug_search_by_pinyin_initials_chinese_and_generic(world, client, rx_api):
    def search(q):
        return [d["code"] for d in client.get(f"/api/drugs?q={q}", headers=rx_api.doctor).get_json()]

    assert search("aldp")[0] == "AML5"
    assert "AML5" in search("氨氯地平") and "AML5" in search("amlodipine")
    assert "MF500" in search("eigs") or "MF500" in search("ejsg")
    assert client.get("/api/drugs?q=aldp").status_code == 401
    assert client.get("/api/drugs?q=aldp", headers=rx_api.patient).status_code == 403


def test_openapi_documents_the_prescription_paths(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/prescriptions",
        "/api/prescriptions/{prescription_id}/sign",
        "/api/prescriptions/{prescription_id}/review",
        "/api/prescriptions/verify/{code}",
        "/api/drugs",
    ):
        assert path in paths
