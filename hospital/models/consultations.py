"""Follow-up consultations (text, voice, video), their messages and medical records."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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
    # Added by the consultations area (the fields above are shared with other areas).
    # The waiting consultation expires at this instant (end of the shift it waits for).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The accepting doctor's shift (counts against its capacity).
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id"), index=True)
    # The doctor chose to keep it past his shift's end instead of handing it over.
    kept_by_doctor: Mapped[bool] = mapped_column(Boolean, default=False)
    end_reason: Mapped[str | None] = mapped_column(Text)  # referral reason or cancel reason
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The last message sequence number given in this consultation (monotonic, per consultation).
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    SYSTEM = "system"


class ConsultationMessage(db.Model):
    """One chat message; kept with the consultation (never deleted by the application)."""

    __tablename__ = "consultation_messages"
    __table_args__ = (
        UniqueConstraint("consultation_id", "seq"),
        # A resend of the same client-generated id is the same message.
        UniqueConstraint("consultation_id", "sender_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8), default=MessageKind.TEXT)
    text: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(64))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_attachments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    sender = relationship("User")
    attachment = relationship("ConsultationAttachment")


class ConsultationAttachment(db.Model):
    """An image sent in the chat or with the request; the file lives under UPLOAD_FOLDER."""

    __tablename__ = "consultation_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(200), default="")
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ReadReceipt(db.Model):
    """How far each participant has read (the highest seq seen)."""

    __tablename__ = "consultation_reads"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class MedicalRecord(db.Model):
    """The doctor's record of the follow-up visit (kept at least 15 years)."""

    __tablename__ = "medical_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), unique=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    chief_complaint: Mapped[str] = mapped_column(Text, default="")
    history: Mapped[str] = mapped_column(Text, default="")
    diagnosis: Mapped[str] = mapped_column(String(200), default="")
    icd10: Mapped[str] = mapped_column(String(16), default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Handover(db.Model):
    """An open consultation passed from one doctor to a colleague (or kept) at shift change."""

    __tablename__ = "consultation_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    from_doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    to_doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    kept: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
