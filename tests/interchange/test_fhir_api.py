"""The FHIR R4B read API: every resource parses back with fhir.resources' R4B models, access follows
the clinical rules (others get a 404 OperationOutcome, audited) and $everything holds the record."""

from __future__ import annotations

import re
from datetime import timedelta

from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from core import clock
from core.extensions import db
from core.models import AuditEntry
from hospital.services.prescription_safety import ItemInput
from tests.conftest import GOOD_PASSWORD, page_login

FHIR_JSON = "application/fhir+json"


def _get(client, url, headers, model, status=200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    return model.model_validate_json(response.get_data(as_text=True))


def _audit(actor_id, action, object_type):
    query = db.select(AuditEntry).filter_by(actor_id=actor_id, action=action, object_type=object_type)
    return list(db.session.execute(query).scalars())


def test_metadata_lists_what_is_served(client):
    statement = _get(client, "/fhir/metadata", {}, CapabilityStatement)
    assert statement.fhirVersion == "4.3.0"
    served = {r.type: r for r in statement.rest[0].resource}
    assert set(served) == {
        "Patient",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationDispense",
        "Encounter",
        "Observation",
        "Appointment",
        "Practitioner",
        "PractitionerRole",
        "Organization",
    }
    assert [p.name for p in served["Condition"].searchParam] == ["patient", "onset-date"]
    assert [p.name for p in served["Encounter"].searchParam] == ["patient", "date"]
    assert served["Patient"].operation[0].name == "everything"


def test_patient_reads_himself_with_masked_resident_id(world, api, client):
    patient = _get(client, f"/fhir/Patient/{world.patient.id}", api.patient, Patient)
    assert patient.name[0].text == "王建国"
    assert patient.gender == "male" and str(patient.birthDate) == "1952-03-14"
    number = patient.identifier[0].value
    assert "*" in number and number == world.patient.id_number_masked
    assert _audit(world.patient.id, "read", "fhir_patient")


def test_each_resource_of_the_record_validates(world, api, client):
    rx = world.rx
    line = rx.items[0]
    condition = _get(client, f"/fhir/Condition/{rx.diagnosis_id}", api.patient, Condition)
    assert condition.code.coding[0].system == "http://hl7.org/fhir/sid/icd-10"
    assert condition.code.coding[0].code == "I10"
    assert condition.verificationStatus.coding[0].code == "confirmed"

    request = _get(client, f"/fhir/MedicationRequest/{line.id}", api.patient, MedicationRequest)
    assert request.status == "active" and request.intent == "order"
    assert request.encounter.reference == f"Encounter/{rx.consultation_id}"
    assert request.reasonReference[0].reference == f"Condition/{rx.diagnosis_id}"
    assert request.requester.reference == f"Practitioner/{world.doctor.id}"
    dosage = request.dosageInstruction[0]
    assert dosage.doseAndRate[0].doseQuantity.value == 5
    assert (dosage.timing.repeat.frequency, dosage.timing.repeat.period, dosage.timing.repeat.periodUnit) == (1, 1, "d")
    assert request.dispenseRequest.quantity.value == line.quantity
    assert request.dispenseRequest.expectedSupplyDuration.value == 7

    encounter = _get(client, f"/fhir/Encounter/{rx.consultation_id}", api.patient, Encounter)
    assert encounter.class_fhir.code == "VR" and encounter.type[0].coding[0].code == "text"
    assert encounter.participant[0].individual.reference == f"Practitioner/{world.doctor.id}"
    assert encounter.period.start is not None

    bundle = _get(client, f"/fhir/AllergyIntolerance?patient={world.patient.id}", api.patient, Bundle)
    allergy = bundle.entry[0].resource
    assert isinstance(allergy, AllergyIntolerance) and allergy.patient.reference == f"Patient/{world.patient.id}"
    _get(client, f"/fhir/AllergyIntolerance/{allergy.id}", api.patient, AllergyIntolerance)

    practitioner = _get(client, f"/fhir/Practitioner/{world.doctor.id}", api.patient, Practitioner)
    assert practitioner.name[0].text == "林医生"
    role = _get(client, f"/fhir/PractitionerRole/{world.doctor.id}", api.patient, PractitionerRole)
    assert role.code[0].text == "主任医师" and role.specialty[0].text == "心血管内科"
    assert role.organization.reference == f"Organization/{world.hospital.id}"
    organization = _get(client, f"/fhir/Organization/{world.hospital.id}", api.patient, Organization)
    assert organization.name == "省立医院"


def test_doctor_of_the_consultation_reads_the_patient(world, api, client):
    patient = _get(client, f"/fhir/Patient/{world.patient.id}", api.doctor, Patient)
    assert patient.identifier[0].value == world.patient.id_number_masked
    bundle = _get(client, f"/fhir/MedicationRequest?patient=Patient/{world.patient.id}", api.doctor, Bundle)
    assert bundle.type == "searchset" and bundle.total == 1


def test_another_patient_is_refused_and_audited(world, api, client):
    rx = world.rx
    for url in (
        f"/fhir/Patient/{world.patient.id}",
        f"/fhir/Condition/{rx.diagnosis_id}",
        f"/fhir/MedicationRequest/{rx.items[0].id}",
        f"/fhir/Encounter/{rx.consultation_id}",
        f"/fhir/Condition?patient={world.patient.id}",
        f"/fhir/Patient/{world.patient.id}/$everything",
    ):
        outcome = _get(client, url, api.other_patient, OperationOutcome, status=404)
        assert outcome.issue[0].code == "not-found"
    refusals = _audit(world.other_patient.id, "refused", "fhir_patient")
    assert refusals and refusals[0].patient_id == world.patient.id


def test_foreign_doctor_and_pharmacist_are_refused(world, api, client):
    for headers in (api.other_doctor, api.pharmacist):
        _get(client, f"/fhir/Patient/{world.patient.id}", headers, OperationOutcome, status=404)
        _get(client, f"/fhir/Condition?patient={world.patient.id}", headers, OperationOutcome, status=404)
    assert _audit(world.other_doctor.id, "refused", "fhir_condition")


def test_unknown_ids_and_anonymous_callers(world, api, client):
    _get(client, "/fhir/Patient/999999", api.patient, OperationOutcome, status=404)
    _get(client, "/fhir/Condition/abc", api.patient, OperationOutcome, status=404)
    # A doctor's id is not a patient: no Patient resource for staff.
    _get(client, f"/fhir/Patient/{world.doctor.user.id}", api.doctor, OperationOutcome, status=404)
    outcome = _get(client, f"/fhir/Patient/{world.patient.id}", {}, OperationOutcome, status=401)
    assert outcome.issue[0].code == "login"
    outcome = _get(client, "/fhir/Condition", api.doctor, OperationOutcome, status=400)
    assert "patient" in outcome.issue[0].diagnostics


def test_search_without_patient_means_the_patient_himself(world, api, client):
    bundle = _get(client, "/fhir/Condition", api.patient, Bundle)
    assert {e.resource.subject.reference for e in bundle.entry} == {f"Patient/{world.patient.id}"}


def test_everything_holds_the_whole_record(world, api, client):
    bundle = _get(client, f"/fhir/Patient/{world.patient.id}/$everything", api.patient, Bundle)
    matched = {}
    for entry in bundle.entry:
        matched.setdefault((entry.search.mode, entry.resource.get_resource_type()), []).append(entry.resource)
        assert entry.fullUrl.endswith(f"/fhir/{entry.resource.get_resource_type()}/{entry.resource.id}")
    assert len(matched["match", "Patient"]) == 1
    assert [c.code.coding[0].code for c in matched["match", "Condition"]] == ["I10"]
    assert len(matched["match", "AllergyIntolerance"]) == 1
    assert len(matched["match", "MedicationRequest"]) == 1
    assert len(matched["match", "Encounter"]) == 1
    assert [p.id for p in matched["include", "Practitioner"]] == [str(world.doctor.id)]
    assert [p.id for p in matched["include", "PractitionerRole"]] == [str(world.doctor.id)]
    assert [o.id for o in matched["include", "Organization"]] == [str(world.hospital.id)]
    entries = _audit(world.patient.id, "read", "fhir_everything")
    assert entries and entries[0].patient_id == world.patient.id


def test_claimed_diagnosis_and_draft_prescription_stay_out(world, api, client):
    claimed = world.claimed(icd10="E11.9", name="2型糖尿病")
    _get(client, f"/fhir/Condition/{claimed.id}", api.patient, OperationOutcome, status=404)
    bundle = _get(client, f"/fhir/Condition?patient={world.patient.id}", api.patient, Bundle)
    assert "E11.9" not in {e.resource.code.coding[0].code for e in bundle.entry}


def test_patient_downloads_his_record_from_his_health_page(world, client):
    page_login(client, "13900000001", GOOD_PASSWORD)
    page = client.get("/my/health").get_data(as_text=True)
    match = re.search(r'id="fhir-download" href="([^"]+)" download="([^"]+)"', page)
    assert match, "no download link on the health page"
    response = client.get(match.group(1))
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    bundle = Bundle.model_validate_json(response.get_data(as_text=True))
    assert bundle.entry[0].resource.id == str(world.patient.id)


def test_search_by_date(world, api, client):
    today = clock.today()
    older_rx = world.earlier(ItemInput("MF500", 500, "bid", 7), days_ago=20, icd10="E11.9", name="2型糖尿病")
    old_day = (today - timedelta(days=20)).isoformat()
    url = f"/fhir/MedicationRequest?patient={world.patient.id}"
    recent = _get(client, f"{url}&authoredon=ge{(today - timedelta(days=5)).isoformat()}", api.patient, Bundle)
    assert [e.resource.id for e in recent.entry] == [str(world.rx.items[0].id)]
    older = _get(client, f"{url}&authoredon={old_day}", api.patient, Bundle)
    assert [e.resource.id for e in older.entry] == [str(older_rx.items[0].id)]
    both = _get(client, f"{url}&authoredon=ge{old_day}&authoredon=le{today.isoformat()}", api.patient, Bundle)
    assert both.total == 2
    encounters = _get(
        client, f"/fhir/Encounter?patient={world.patient.id}&date=lt{today.isoformat()}", api.doctor, Bundle
    )
    assert encounters.total == 1 and encounters.entry[0].resource.id == str(older_rx.consultation_id)
    outcome = _get(client, f"{url}&authoredon=yesterday", api.patient, OperationOutcome, status=400)
    assert "authoredon" in outcome.issue[0].diagnostics


def test_dispensed_lines_are_medication_dispenses(world, api, client):
    url = f"/fhir/MedicationDispense?patient={world.patient.id}"
    assert _get(client, url, api.patient, Bundle).total == 0  # approved, not yet handed out
    line = world.rx.items[0]
    _get(client, f"/fhir/MedicationDispense/{line.id}", api.patient, OperationOutcome, status=404)
    # Handed out (as the pharmacy's machine leaves it; that area's tests walk the way there).
    world.rx.status, world.rx.dispensed_at = "dispensed", clock.now()
    db.session.commit()
    dispense = _get(client, f"/fhir/MedicationDispense/{line.id}", api.patient, MedicationDispense)
    assert dispense.status == "completed" and dispense.quantity.value == line.quantity
    assert dispense.authorizingPrescription[0].reference == f"MedicationRequest/{line.id}"
    assert dispense.daysSupply.value == 7 and dispense.whenHandedOver is not None
    request = _get(client, f"/fhir/MedicationRequest/{line.id}", api.patient, MedicationRequest)
    assert request.status == "completed"
    everything = _get(client, f"/fhir/Patient/{world.patient.id}/$everything", api.patient, Bundle)
    assert "MedicationDispense" in {e.resource.get_resource_type() for e in everything.entry}
    _get(client, f"/fhir/MedicationDispense/{line.id}", api.other_patient, OperationOutcome, status=404)
