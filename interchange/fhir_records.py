"""Reading the record as FHIR: who may read what (the clinical area's rules), what is read (the
hospital's rows) and the audit entry of every read. Refusals and unknown ids are both a 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from fhir.resources.R4B.resource import Resource
from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.errors import BadRequest
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation
from hospital.models.network import Doctor, Hospital
from hospital.models.patients import Allergy, ConfirmedDiagnosis, DiagnosisStatus
from hospital.models.prescriptions import Prescription, PrescriptionItem, PrescriptionStatus
from hospital.services import clinical_access
from interchange import care_records
from interchange import fhir_build as build

# Resource types served, with their search parameters (an empty list: read only).
# The date parameter of each searchable type, as FHIR names it (the day the row is of).
DATE_PARAMS: dict[str, str] = {
    "Condition": "onset-date",
    "AllergyIntolerance": "date",
    "MedicationRequest": "authoredon",
    "MedicationDispense": "whenhandedover",
    "Encounter": "date",
    "Observation": "date",
    "Appointment": "date",
}
SERVED: dict[str, list[str]] = {
    "Patient": [],
    "Condition": ["patient", "onset-date"],
    "AllergyIntolerance": ["patient", "date"],
    "MedicationRequest": ["patient", "authoredon"],
    "MedicationDispense": ["patient", "whenhandedover"],
    "Encounter": ["patient", "date"],
    "Observation": ["patient", "date", "category", "code"],
    "Appointment": ["patient", "date"],
    "Practitioner": [],
    "PractitionerRole": [],
    "Organization": [],
}


def _audit_type(resource_type: str) -> str:
    return "fhir_" + resource_type.lower()


def _not_found(user: User, patient_id: int | None, resource_type: str, resource_id: str):
    return clinical_access.refused(user, patient_id, _audit_type(resource_type), resource_id)


def _row_id(user: User, resource_type: str, resource_id: str) -> int:
    if not resource_id.isdigit():
        raise _not_found(user, None, resource_type, resource_id)
    return int(resource_id)


def _require_patient(user: User, patient_id: int, resource_type: str, resource_id) -> None:
    if not clinical_access.may_read_patient(user, patient_id):
        raise _not_found(user, patient_id, resource_type, resource_id)


# --- the patient's rows, in the form the FHIR record shows ------------------------------------


def _conditions(patient_id: int) -> list[ConfirmedDiagnosis]:
    query = db.select(ConfirmedDiagnosis).filter_by(patient_id=patient_id, status=DiagnosisStatus.CONFIRMED)
    return list(db.session.execute(query.order_by(ConfirmedDiagnosis.id)).scalars())


def _allergies(patient_id: int) -> list[Allergy]:
    query = db.select(Allergy).filter_by(patient_id=patient_id, active=True).order_by(Allergy.id)
    return list(db.session.execute(query).scalars())


def _encounters(patient_id: int) -> list[Consultation]:
    query = db.select(Consultation).filter_by(patient_id=patient_id).order_by(Consultation.id)
    return list(db.session.execute(query).scalars())


def _prescription_lines(patient_id: int) -> list[tuple[Prescription, PrescriptionItem]]:
    """Every line of the patient's prescriptions past the draft (a draft is the doctor's, unsigned)."""
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status != PrescriptionStatus.DRAFT)
        .order_by(Prescription.id)
    )
    return [(rx, item) for rx in db.session.execute(query).scalars() for item in rx.items]


def _dispensed_lines(patient_id: int) -> list[tuple[Prescription, PrescriptionItem]]:
    """Every line of the patient's prescriptions handed out (and not since returned)."""
    query = (
        db.select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status == PrescriptionStatus.DISPENSED)
        .order_by(Prescription.id)
    )
    return [(rx, item) for rx in db.session.execute(query).scalars() for item in rx.items]


def _patient_user(patient_id: int) -> User | None:
    user = db.session.get(User, patient_id)
    return user if user is not None and user.role == Role.PATIENT else None


def _local_day(value: datetime) -> date:
    return clock.to_local(value).date()


# Per searchable type: the patient's rows, each row's date for the date parameter, and the resource.
_SEARCHES: dict[str, tuple[Callable[[int], list], Callable[..., date], Callable[..., Resource]]] = {
    "Condition": (_conditions, lambda r: r.diagnosed_on, build.condition),
    "AllergyIntolerance": (_allergies, lambda r: _local_day(r.created_at), build.allergy_intolerance),
    "Encounter": (_encounters, lambda r: _local_day(r.accepted_at or r.created_at), build.encounter),
    "MedicationRequest": (
        _prescription_lines,
        lambda line: _local_day(line[0].signed_at or line[0].created_at),
        lambda line: build.medication_request(*line),
    ),
    "MedicationDispense": (
        _dispensed_lines,
        lambda line: _local_day(line[0].dispensed_at),
        lambda line: build.medication_dispense(*line),
    ),
    "Observation": (care_records.observation_rows, lambda row: row.day, care_records.CareRow.resource),
    "Appointment": (care_records.appointment_rows, lambda row: row.day, care_records.CareRow.resource),
}
# Token search parameters: the resource's codings they match ("code" or "system|code").
TOKEN_PARAMS: dict[str, dict[str, Callable[[Resource], list]]] = {
    "Observation": {
        "category": lambda r: [c for concept in r.category or [] for c in concept.coding or []],
        "code": lambda r: list(r.code.coding or []),
    },
}


