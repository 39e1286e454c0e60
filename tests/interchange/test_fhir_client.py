"""A real FHIR client from PyPI (fhirclient, SMART on FHIR's) reads a demo patient, his conditions,
his medication requests and his home readings from a running server, with the patient's bearer token."""

from __future__ import annotations

from fhirclient import client
from fhirclient.models.condition import Condition
from fhirclient.models.medicationdispense import MedicationDispense
from fhirclient.models.medicationrequest import MedicationRequest
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient

from hospital.seed_clinical import PATIENT

CHRONIC_PATIENT = "13800000001"  # 王建国: a month of home readings and lab results in the demo


def test_fhirclient_reads_the_demo_patient_record(live_server):
    smart = client.FHIRClient(settings={"app_id": "internet-hospital-tests", "api_base": live_server.url + "/fhir/"})
    smart.server.session.headers["Authorization"] = f"Bearer {live_server.login(PATIENT)}"
    assert smart.server.capabilityStatement.fhirVersion == "4.3.0"  # the CapabilityStatement parses

    conditions = list(Condition.where(struct={}).perform_resources_iter(smart.server))  # the patient: himself
    assert {"I25.1", "E03.9"} <= {c.code.coding[0].code for c in conditions}
    patient_id = conditions[0].subject.reference.removeprefix("Patient/")

    patient = Patient.read(patient_id, smart.server)
    assert patient.name[0].text == "赵桂芳"
    assert "*" in patient.identifier[0].value  # the resident ID never leaves unmasked

    requests = list(MedicationRequest.where(struct={"patient": patient_id}).perform_resources_iter(smart.server))
    assert requests and all(r.subject.reference == f"Patient/{patient_id}" for r in requests)
    assert all(r.dosageInstruction[0].doseAndRate[0].doseQuantity.value > 0 for r in requests)
    dispensed = list(MedicationDispense.where(struct={"patient": patient_id}).perform_resources_iter(smart.server))
    assert dispensed and {d.authorizingPrescription[0].reference for d in dispensed} <= {
        f"MedicationRequest/{r.id}" for r in requests
    }


def test_fhirclient_reads_home_readings_as_observations(live_server):
    """The chronic-care demo patient's blood pressure panels and lab results, through fhirclient."""
    smart = client.FHIRClient(settings={"app_id": "internet-hospital-tests", "api_base": live_server.url + "/fhir/"})
    smart.server.session.headers["Authorization"] = f"Bearer {live_server.login(CHRONIC_PATIENT)}"
    panels = list(Observation.where(struct={"code": "85354-9"}).perform_resources_iter(smart.server))
    assert panels and all(o.code.coding[0].system == "http://loinc.org" for o in panels)
    systolic = panels[0].component[0]
    assert systolic.code.coding[0].code == "8480-6" and systolic.valueQuantity.unit == "mmHg"
    labs = list(Observation.where(struct={"category": "laboratory"}).perform_resources_iter(smart.server))
    assert "4548-4" in {c.code for o in labs for c in o.code.coding}
    one = Observation.read(panels[0].id, smart.server)
    assert one.subject.reference == panels[0].subject.reference
