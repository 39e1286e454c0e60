"""Allergies recorded by the patient and by his doctor, edited with an audit trail, and checked on
every new prescription (with cross-sensitivity within groups)."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from core.extensions import db
from core.models import AuditEntry
from hospital.services import allergies
from hospital.services.allergies import AllergyInput
from tests.prescriptions.conftest import item


def test_the_patient_records_a_catalogue_group_or_free_text(world, client, api):
    url = f"/api/patients/{world.patient.id}/allergies"
    group = client.post(
        url, json={"allergen": "Penicillin", "reaction": "皮疹", "severity": "severe"}, headers=api.patient
    )
    assert group.status_code == 201
    body = group.get_json()
    assert (body["allergen"], body["in_catalogue"], body["source"]) == ("penicillin", True, "patient_reported")
    assert body["recorded_by"] == "王建国" and body["created_at"]
    free = client.post(url, json={"allergen": "阿莫西林", "reaction": "荨麻疹"}, headers=api.patient)
    assert free.status_code == 201 and free.get_json()["in_catalogue"] is False
    listed = client.get(url, headers=api.patient).get_json()
    assert [a["allergen"] for a in listed] == ["penicillin", "阿莫西林"]


def test_bad_input_names_the_field(world, client, api):
    url = f"/api/patients/{world.patient.id}/allergies"
    assert client.post(url, json={"allergen": " "}, headers=api.patient).get_json()["errors"]["json"]["allergen"]
    bad = client.post(url, json={"allergen": "penicillin", "severity": "deadly"}, headers=api.patient)
    assert bad.status_code == 422 and "severity" in bad.get_json()["errors"]["json"]


def test_the_doctor_records_in_his_accepted_consultation_only(world, client, api):
    consultation = world.consultation()
    url = f"/api/patients/{world.patient.id}/allergies"
    done = client.post(url, json={"allergen": "sulfonamide", "consultation_id": consultation.id}, headers=api.doctor)
    assert done.status_code == 201 and done.get_json()["source"] == "doctor_confirmed"
    assert client.post(url, json={"allergen": "sulfonamide"}, headers=api.doctor).status_code == 404
    other = client.post(url, json={"allergen": "iodine", "consultation_id": consultation.id}, headers=api.other_doctor)
    assert other.status_code in (403, 404)


def test_edits_keep_before_and_after_and_withdrawal_keeps_the_row(world, client, api):
    url = f"/api/patients/{world.patient.id}/allergies"
    allergy_id = client.post(url, json={"allergen": "penicillin", "reaction": "皮疹"}, headers=api.patient).get_json()[
        "id"
    ]
    changed = client.patch(
        f"/api/allergies/{allergy_id}",
        json={"allergen": "penicillin", "reaction": "喉头水肿", "severity": "anaphylaxis"},
        headers=api.patient,
    )
    assert changed.status_code == 200 and changed.get_json()["severity"] == "anaphylaxis"
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="allergy", action="update")).scalar_one()
    assert entry.detail["before"]["reaction"] == "皮疹" and entry.detail["after"]["reaction"] == "喉头水肿"
    client.patch(f"/api/allergies/{allergy_id}", json={"allergen": "penicillin", "active": False}, headers=api.patient)
    assert client.get(url, headers=api.patient).get_json() == []
    assert (
        client.patch(f"/api/allergies/{allergy_id}", json={"allergen": "x"}, headers=api.other_patient).status_code
        == 404
    )


def test_others_cannot_read_allergies(world, client, api):
    url = f"/api/patients/{world.patient.id}/allergies"
    assert client.get(url, headers=api.other_patient).status_code == 404
    assert client.get(url, headers=api.other_doctor).status_code == 404
    refused = db.session.execute(db.select(AuditEntry).filter_by(object_type="allergy", action="refused")).scalars()
    assert len(list(refused)) == 2
    with pytest.raises(NotFound):
        allergies.allergies_for(world.other_patient, world.patient.id)


def test_a_recorded_allergy_warns_on_the_next_prescription(world, client, api):
    consultation = world.consultation()
    allergies.record_in_consultation(world.doctor.user, AllergyInput("penicillin", "皮疹", "severe", consultation.id))
    check = client.post(
        "/api/prescriptions/check",
        json={"consultation_id": consultation.id, "items": [item("AMX250", 500, "tid", 5)]},
        headers=api.doctor,
    ).get_json()
    assert "allergy" in [f["code"] for f in check["findings"]]


def test_cross_sensitivity_within_groups(world, client, api):
    world.allergy("penicillin")
    consultation = world.consultation(icd10="J18.9", name="社区获得性肺炎", chronic=False)
    check = client.post(
        "/api/prescriptions/check",
        json={"consultation_id": consultation.id, "items": [item("CXM250", 250, "bid", 3)]},
        headers=api.doctor,
    ).get_json()
    [finding] = check["findings"]
    assert finding["code"] == "allergy_cross_sensitivity" and finding["severity"] == "warn"
    assert finding["drugs"] == ["CXM250"]


def test_a_free_text_allergy_matches_the_drug_by_name(world, client, api):
    world.allergy("阿莫西林")
    consultation = world.consultation(icd10="J18.9", name="社区获得性肺炎", chronic=False)
    check = client.post(
        "/api/prescriptions/check",
        json={"consultation_id": consultation.id, "items": [item("AMX250", 500, "tid", 3)]},
        headers=api.doctor,
    ).get_json()
    assert [f["code"] for f in check["findings"]] == ["allergy"]