# --- read -------------------------------------------------------------------------------------


def _patient_scoped(resource_type: str, row_id: int) -> tuple[int, Callable[[], Resource]] | None:
    """The patient a row belongs to and how to build it, or None when there is no such row."""
    if resource_type == "Patient":
        user = _patient_user(row_id)
        return (user.id, lambda: build.patient(user)) if user else None
    if resource_type == "Condition":
        row = db.session.get(ConfirmedDiagnosis, row_id)
        ok = row is not None and row.status == DiagnosisStatus.CONFIRMED
        return (row.patient_id, lambda: build.condition(row)) if ok else None
    if resource_type == "AllergyIntolerance":
        row = db.session.get(Allergy, row_id)
        return (row.patient_id, lambda: build.allergy_intolerance(row)) if row else None
    if resource_type == "Encounter":
        row = db.session.get(Consultation, row_id)
        return (row.patient_id, lambda: build.encounter(row)) if row else None
    if resource_type in ("MedicationRequest", "MedicationDispense"):
        return _prescription_line(resource_type, row_id)
    raise KeyError(resource_type)


def _prescription_line(resource_type: str, item_id: int) -> tuple[int, Callable[[], Resource]] | None:
    """A prescription line as its request (once signed) or as its dispense (once handed out)."""
    item = db.session.get(PrescriptionItem, item_id)
    if item is None:
        return None
    rx = item.prescription
    if resource_type == "MedicationRequest":
        shown = rx.status != PrescriptionStatus.DRAFT
        return (rx.patient_id, lambda: build.medication_request(rx, item)) if shown else None
    shown = rx.status == PrescriptionStatus.DISPENSED
    return (rx.patient_id, lambda: build.medication_dispense(rx, item)) if shown else None


def _directory(resource_type: str, row_id: int) -> Resource | None:
    """Doctors and hospitals: the network's public directory, for any signed-in user."""
    if resource_type in ("Practitioner", "PractitionerRole"):
        doctor = db.session.get(Doctor, row_id)
        make = build.practitioner if resource_type == "Practitioner" else build.practitioner_role
        return make(doctor) if doctor else None
    hospital = db.session.get(Hospital, row_id)
    return build.organization(hospital) if hospital else None


def _read_care(user: User, resource_type: str, resource_id: str, row: care_records.CareRow | None) -> Resource:
    """A reading, lab result or booked visit, if the user may read its patient's record."""
    if row is None:
        raise _not_found(user, None, resource_type, resource_id)
    _require_patient(user, row.patient_id, resource_type, resource_id)
    resource = row.resource()
    audit.record_read(user.id, row.patient_id, _audit_type(resource_type), resource_id)
    return resource


def read(user: User, resource_type: str, resource_id: str) -> Resource:
    """One resource by its id, if the user may see it (404, audited, otherwise)."""
    if resource_type not in SERVED:
        raise BadRequest("unknown_resource_type", _l("Resource type not served: %(type)s"), "type", type=resource_type)
    if resource_type == "Observation":
        return _read_care(user, resource_type, resource_id, care_records.observation_row(resource_id))
    row_id = _row_id(user, resource_type, resource_id)
    if resource_type == "Appointment":
        return _read_care(user, resource_type, resource_id, care_records.appointment_row(row_id))
    if resource_type in ("Practitioner", "PractitionerRole", "Organization"):
        resource = _directory(resource_type, row_id)
        if resource is None:
            raise _not_found(user, None, resource_type, resource_id)
        audit.record_read(user.id, None, _audit_type(resource_type), resource_id)
        return resource
    found = _patient_scoped(resource_type, row_id)
    if found is None:
        raise _not_found(user, None, resource_type, resource_id)
    patient_id, make = found
    _require_patient(user, patient_id, resource_type, resource_id)
    resource = make()
    audit.record_read(user.id, patient_id, _audit_type(resource_type), resource_id)
    return resource


# --- search and $everything -------------------------------------------------------------------


@dataclass(frozen=True)
class DateBound:
    """One value of a date search parameter: a prefix (eq, ne, gt, ge, lt, le) and a day."""

    prefix: str
    day: date

    def admits(self, value: date) -> bool:
        return _COMPARE[self.prefix](value, self.day)


