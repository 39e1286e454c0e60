"""The active medication list: drugs of earlier prescriptions still in supply meet the new one in
every check (and name it); a supply that ended long ago does not count."""

from __future__ import annotations

from hospital.services import medications
from hospital.services.prescription_safety import ItemInput
from tests.clinical.conftest import REASON
from tests.prescriptions.conftest import item

WARFARIN = ItemInput("WAR25", 2.5, "qd", 7)


def check(client, headers, consultation_id, *items):
    body = {"consultation_id": consultation_id, "items": list(items)}
    response = client.post("/api/prescriptions/check", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_earlier_prescription_in_supply_meets_the_new_one_and_is_named(world, client, api):
    earlier = world.earlier(WARFARIN, days_ago=2, icd10="I48.0", name="心房颤动")
    consultation = world.consultation(icd10="I25.1", name="冠心病")
    result = check(client, api.doctor, consultation.id, item("ASA100", 100, "qd", 7))
    [finding] = [f for f in result["findings"] if f["code"] == "interaction"]
    assert finding["earlier"]["code"] == earlier.code and finding["earlier"]["drug_code"] == "WAR25"
    assert earlier.code in finding["message"] and finding["severity"] == "warn"
    created = client.post(
        "/api/prescriptions",
        json={"consultation_id": consultation.id, "items": [item("ASA100", 100, "qd", 7)]},
        headers=api.doctor,
    ).get_json()
    refused = client.post(f"/api/prescriptions/{created['id']}/sign", json={}, headers=api.doctor)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "override_required"
    assert [f["earlier"]["code"] for f in refused.get_json()["findings"]] == [earlier.code]
    signed = client.post(f"/api/prescriptions/{created['id']}/sign", json=REASON, headers=api.doctor)
    assert signed.status_code == 200


def test_a_supply_that_ended_long_ago_does_not_count(world, client, api):
    world.earlier(WARFARIN, days_ago=60, icd10="I48.0", name="心房颤动")
    consultation = world.consultation(icd10="I25.1", name="冠心病")
    result = check(client, api.doctor, consultation.id, item("ASA100", 100, "qd", 7))
    assert result["findings"] == []
    assert medications.active_medications(world.patient.id) == []


def test_the_supply_runs_through_its_last_day_only(world):
    world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=6)
    world.earlier(ItemInput("ATO20", 20, "qn", 7), days_ago=7)
    assert [m.drug_code for m in medications.active_medications(world.patient.id)] == ["AML5"]


def test_duplicate_therapy_with_an_active_medication(world, client, api):
    earlier = world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=1)
    consultation = world.consultation()
    result = check(client, api.doctor, consultation.id, item("FEL5ER", 5, "qd", 7))
    [finding] = result["findings"]
    assert finding["code"] == "duplicate_therapy" and finding["earlier"]["prescription_id"] == earlier.id


def test_a_contraindicated_combination_with_an_active_nitrate_is_refused_without_override(world, client, api):
    world.earlier(ItemInput("ISMN20", 20, "bid", 7), days_ago=1, icd10="I20.9", name="心绞痛")
    consultation = world.consultation(icd10="N52.9", name="勃起功能障碍")
    body = {"consultation_id": consultation.id, "items": [item("SIL50", 50, "prn", 3)]}
    refused = client.post("/api/prescriptions", json=body, headers=api.doctor)
    assert refused.status_code == 422 and refused.get_json()["reason"] == "contraindicated_combination"
    [finding] = refused.get_json()["findings"]
    assert finding["severity"] == "block" and finding["earlier"]["drug_code"] == "ISMN20"


def test_the_patient_and_his_doctor_see_the_active_list_others_do_not(world, client, api):
    earlier = world.earlier(WARFARIN, days_ago=3, icd10="I48.0", name="心房颤动")
    world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=90)
    url = f"/api/patients/{world.patient.id}/medications"
    mine = client.get(url, headers=api.patient).get_json()
    assert [(m["drug_code"], m["prescription_code"]) for m in mine] == [("WAR25", earlier.code)]
    assert client.get(url, headers=api.doctor).status_code == 200
    assert client.get(url, headers=api.other_patient).status_code == 404
    assert client.get(url, headers=api.other_doctor).status_code == 404
