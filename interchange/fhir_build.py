"""Our rows as FHIR R4B resources, each built (and so validated) by fhir.resources' models.

Pure mapping: no access checks, no database writes. References are relative ("Patient/12")."""

from __future__ import annotations

from datetime import date, datetime

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
from fhir.resources.R4B.resource import Resource

from core import clock
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.consultations import ConsultationStatus as CS
from hospital.models.network import Doctor, DoctorTitle, Hospital
from hospital.models.patients import Allergy, AllergySeverity, AllergySource, ConfirmedDiagnosis
from hospital.models.prescriptions import Prescription, PrescriptionItem
from hospital.models.prescriptions import PrescriptionStatus as RS
from hospital.services import patients

FHIR_VERSION = "4.3.0"  # R4B
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
# Our own code systems and identifiers (no national URI of these is published for FHIR yet).
LOCAL = "urn:internet-hospital:"
RESIDENT_ID = LOCAL + "resident-id"
DRUG_CODE = LOCAL + "formulary"
CONSULTATION_MODE = LOCAL + "consultation-mode"
PRESCRIPTION_CODE = LOCAL + "prescription"
HOSPITAL_CODE = LOCAL + "hospital"
LICENSE_NO = LOCAL + "practitioner-licence"
FREQUENCY_CODE = LOCAL + "frequency"
DOCTOR_TITLE = LOCAL + "doctor-title"
DEPARTMENT_CODE = LOCAL + "department"
# The professional titles of Chinese doctors, as their licences name them.
_TITLE_NAMES = {
    DoctorTitle.CHIEF: "主任医师",
    DoctorTitle.ASSOCIATE_CHIEF: "副主任医师",
    DoctorTitle.ATTENDING: "主治医师",
    DoctorTitle.RESIDENT: "住院医师",
}

# A prescription's status as a MedicationRequest's: in force, done, or never to be taken.
_RX_STATUS = {
    RS.SIGNED: "active",
    RS.APPROVED: "active",
    RS.PAID: "active",
    RS.DISPENSED: "completed",
    RS.REJECTED: "cancelled",
    RS.SUPERSEDED: "cancelled",
    RS.EXPIRED: "cancelled",
    RS.REFUNDED: "cancelled",
    RS.DRAFT: "draft",
}
_ENCOUNTER_STATUS = {
    CS.WAITING: "planned",
    CS.ACCEPTED: "in-progress",
    CS.COMPLETED: "finished",
    CS.REFERRED: "finished",
    CS.CANCELLED: "cancelled",
    CS.EXPIRED: "cancelled",
}
# Our frequency codes as FHIR timing: (times, per period, period unit); None where it is not a rhythm.
_TIMING: dict[str, tuple[int, float, str] | None] = {
    "qd": (1, 1, "d"),
    "bid": (2, 1, "d"),
    "tid": (3, 1, "d"),
    "qid": (4, 1, "d"),
    "qn": (1, 1, "d"),
    "q8h": (1, 8, "h"),
    "q12h": (1, 12, "h"),
    "qod": (1, 2, "d"),
    "qw": (1, 1, "wk"),
    "q72h": (1, 72, "h"),
    "prn": None,
    "once": None,
}
_CRITICAL = {AllergySeverity.SEVERE, AllergySeverity.ANAPHYLAXIS}


def _instant(value: datetime | None) -> str | None:
    """A stored UTC time as a FHIR dateTime with its offset (local time, as the records read)."""
    return clock.to_local(value).isoformat(timespec="seconds") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _ref(resource_type: str, resource_id: int | None, display: str | None = None) -> dict | None:
    if resource_id is None:
        return None
    return {"reference": f"{resource_type}/{resource_id}", **({"display": display} if display else {})}


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    return {"coding": [coding], **({"text": text} if text else {})}


def patient(user: User) -> Patient:
    """The patient; his resident ID only masked (the full number never leaves through FHIR)."""
    identifiers = []
    if user.id_number_masked:
        identifiers.append(
            {
                "use": "official",
                "type": _concept(V2_0203, "NI", "National unique individual identifier", "居民身份证（部分隐藏）"),
                "system": RESIDENT_ID,
                "value": user.id_number_masked,
            }
        )
    return Patient(
        id=str(user.id),
        active=user.active,
        identifier=identifiers or None,
        name=[{"use": "official", "text": user.name}],
        gender={"M": "male", "F": "female"}.get(user.sex or "", "unknown"),
        birthDate=_day(user.birth_date),
    )


def practitioner(doctor: Doctor) -> Practitioner:
    identifiers = [{"system": LICENSE_NO, "value": doctor.license_no}] if doctor.license_no else None
    return Practitioner(
        id=str(doctor.id),
        active=doctor.user.active,
        identifier=identifiers,
        name=[{"text": doctor.user.name}],
    )


