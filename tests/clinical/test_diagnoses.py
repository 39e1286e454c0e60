"""Diagnoses with a source: claimed by the patient, confirmed by a doctor who opened the in-person
record (or from a network hospital's visit record), rejected with a reason, marked stable."""

from __future__ import annotations

import io
from datetime import date

import pytest

from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import AuditEntry
from hospital.services import consultations, diagnoses, patients
from tests.clinical.conftest import PNG
from tests.prescriptions.conftest import item


def audit_actions(object_type: str, action: str) -> list[AuditEntry]:
    return list(db.session.execute(db.select(AuditEntry).filter_by(object_type=object_type, action=action)).scalars())


def claim(client, headers, **override):
    body = {"hospital_name": "市第一医院", "diagnosis": "原发性高血压", "icd10": "I10", "diagnosed_on": "2021-03-02"}
    return client.post("/api/diagnoses", json=body | override, headers=headers)


def test_what_the_patient_types_is_only_claimed(world, client, api):
    response = claim(client, api.patient)
    assert response.status_code == 201
    assert response.get_json()["status"] == "claimed" and response.get_json()["source"] == "patient_claim"


@pytest.mark.parametrize(
    ("diagnosed_on", "reason"),
    [("0001-01-01", "date_before_birth"), ("1950-01-01", "date_before_birth"), ("2999-01-01", "invalid_date")],
)
def test_dates_before_birth_or_in_the_future_are_refused(world, client, api, diagnosed_on, reason):
    response = claim(client, api.patient, diagnosed_on=diagnosed_on)  # the patient was born in 1952
    assert response.status_code == 422 and response.get_json()["reason"] == reason
    assert "diagnosed_on" in response.get_json()["errors"]["json"]


def test_bad_icd10_is_refused(world, client, api):
    response = claim(client, api.patient, icd10="hypertension")
    assert response.status_code == 422 and response.get_json()["errors"]["json"]["icd10"]


def test_a_claimed_diagnosis_opens_a_consultation_but_no_prescription(world, client, api):
    consultation = world.consultation_for(world.claimed())
    response = client.post(
        "/api/prescriptions", json={"consultation_id": consultation.id, "items": [item()]}, headers=api.doctor
    )
    assert response.status_code == 409 and response.get_json()["reason"] == "diagnosis_not_confirmed"


