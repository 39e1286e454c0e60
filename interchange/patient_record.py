"""The patient's own readable record: what he needs to carry to any doctor, gathered in one place
(personal details, confirmed diagnoses, allergies, medicines in supply and how to take them, recent
prescriptions, consultations, recent readings with his target band, upcoming visits).

Only the patient himself downloads it (his doctors read the FHIR record); anyone else gets a 404,
audited like every refused look at a record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from chronic import readings as care_readings
from chronic import targets as care_targets
from chronic.models import Booking, BookingStatus, Reading, VisitSlot
from core import audit, clock
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation
from hospital.models.patients import Allergy, ConfirmedDiagnosis, DiagnosisStatus
from hospital.models.prescriptions import Prescription, PrescriptionItem, PrescriptionStatus
from hospital.services import clinical_access, medications
from hospital.services.medications import ActiveMedication

RECENT_PRESCRIPTIONS = 8
RECENT_CONSULTATIONS = 8
READING_DAYS = 30
RECENT_READINGS = 12


@dataclass
class PatientRecord:
    """Everything the readable record prints, as rows of the hospital's own objects."""

    patient: User
    printed_at: datetime
    diagnoses: list[ConfirmedDiagnosis] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    medicines: list[ActiveMedication] = field(default_factory=list)
    instructions: dict[tuple[int, str], PrescriptionItem] = field(default_factory=dict)
    prescriptions: list[Prescription] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    targets: dict = field(default_factory=dict)
    visits: list[Booking] = field(default_factory=list)


def _rows(query) -> list:
    return list(db.session.execute(query).scalars())


def _diagnoses(patient_id: int) -> list[ConfirmedDiagnosis]:
    query = db.select(ConfirmedDiagnosis).filter_by(patient_id=patient_id, status=DiagnosisStatus.CONFIRMED)
    return _rows(query.order_by(ConfirmedDiagnosis.diagnosed_on.desc()))


def _allergies(patient_id: int) -> list[Allergy]:
    return _rows(db.select(Allergy).filter_by(patient_id=patient_id, active=True).order_by(Allergy.id))


def _prescriptions(patient_id: int) -> list[Prescription]:
    query = db.select(Prescription).where(
        Prescription.patient_id == patient_id, Prescription.status != PrescriptionStatus.DRAFT
    )
    return _rows(query.order_by(Prescription.created_at.desc()).limit(RECENT_PRESCRIPTIONS))


def _instructions(medicines: list[ActiveMedication]) -> dict[tuple[int, str], PrescriptionItem]:
    """The prescription line of each medicine in supply (its route and the doctor's words)."""
    ids = {m.prescription_id for m in medicines}
    if not ids:
        return {}
    items = _rows(db.select(PrescriptionItem).where(PrescriptionItem.prescription_id.in_(ids)))
    return {(item.prescription_id, item.drug_code): item for item in items}


def _consultations(patient_id: int) -> list[Consultation]:
    query = db.select(Consultation).filter_by(patient_id=patient_id).order_by(Consultation.created_at.desc())
    return _rows(query.limit(RECENT_CONSULTATIONS))


def _readings(patient_id: int) -> list[Reading]:
    since = clock.now() - timedelta(days=READING_DAYS)
    query = db.select(Reading).where(Reading.patient_id == patient_id, Reading.measured_at >= since)
    return _rows(query.order_by(Reading.measured_at.desc()).limit(RECENT_READINGS))


def _upcoming_visits(patient_id: int) -> list[Booking]:
    query = (
        db.select(Booking)
        .join(VisitSlot, VisitSlot.id == Booking.slot_id)
        .where(
            Booking.patient_id == patient_id,
            Booking.status == BookingStatus.BOOKED,
            VisitSlot.starts_at > clock.now(),
        )
        .order_by(VisitSlot.starts_at)
    )
    return _rows(query)


def gather(patient: User, today: date | None = None) -> PatientRecord:
    """The record's content for a patient (no access check: see own_record)."""
    medicines = medications.active_medications(patient.id, today)
    return PatientRecord(
        patient=patient,
        printed_at=clock.now(),
        diagnoses=_diagnoses(patient.id),
        allergies=_allergies(patient.id),
        medicines=medicines,
        instructions=_instructions(medicines),
        prescriptions=_prescriptions(patient.id),
        consultations=_consultations(patient.id),
        readings=_readings(patient.id),
        targets=care_targets.targets_of(patient.id),
        visits=_upcoming_visits(patient.id),
    )


def own_record(user: User, patient_id: int) -> PatientRecord:
    """The patient's own record, audited; anyone else (another patient, a doctor) gets a 404."""
    if user.role != Role.PATIENT or user.id != patient_id:
        raise clinical_access.refused(user, patient_id, "record_pdf", patient_id)
    record = gather(user)
    audit.record_read(user.id, user.id, "record_pdf", user.id, readings=len(record.readings))
    return record


def reading_summary(reading: Reading) -> str:
    return care_readings.summary_of(reading)
