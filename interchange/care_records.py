"""The rows of care between visits that the FHIR record shows: home readings and lab results
(Observation) and booked visits (Appointment), each with its day and how to build it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fhir.resources.R4B.resource import Resource

from chronic import targets as care_targets
from chronic.models import Booking, LabOrder, LabResult, Reading
from core import clock
from core.extensions import db
from hospital.models.consultations import Consultation
from hospital.models.network import Doctor
from interchange import fhir_care


@dataclass(frozen=True)
class CareRow:
    """One row of the patient's care as it reads in FHIR: its patient, its day, how to build it."""

    patient_id: int
    day: date
    build: Callable[[], Resource]
    doctor: Doctor | None = None  # who the resource names (an Appointment's referrer), for $everything

    def resource(self) -> Resource:
        return self.build()


def _reading_row(reading: Reading, targets: dict) -> CareRow:
    day = clock.to_local(reading.measured_at).date()
    return CareRow(reading.patient_id, day, lambda: fhir_care.reading_observation(reading, targets))


def _lab_row(result: LabResult) -> CareRow:
    return CareRow(result.patient_id, result.taken_on, lambda: fhir_care.lab_observation(result))


def observation_rows(patient_id: int) -> list[CareRow]:
    """The patient's home readings (oldest first) and then his lab results (oldest first)."""
    targets = care_targets.targets_of(patient_id)
    readings = db.session.execute(
        db.select(Reading).filter_by(patient_id=patient_id).order_by(Reading.measured_at, Reading.id)
    ).scalars()
    labs = db.session.execute(
        db.select(LabResult).filter_by(patient_id=patient_id).order_by(LabResult.taken_on, LabResult.id)
    ).scalars()
    return [_reading_row(r, targets) for r in readings] + [_lab_row(r) for r in labs]


def observation_row(resource_id: str) -> CareRow | None:
    """An Observation by its id: `reading-12` (a home reading) or `lab-3` (a lab result)."""
    for prefix, model in ((fhir_care.READING_ID, Reading), (fhir_care.LAB_ID, LabResult)):
        raw = resource_id.removeprefix(prefix)
        if raw != resource_id and raw.isdigit() and len(raw) < 19:
            row = db.session.get(model, int(raw))
            if row is None:
                return None
            if model is Reading:
                return _reading_row(row, care_targets.targets_of(row.patient_id))
            return _lab_row(row)
    return None


def _referrer(booking: Booking) -> tuple[Doctor | None, int | None]:
    """The doctor who sent the patient (the referring consultation's, or the one who ordered the
    tests) and the diagnosis the visit is for."""
    consultation = db.session.get(Consultation, booking.consultation_id) if booking.consultation_id else None
    if consultation is None and booking.lab_order_id:
        order = db.session.get(LabOrder, booking.lab_order_id)
        consultation = db.session.get(Consultation, order.consultation_id) if order else None
    if consultation is None:
        return None, None
    return consultation.doctor, consultation.diagnosis_id


def _booking_row(booking: Booking) -> CareRow:
    doctor, diagnosis_id = _referrer(booking)
    named = (doctor.id, doctor.user.name) if doctor else None
    day = clock.to_local(booking.slot.starts_at).date()
    return CareRow(booking.patient_id, day, lambda: fhir_care.appointment(booking, named, diagnosis_id), doctor)


def appointment_rows(patient_id: int) -> list[CareRow]:
    query = db.select(Booking).filter_by(patient_id=patient_id).order_by(Booking.id)
    return [_booking_row(b) for b in db.session.execute(query).scalars()]


def appointment_row(booking_id: int) -> CareRow | None:
    booking = db.session.get(Booking, booking_id)
    return _booking_row(booking) if booking else None