_COMPARE: dict[str, Callable[[date, date], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def date_bounds(resource_type: str, values: list[str]) -> list[DateBound]:
    """Parse the type's date parameter values, e.g. ge2026-01-01 (a day; its prefix eq by default)."""
    name = DATE_PARAMS.get(resource_type, "date")
    bounds = []
    for value in values:
        prefix, raw = (value[:2], value[2:]) if value[:2] in _COMPARE else ("eq", value)
        try:
            bounds.append(DateBound(prefix, date.fromisoformat(raw)))
        except ValueError:
            raise BadRequest(
                "invalid_date", _l("The search parameter '%(name)s' is not a date like ge2026-01-31."), name, name=name
            ) from None
    return bounds


def patient_of_search(user: User, value: str | None) -> int:
    """The `patient` parameter ("12" or "Patient/12"); a patient who leaves it out means himself."""
    if not value:
        if user.role == Role.PATIENT:
            return user.id
        raise BadRequest("patient_required", _l("The search parameter 'patient' is required."), "patient")
    raw = value.removeprefix("Patient/")
    if not raw.isdigit():
        raise BadRequest("invalid_patient", _l("The search parameter 'patient' is not a patient id."), "patient")
    return int(raw)


def token_filters(resource_type: str, args: dict[str, list[str]]) -> dict[str, list[str]]:
    """The token parameters given for the type (each value a comma-separated list: any of them)."""
    served = TOKEN_PARAMS.get(resource_type, {})
    given = {name: args[name] for name in served if args.get(name)}
    return {name: [v for value in values for v in value.split(",") if v] for name, values in given.items()}


def _matches_tokens(resource_type: str, resource: Resource, tokens: dict[str, list[str]]) -> bool:
    """Each token parameter matches one of the resource's codings, by code or by system|code."""
    for name, wanted in tokens.items():
        codings = TOKEN_PARAMS[resource_type][name](resource)
        keys = {c.code for c in codings} | {f"{c.system}|{c.code}" for c in codings}
        if not keys & set(wanted):
            return False
    return True


def search(
    user: User, resource_type: str, patient_id: int, dates: list[DateBound] = (), tokens: dict | None = None
) -> list[Resource]:
    """The patient's resources of one type, within the date bounds and matching the token
    parameters, if the user may read his record (one audit entry for the search)."""
    if resource_type not in _SEARCHES:
        raise BadRequest("search_not_supported", _l("Search is not supported on %(type)s."), "type", type=resource_type)
    if _patient_user(patient_id) is None:
        raise _not_found(user, None, resource_type, f"?patient={patient_id}")
    _require_patient(user, patient_id, resource_type, f"?patient={patient_id}")
    rows_of, date_of, make = _SEARCHES[resource_type]
    rows = [row for row in rows_of(patient_id) if all(bound.admits(date_of(row)) for bound in dates)]
    found = [r for r in (make(row) for row in rows) if _matches_tokens(resource_type, r, tokens or {})]
    detail = {"search": "patient", "count": len(found)}
    detail |= tokens or {}
    if dates:
        detail["date"] = [f"{b.prefix}{b.day.isoformat()}" for b in dates]
    audit.record_read(user.id, patient_id, _audit_type(resource_type), None, **detail)
    return found


def everything(user: User, patient_id: int) -> tuple[list[Resource], list[Resource]]:
    """The patient's whole record: him, his conditions, allergies, consultations, prescription lines,
    what was handed out, his readings and lab results and his booked visits (matches), and the
    doctors and hospitals they name (included)."""
    patient = _patient_user(patient_id)
    if patient is None:
        raise _not_found(user, None, "Patient", f"{patient_id}/$everything")
    _require_patient(user, patient_id, "Patient", f"{patient_id}/$everything")
    consultations = _encounters(patient_id)
    lines = _prescription_lines(patient_id)
    conditions = _conditions(patient_id)
    matches: list[Resource] = [build.patient(patient)]
    matches += [build.condition(r) for r in conditions]
    matches += [build.allergy_intolerance(r) for r in _allergies(patient_id)]
    matches += [build.encounter(r) for r in consultations]
    matches += [build.medication_request(rx, item) for rx, item in lines]
    matches += [build.medication_dispense(rx, item) for rx, item in lines if rx.status == PrescriptionStatus.DISPENSED]
    matches += [row.resource() for row in care_records.observation_rows(patient_id)]
    visits = care_records.appointment_rows(patient_id)
    matches += [row.resource() for row in visits]
    doctors = {c.doctor for c in consultations if c.doctor is not None} | {v.doctor for v in visits if v.doctor}
    hospitals = {d.hospital for d in doctors} | {c.department.hospital for c in consultations if c.department}
    hospital_ids = {r.hospital_id for r in conditions if r.hospital_id} - {h.id for h in hospitals}
    hospitals |= {db.session.get(Hospital, i) for i in hospital_ids}
    by_id = sorted(doctors, key=lambda d: d.id)
    included = [build.practitioner(d) for d in by_id] + [build.practitioner_role(d) for d in by_id]
    included += [build.organization(h) for h in sorted(hospitals, key=lambda h: h.id) if h is not None]
    audit.record_read(user.id, patient_id, "fhir_everything", patient_id, count=len(matches))
    return matches, included
