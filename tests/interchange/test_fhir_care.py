"""Care between visits in FHIR: the demo patient's home readings and lab results as Observations
(LOINC codes, UCUM units, his target band), a referral's booked visit as an Appointment; search by
date, category and code; only he and his doctors read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from core import clock
from core.extensions import db
from core.models import AuditEntry
from tests.chronic.conftest import CARDIOLOGIST, OTHER_DOCTOR, OTHER_PATIENT, PATIENT, Care, user

UCUM = "http://unitsofmeasure.org"


@pytest.fixture
def care(demo_app):
    return Care(demo_app)


def _bundle(care, url: str, username: str = PATIENT) -> list:
    response = care.get(url, username)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.get_data(as_text=True))
    return [entry.resource for entry in bundle.entry or []]


def _codes(observation: Observation) -> set[str]:
    return {c.code for c in observation.code.coding}


def test_home_readings_and_labs_are_coded_observations(care):
    weighed = care.post("/api/chronic/readings", PATIENT, json={"kind": "weight", "value": 68.5, "unit": "kg"})
    assert weighed.status_code == 201, weighed.get_json()
    observations = _bundle(care, "/fhir/Observation")
    assert observations and all(isinstance(o, Observation) for o in observations)
    panels = [o for o in observations if "85354-9" in _codes(o)]
    assert panels, "blood pressure readings as the LOINC panel"
    systolic, diastolic = panels[0].component[0], panels[0].component[1]
    assert systolic.code.coding[0].code == "8480-6" and diastolic.code.coding[0].code == "8462-4"
    assert systolic.valueQuantity.system == UCUM and systolic.valueQuantity.code == "mm[Hg]"
    assert float(systolic.referenceRange[0].high.value) == 140  # his target band (guideline default)
    assert panels[0].category[0].coding[0].code == "vital-signs"
    glucose = [o for o in observations if _codes(o) & {"14770-2", "14743-9"}]
    assert glucose and all(o.valueQuantity.code == "mmol/L" for o in glucose)
    fasting = [o for o in glucose if "14770-2" in _codes(o)]
    assert fasting and float(fasting[0].referenceRange[0].low.value) == 4.4
    weights = [o for o in observations if "29463-7" in _codes(o)]
    assert weights and weights[0].valueQuantity.code == "kg"
    hba1c = [o for o in observations if "4548-4" in _codes(o)]
    assert len(hba1c) == 3 and all(o.valueQuantity.unit == "%" for o in hba1c)
    assert all(str(o.subject.reference) == f"Patient/{user(PATIENT).id}" for o in observations)

    one = care.get(f"/fhir/Observation/{panels[0].id}", PATIENT)
    assert one.status_code == 200
    assert Observation.model_validate_json(one.get_data(as_text=True)).id == panels[0].id


def test_observation_search_by_category_code_and_date(care):
    everything = _bundle(care, "/fhir/Observation")
    vital = _bundle(care, "/fhir/Observation?category=vital-signs")
    assert vital and all(o.category[0].coding[0].code == "vital-signs" for o in vital)
    assert len(vital) < len(everything)
    panels = _bundle(care, "/fhir/Observation?code=http://loinc.org|85354-9")
    assert panels and all("85354-9" in _codes(o) for o in panels)
    panels_or_labs = _bundle(care, "/fhir/Observation?code=85354-9,4548-4")
    assert {c for o in panels_or_labs for c in _codes(o)} & {"85354-9", "4548-4", "14770-2"} == {"85354-9", "4548-4"}
    week_ago = (clock.today() - timedelta(days=7)).isoformat()
    recent = _bundle(care, f"/fhir/Observation?date=ge{week_ago}")
    older = _bundle(care, f"/fhir/Observation?date=lt{week_ago}")
    assert recent and older and len(recent) + len(older) == len(everything)
    bad = care.get("/fhir/Observation?date=last-week", PATIENT)
    assert bad.status_code == 400 and OperationOutcome.model_validate_json(bad.get_data(as_text=True))


def _booked_visit(care) -> dict:
    consultation_id = care.referred_consultation()
    department = care.department("CARD")
    slots = care.get(f"/api/chronic/slots?department_id={department.id}", PATIENT).get_json()
    response = care.post(
        "/api/chronic/bookings", PATIENT, json={"consultation_id": consultation_id, "slot_id": slots[0]["id"]}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_booked_visit_is_an_appointment(care):
    booking = _booked_visit(care)
    appointments = _bundle(care, "/fhir/Appointment")
    assert [a.id for a in appointments] == [str(booking["id"])]
    visit = appointments[0]
    assert visit.status == "booked" and visit.identifier[0].value == booking["code"]
    actors = [p.actor for p in visit.participant]
    assert actors[0].reference == f"Patient/{user(PATIENT).id}"
    assert "心血管内科" in actors[1].display
    assert actors[2].reference.startswith("Practitioner/") and visit.participant[2].type[0].coding[0].code == "REF"
    assert visit.start > clock.now()
    day = clock.to_local(visit.start).date().isoformat()
    assert len(_bundle(care, f"/fhir/Appointment?date={day}")) == 1
    assert _bundle(care, f"/fhir/Appointment?date=lt{day}") == []
    assert care.post(f"/api/chronic/bookings/{booking['id']}/cancel", PATIENT).status_code == 200
    cancelled = Appointment.model_validate_json(care.get(f"/fhir/Appointment/{booking['id']}", PATIENT).get_data())
    assert cancelled.status == "cancelled"
    # His doctor reads it; the whole record holds it and the readings.
    assert care.get(f"/fhir/Appointment/{booking['id']}", CARDIOLOGIST).status_code == 200
    whole = _bundle(care, f"/fhir/Patient/{user(PATIENT).id}/$everything")
    kinds = {r.get_resource_type() for r in whole}
    assert {"Observation", "Appointment", "Practitioner"} <= kinds


def test_others_are_refused_and_reads_are_audited(care):
    booking = _booked_visit(care)
    observation = _bundle(care, "/fhir/Observation")[0]
    patient_id = user(PATIENT).id
    for username in (OTHER_PATIENT, OTHER_DOCTOR):
        for url in (
            f"/fhir/Observation/{observation.id}",
            f"/fhir/Appointment/{booking['id']}",
            f"/fhir/Observation?patient={patient_id}",
            f"/fhir/Appointment?patient={patient_id}",
        ):
            response = care.get(url, username)
            assert response.status_code == 404, (username, url)
            assert OperationOutcome.model_validate_json(response.get_data(as_text=True)).issue[0].code == "not-found"
    assert care.get("/fhir/Observation/reading-999999", PATIENT).status_code == 404
    assert care.get("/fhir/Observation/12", PATIENT).status_code == 404
    reads = db.session.execute(
        db.select(AuditEntry).filter_by(actor_id=patient_id, object_type="fhir_observation")
    ).scalars()
    assert any(entry.patient_id == patient_id for entry in reads)


def test_metadata_serves_observation_and_appointment(client):
    response = client.get("/fhir/metadata")
    statement = CapabilityStatement.model_validate_json(response.get_data(as_text=True))
    served = {r.type: r for r in statement.rest[0].resource}
    params = {p.name: p.type for p in served["Observation"].searchParam}
    assert params == {"patient": "reference", "date": "date", "category": "token", "code": "token"}
    assert [p.name for p in served["Appointment"].searchParam] == ["patient", "date"]