def test_claimed_then_confirmed_after_opening_the_record_then_prescribable(world, client, api):
    diagnosis = world.claimed()
    consultation = world.consultation_for(diagnosis)
    confirm = {"consultation_id": consultation.id}
    no_record = client.post(f"/api/diagnoses/{diagnosis.id}/confirm", json=confirm, headers=api.doctor)
    assert no_record.status_code == 409 and no_record.get_json()["reason"] == "record_required"
    upload = client.post(
        f"/api/diagnoses/{diagnosis.id}/record",
        data={"record": (io.BytesIO(PNG), "门诊病历.png")},
        headers=api.patient,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and upload.get_json()["has_record"] is True
    unseen = client.post(f"/api/diagnoses/{diagnosis.id}/confirm", json=confirm, headers=api.doctor)
    assert unseen.status_code == 409 and unseen.get_json()["reason"] == "record_not_seen"
    image = client.get(f"/api/diagnoses/{diagnosis.id}/record", headers=api.doctor)
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    image.close()
    confirmed = client.post(f"/api/diagnoses/{diagnosis.id}/confirm", json=confirm, headers=api.doctor)
    body = confirmed.get_json()
    assert confirmed.status_code == 200 and body["status"] == "confirmed" and body["source"] == "doctor_review"
    assert body["decided_by"] == "林医生" and body["decided_at"]
    assert [e.detail["icd10"] for e in audit_actions("diagnosis", "confirm")] == ["I10"]
    response = client.post(
        "/api/prescriptions", json={"consultation_id": consultation.id, "items": [item()]}, headers=api.doctor
    )
    assert response.status_code == 201


def test_a_pdf_record_is_stored_as_sent_and_a_fake_photo_is_refused(world, client, api):
    """PDFs pass through the upload store untouched; an image that does not decode is a 422."""
    diagnosis = world.claimed()
    world.consultation_for(diagnosis)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    path = f"/api/diagnoses/{diagnosis.id}/record"
    fake = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = client.post(
        path, data={"record": (io.BytesIO(fake), "a.png")}, headers=api.patient, content_type="multipart/form-data"
    )
    assert refused.status_code == 422 and refused.get_json()["reason"] == "image_unreadable"
    assert "record" in refused.get_json()["errors"]["json"]
    upload = client.post(
        path,
        data={"record": (io.BytesIO(pdf), "门诊病历.pdf")},
        headers=api.patient,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and upload.get_json()["has_record"] is True
    served = client.get(path, headers=api.doctor)
    assert served.status_code == 200 and served.data == pdf and served.mimetype == "application/pdf"
    served.close()


def test_rejected_with_a_reason_the_patient_sees_and_it_opens_nothing(world, client, api):
    diagnosis = world.claimed()
    consultation = world.consultation_for(diagnosis)
    short = client.post(
        f"/api/diagnoses/{diagnosis.id}/reject",
        json={"consultation_id": consultation.id, "reason": "no"},
        headers=api.doctor,
    )
    assert short.status_code == 422 and short.get_json()["errors"]["json"]["reason"]
    reason = "病历照片中的诊断为高血压前期，未确诊"
    rejected = client.post(
        f"/api/diagnoses/{diagnosis.id}/reject",
        json={"consultation_id": consultation.id, "reason": reason},
        headers=api.doctor,
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    mine = client.get("/api/diagnoses", headers=api.patient).get_json()
    assert [(d["status"], d["rejected_reason"]) for d in mine] == [("rejected", reason)]
    with pytest.raises(ValidationFailed) as refused:
        consultations.start_consultation(world.patient.id, world.department.id, diagnosis.id, "text", "复诊开药")
    assert refused.value.reason == "first_visit"
    again = client.post(
        f"/api/diagnoses/{diagnosis.id}/confirm", json={"consultation_id": consultation.id}, headers=api.doctor
    )
    assert again.status_code == 409


def test_only_the_consulting_doctor_decides(world, client, api):
    diagnosis = world.claimed()
    consultation = world.consultation_for(diagnosis)
    body = {"consultation_id": consultation.id, "reason": "不是你的病人，不能决定"}
    assert client.post(f"/api/diagnoses/{diagnosis.id}/reject", json=body, headers=api.other_doctor).status_code in (
        403,
        404,
    )
    assert client.post(f"/api/diagnoses/{diagnosis.id}/reject", json=body, headers=api.patient).status_code == 403


def test_stable_is_marked_by_a_doctor_audited_and_unlocks_84_days(world, client, api):
    consultation = world.consultation()
    diagnosis = consultation.diagnosis
    long = {"consultation_id": consultation.id, "items": [item(days=84)], "long_prescription": True}
    long["long_reason"] = "病情稳定"
    refused = client.post("/api/prescriptions", json=long, headers=api.doctor)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "too_many_days"
    marked = client.post(
        f"/api/diagnoses/{diagnosis.id}/stable", json={"consultation_id": consultation.id}, headers=api.doctor
    )
    assert (
        marked.status_code == 200 and marked.get_json()["stable"] is True and marked.get_json()["stable_by"] == "林医生"
    )
    assert [e.detail for e in audit_actions("diagnosis", "stable")] == [{"stable": True}]
    assert client.post("/api/prescriptions", json=long, headers=api.doctor).status_code == 201
    patient_try = client.post(
        f"/api/diagnoses/{diagnosis.id}/stable", json={"consultation_id": consultation.id}, headers=api.patient
    )
    assert patient_try.status_code == 403


def test_a_claimed_or_acute_diagnosis_cannot_be_marked_stable(world):
    diagnosis = world.claimed()
    consultation = world.consultation_for(diagnosis)
    with pytest.raises(Conflict):
        diagnoses.mark_stable(world.doctor.user, diagnosis.id, consultation.id)
    acute = world.consultation(icd10="J06.9", name="急性上呼吸道感染", chronic=False)
    with pytest.raises(Conflict):
        diagnoses.mark_stable(world.doctor.user, acute.diagnosis.id, acute.id)


def test_an_acute_diagnosis_never_reaches_a_long_prescription(world, client, api):
    acute = world.consultation(icd10="J06.9", name="急性上呼吸道感染", chronic=False)
    body = {"consultation_id": acute.id, "items": [item("LOR10", 10, "qd", 14)], "long_prescription": True}
    response = client.post("/api/prescriptions", json=body | {"long_reason": "想多开点"}, headers=api.doctor)
    assert response.status_code == 422
    assert "long_not_chronic" in {f["code"] for f in response.get_json()["findings"]}


def test_a_visit_record_of_a_network_hospital_confirms_at_once(world):
    visit = diagnoses.record_visit(
        world.patient.id,
        world.hospital.id,
        world.department.id,
        "林医生",
        date(2024, 5, 6),
        [("冠心病", "I25.1", True)],
    )
    [row] = [d for d in patients.list_diagnoses(world.patient.id) if d.visit_id == visit.id]
    assert row.status == "confirmed" and row.source == "visit_record" and row.hospital_name == "省立医院"


def test_others_are_refused_with_404_and_audited(world, client, api):
    diagnosis = world.claimed()
    assert client.get(f"/api/patients/{world.patient.id}/diagnoses", headers=api.other_patient).status_code == 404
    assert client.get(f"/api/patients/{world.patient.id}/diagnoses", headers=api.other_doctor).status_code == 404
    assert client.get(f"/api/diagnoses/{diagnosis.id}/record", headers=api.other_patient).status_code == 404
    refused = audit_actions("diagnosis", "refused") + audit_actions("diagnosis_record", "refused")
    assert len(refused) == 3 and all(e.patient_id == world.patient.id for e in refused)
    assert client.get(f"/api/patients/{world.patient.id}/diagnoses", headers=api.patient).status_code == 200
    with pytest.raises(NotFound):
        diagnoses.record_file(world.other_patient, diagnosis.id)
