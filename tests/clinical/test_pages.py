"""The clinical pages: the patient's health record (claim with a photo, see the reason, allergies)
and the doctor's clinical record of a consultation (open the record, confirm, stable, allergies)."""

from __future__ import annotations

import io

from hospital.services import diagnoses
from tests.clinical.conftest import PNG
from tests.conftest import GOOD_PASSWORD, csrf_of, page_login


def form_post(client, url, data, **kwargs):
    token = csrf_of(client.get(kwargs.pop("page")).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def test_patient_claims_with_a_photo_and_records_an_allergy(world, client):
    page_login(client, "13900000001", GOOD_PASSWORD)
    assert 'href="/my/health"' in client.get("/").get_data(as_text=True)  # reached from the menu
    claim = {
        "hospital_name": "市第一医院",
        "diagnosis": "2型糖尿病",
        "icd10": "E11.9",
        "diagnosed_on": "2022-04-01",
        "record": (io.BytesIO(PNG), "门诊病历.png"),
    }
    done = form_post(client, "/my/health/diagnoses", claim, page="/my/health", content_type="multipart/form-data")
    assert done.status_code == 302
    page = client.get("/my/health").get_data(as_text=True)
    assert "2型糖尿病" in page and 'data-status="claimed"' in page
    bad = form_post(
        client,
        "/my/health/diagnoses",
        claim | {"diagnosed_on": "2999-01-01", "record": (io.BytesIO(PNG), "a.png")},
        page="/my/health",
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    allergy = form_post(
        client,
        "/my/health/allergies",
        {"allergen": "penicillin", "reaction": "皮疹", "severity": "severe"},
        page="/my/health",
    )
    assert allergy.status_code == 302
    assert 'data-allergen="penicillin"' in client.get("/my/health").get_data(as_text=True)


def test_doctor_opens_the_record_confirms_and_marks_stable(world, client):
    diagnosis = world.claimed()
    diagnoses.attach_record(world.patient, diagnosis.id, PNG)
    consultation = world.consultation_for(diagnosis)
    page_login(client, "doc1", GOOD_PASSWORD)
    base = f"/consultations/{consultation.id}/clinical"
    page = client.get(base).get_data(as_text=True)
    assert f'id="confirm-{diagnosis.id}"' in page and f'id="open-record-{diagnosis.id}"' in page
    unseen = form_post(client, f"{base}/diagnoses/{diagnosis.id}/confirm", {"chronic": "1"}, page=base)
    assert unseen.status_code == 409
    image = client.get(f"/diagnoses/{diagnosis.id}/record")
    assert image.status_code == 200 and image.data == PNG
    image.close()
    assert form_post(client, f"{base}/diagnoses/{diagnosis.id}/confirm", {"chronic": "1"}, page=base).status_code == 302
    assert form_post(client, f"{base}/diagnoses/{diagnosis.id}/stable", {}, page=base).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert 'data-status="confirmed"' in page and f'id="stable-{diagnosis.id}"' in page
    allergy = form_post(client, f"{base}/allergies", {"allergen": "other", "allergen_other": "碘造影剂"}, page=base)
    assert allergy.status_code == 302 and "碘造影剂" in client.get(
        f"/prescriptions/new?consultation={consultation.id}"
    ).get_data(as_text=True)


def test_the_patient_reads_why_his_claim_was_rejected(world, client):
    diagnosis = world.claimed()
    consultation = world.consultation_for(diagnosis)
    diagnoses.reject_diagnosis(world.doctor.user, diagnosis.id, consultation.id, "照片中的诊断是高血压前期")
    page_login(client, "13900000001", GOOD_PASSWORD)
    page = client.get("/my/health").get_data(as_text=True)
    assert "照片中的诊断是高血压前期" in page and 'data-status="rejected"' in page


def test_another_doctor_cannot_open_the_clinical_record(world, client):
    consultation = world.consultation()
    page_login(client, "doc2", GOOD_PASSWORD)
    assert client.get(f"/consultations/{consultation.id}/clinical").status_code == 404
