"""Follow-up consultations (text, voice, video), their messages and medical records."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class ConsultationStatus(enum.StrEnum):
    WAITING = "waiting"  # in the department's / doctor's queue
    ACCEPTED = "accepted"  # the doctor on shift took it; chat is open
    COMPLETED = "completed"  # ended with a medical record
    REFERRED = "referred"  # ended with a referral to an in-person visit
    CANCELLED = "cancelled"  # withdrawn while waiting
    EXPIRED = "expired"  # not accepted before the shift ended


class ConsultationMode(enum.StrEnum):
    TEXT = "text"
    VOICE = "voice"
    VIDEO = "video"


class Consultation(db.Model):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    # The confirmed in-person diagnosis this follow-up refers to (no first visits online).
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("confirmed_diagnoses.id"))
    mode: Mapped[str] = mapped_column(String(8), default=ConsultationMode.TEXT)
    status: Mapped[str] = mapped_column(String(12), default=ConsultationStatus.WAITING, index=True)
    complaint: Mapped[str] = mapped_column(Text, default="")
    guardian_name: Mapped[str | None] = mapped_column(String(64))
    guardian_relation: Mapped[str | None] = mapped_column(String(20))
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    # A renewal request carries the prescription it proposes to copy (the doctor decides).
    renewal_of_prescription_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient = relationship("User", foreign_keys=[patient_id])
    doctor = relationship("Doctor")
    department = relationship("Department")
    diagnosis = relationship("ConfirmedDiagnosis")
