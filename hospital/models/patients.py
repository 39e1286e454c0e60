"""What the hospital knows of a patient beyond his account: in-person visit records, diagnoses with
their source (confirmed or only claimed), and allergies."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class DiagnosisStatus(enum.StrEnum):
    CLAIMED = "claimed"  # typed by the patient: waits for a doctor who has seen the in-person record
    CONFIRMED = "confirmed"  # from a network hospital's visit record, or confirmed by a doctor
    REJECTED = "rejected"  # a doctor refused it, with a reason the patient sees


class DiagnosisSource(enum.StrEnum):
    VISIT_RECORD = "visit_record"  # an in-person visit record of a network hospital
    DOCTOR_REVIEW = "doctor_review"  # a doctor confirmed it after seeing the uploaded record
    PATIENT_CLAIM = "patient_claim"  # the patient's own word (until a doctor decides)


class InPersonVisit(db.Model):
    """An in-person visit at a network hospital (门诊 or 住院), as its record system reports it."""

    __tablename__ = "in_person_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    doctor_name: Mapped[str] = mapped_column(String(64))
    visited_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default="outpatient")  # outpatient / inpatient
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    hospital = relationship("Hospital")
    department = relationship("Department")


class ConfirmedDiagnosis(db.Model):
    """A diagnosis of the patient with where it comes from; only a confirmed one opens a follow-up
    that may end in a prescription. (The class keeps its historical name: other areas refer to it.)"""

    __tablename__ = "confirmed_diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    hospital_name: Mapped[str] = mapped_column(String(100))
    diagnosis: Mapped[str] = mapped_column(String(200))
    icd10: Mapped[str] = mapped_column(String(16))
    diagnosed_on: Mapped[date] = mapped_column(Date)
    chronic: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rows written straight into the table are the record systems' (confirmed); every path of the
    # application sets status and source explicitly (a patient's entry is claimed).
    status: Mapped[str] = mapped_column(String(12), default=DiagnosisStatus.CONFIRMED, index=True)
    source: Mapped[str] = mapped_column(String(16), default=DiagnosisSource.VISIT_RECORD)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("in_person_visits.id"))
    # The patient's upload of the in-person record (门诊病历 / 出院小结): stored name and type.
    record_file: Mapped[str | None] = mapped_column(String(80))
    record_mime: Mapped[str | None] = mapped_column(String(40))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_in_consultation_id: Mapped[int | None] = mapped_column(Integer)  # no FK: consultations refer here
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    # A stable chronic condition allows a long prescription of up to 12 weeks; only a doctor says so.
    stable: Mapped[bool] = mapped_column(Boolean, default=False)
    stable_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    visit = relationship(InPersonVisit)
    decided_by = relationship("User", foreign_keys=[decided_by_user_id])
    stable_by = relationship("User", foreign_keys=[stable_by_user_id])

    @property
    def confirmed(self) -> bool:
        return self.status == DiagnosisStatus.CONFIRMED

    @property
    def has_record(self) -> bool:
        return bool(self.record_file)


class AllergySeverity(enum.StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    ANAPHYLAXIS = "anaphylaxis"


class AllergySource(enum.StrEnum):
    PATIENT_REPORTED = "patient_reported"
    DOCTOR_CONFIRMED = "doctor_confirmed"


class Allergy(db.Model):
    """A known allergy: an allergen group of the formulary (e.g. penicillin) or a free text.

    Never deleted: a mistaken entry is withdrawn (active=False); every change is in the audit log."""

    __tablename__ = "allergies"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    allergen: Mapped[str] = mapped_column(String(60))  # a formulary allergen group code, or free text
    in_catalogue: Mapped[bool] = mapped_column(Boolean, default=True)
    reaction: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(12), default=AllergySeverity.MODERATE)
    source: Mapped[str] = mapped_column(String(20), default=AllergySource.PATIENT_REPORTED)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    recorded_by = relationship("User", foreign_keys=[recorded_by_user_id])
    updated_by = relationship("User", foreign_keys=[updated_by_user_id])