def practitioner_role(doctor: Doctor) -> PractitionerRole:
    """Where and as what the doctor works: his hospital, department and title (one role each)."""
    title = _TITLE_NAMES.get(doctor.title, doctor.title)
    department = doctor.department
    return PractitionerRole(
        id=str(doctor.id),
        active=doctor.user.active,
        practitioner=_ref("Practitioner", doctor.id, doctor.user.name),
        organization=_ref("Organization", doctor.hospital_id, doctor.hospital.name_zh),
        code=[_concept(DOCTOR_TITLE, doctor.title, title, title)],
        specialty=[_concept(DEPARTMENT_CODE, department.code, department.name_zh, department.name_zh)],
    )


def organization(hospital: Hospital) -> Organization:
    return Organization(
        id=str(hospital.id),
        active=hospital.active,
        identifier=[{"system": HOSPITAL_CODE, "value": hospital.code}],
        name=hospital.name_zh,
        alias=[hospital.name_en] if hospital.name_en else None,
        address=[{"city": hospital.city, "country": "CN"}] if hospital.city else None,
    )


def condition(row: ConfirmedDiagnosis) -> Condition:
    """A confirmed diagnosis: a chronic one stays on the problem list, an acute one is a visit's."""
    category = "problem-list-item" if row.chronic else "encounter-diagnosis"
    return Condition(
        id=str(row.id),
        clinicalStatus=_concept(CONDITION_CLINICAL, "active") if row.chronic else None,
        verificationStatus=_concept(CONDITION_VERIFICATION, "confirmed"),
        category=[_concept(CONDITION_CATEGORY, category)],
        code=_concept(ICD10, row.icd10, row.diagnosis, row.diagnosis),
        subject=_ref("Patient", row.patient_id),
        onsetDateTime=_day(row.diagnosed_on),
        recordedDate=_instant(row.created_at),
        asserter=_ref("Organization", row.hospital_id, row.hospital_name) if row.hospital_id else None,
        note=[{"text": row.hospital_name}] if not row.hospital_id and row.hospital_name else None,
    )


def allergy_intolerance(row: Allergy) -> AllergyIntolerance:
    """An allergy; a withdrawn (mistaken) entry reads as entered-in-error, with no clinical status."""
    verification = "confirmed" if row.source == AllergySource.DOCTOR_CONFIRMED else "unconfirmed"
    label = patients.allergen_label(row.allergen)
    severity = "severe" if row.severity == AllergySeverity.ANAPHYLAXIS else row.severity
    reaction = None
    if row.reaction or row.severity == AllergySeverity.ANAPHYLAXIS:
        reaction = [{"manifestation": [{"text": row.reaction or "anaphylaxis"}], "severity": severity}]
    return AllergyIntolerance(
        id=str(row.id),
        clinicalStatus=_concept(ALLERGY_CLINICAL, "active") if row.active else None,
        verificationStatus=_concept(ALLERGY_VERIFICATION, verification if row.active else "entered-in-error"),
        type="allergy",
        category=["medication"] if row.in_catalogue else None,
        criticality="high" if row.severity in _CRITICAL else "low",
        code={"text": label},
        patient=_ref("Patient", row.patient_id),
        recordedDate=_instant(row.created_at),
        reaction=reaction,
    )


def encounter(row: Consultation) -> Encounter:
    """A consultation: virtual, by text, voice or video, with its doctor and the diagnosis it follows."""
    start = row.accepted_at or row.created_at
    participant = None
    if row.doctor_id is not None:
        participant = [{"individual": _ref("Practitioner", row.doctor_id, row.doctor.user.name)}]
    return Encounter(
        id=str(row.id),
        status=_ENCOUNTER_STATUS.get(row.status, "unknown"),
        class_fhir={"system": V3_ACT_CODE, "code": "VR", "display": "virtual"},
        type=[_concept(CONSULTATION_MODE, row.mode, row.mode)],
        subject=_ref("Patient", row.patient_id),
        participant=participant,
        period={"start": _instant(start), **({"end": _instant(row.ended_at)} if row.ended_at else {})},
        reasonReference=[_ref("Condition", row.diagnosis_id)],
        serviceProvider=_ref("Organization", row.department.hospital_id) if row.department else None,
    )


def _dosage(item: PrescriptionItem) -> dict:
    timing = _TIMING.get(item.frequency)
    repeat = None
    if timing is not None:
        repeat = {"frequency": timing[0], "period": timing[1], "periodUnit": timing[2]}
    elif item.frequency == "once":
        repeat = {"count": 1}
    dose = {"doseQuantity": {"value": item.dose, "unit": item.dose_unit}}
    return {
        "sequence": 1,
        "text": f"{item.dose:g}{item.dose_unit} {item.frequency} × {item.days}d {item.route}".strip(),
        "patientInstruction": item.instructions or None,
        "timing": {
            "code": {"coding": [{"system": FREQUENCY_CODE, "code": item.frequency}]},
            **({"repeat": repeat} if repeat else {}),
        },
        "asNeededBoolean": item.frequency == "prn",
        "route": {"text": item.route} if item.route else None,
        "doseAndRate": [dose],
    }


def medication_request(rx: Prescription, item: PrescriptionItem) -> MedicationRequest:
    """One line of a prescription: the drug, how to take it and how much to hand out, in the
    consultation that wrote it, for the diagnosis it treats. The prescription is the group."""
    validity = None
    if rx.signed_at:
        validity = {"start": _instant(rx.signed_at), **({"end": _instant(rx.valid_until)} if rx.valid_until else {})}
    return MedicationRequest(
        id=str(item.id),
        groupIdentifier={"system": PRESCRIPTION_CODE, "value": rx.code},
        status=_RX_STATUS.get(rx.effective_status, "unknown"),
        intent="order",
        medicationCodeableConcept=_concept(
            DRUG_CODE, item.drug_code, f"{item.name_zh} {item.strength}", f"{item.name_zh} {item.strength}"
        ),
        subject=_ref("Patient", rx.patient_id),
        encounter=_ref("Encounter", rx.consultation_id),
        authoredOn=_instant(rx.signed_at or rx.created_at),
        requester=_ref("Practitioner", rx.doctor_id, rx.doctor_user.name if rx.doctor_user else None),
        reasonCode=[_concept(ICD10, rx.icd10, rx.diagnosis_name, rx.diagnosis_name)],
        reasonReference=[_ref("Condition", rx.diagnosis_id)],
        note=[{"text": rx.note}] if rx.note else None,
        dosageInstruction=[_dosage(item)],
        dispenseRequest={
            "validityPeriod": validity,
            "quantity": {"value": item.quantity, "unit": item.package_unit_zh},
            "expectedSupplyDuration": {"value": item.days, "unit": "days", "system": UCUM, "code": "d"},
        },
    )


def medication_dispense(rx: Prescription, item: PrescriptionItem) -> MedicationDispense:
    """A line of a prescription handed out: what, how much, for how many days and when."""
    drug = f"{item.name_zh} {item.strength}"
    return MedicationDispense(
        id=str(item.id),
        status="completed",
        medicationCodeableConcept=_concept(DRUG_CODE, item.drug_code, drug, drug),
        subject=_ref("Patient", rx.patient_id),
        context=_ref("Encounter", rx.consultation_id),
        authorizingPrescription=[_ref("MedicationRequest", item.id)],
        quantity={"value": item.quantity, "unit": item.package_unit_zh},
        daysSupply={"value": item.days, "unit": "days", "system": UCUM, "code": "d"},
        whenHandedOver=_instant(rx.dispensed_at),
        dosageInstruction=[_dosage(item)],
    )


def bundle(base: str, matches: list[Resource], included: list[Resource] = ()) -> Bundle:
    """A searchset: the resources asked for (match) and those they refer to (include)."""
    entries = [_entry(base, r, "match") for r in matches] + [_entry(base, r, "include") for r in included]
    return Bundle(
        type="searchset",
        timestamp=_instant(clock.now()),
        total=len(matches),
        entry=entries or None,
    )


def _entry(base: str, resource: Resource, mode: str) -> dict:
    return {
        "fullUrl": f"{base}/{resource.get_resource_type()}/{resource.id}",
        "resource": resource,
        "search": {"mode": mode},
    }


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> OperationOutcome:
    return OperationOutcome(issue=[{"severity": severity, "code": code, "diagnostics": diagnostics}])


_PARAM_TYPES = {"patient": "reference", "category": "token", "code": "token"}


def capability_statement(base: str, served: dict[str, list[str]]) -> CapabilityStatement:
    """What this server answers: each resource type with its interactions and search parameters."""
    resources = []
    for resource_type, params in served.items():
        interactions = [{"code": "read"}] + ([{"code": "search-type"}] if params else [])
        entry = {
            "type": resource_type,
            "interaction": interactions,
            "searchParam": [{"name": p, "type": _PARAM_TYPES.get(p, "date")} for p in params] or None,
        }
        if resource_type == "Patient":
            entry["operation"] = [
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}
            ]
        resources.append(entry)
    return CapabilityStatement(
        status="active",
        date=_instant(clock.now()),
        kind="instance",
        implementation={"description": "Internet hospital FHIR R4B read API", "url": base},
        fhirVersion=FHIR_VERSION,
        format=["application/fhir+json", "json"],
        rest=[
            {
                "mode": "server",
                "security": {
                    "description": "Bearer token from POST /api/auth/login, or the page session. "
                    "A patient reads only his own record, a doctor the patients of his consultations."
                },
                "resource": resources,
            }
        ],
    )
