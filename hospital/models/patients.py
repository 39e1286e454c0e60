"""What the hospital knows of a patient beyond his account: confirmed diagnoses and allergies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class ConfirmedDiagnosis(db.Model):
    """A diagnosis confirmed at an in-person visit: what makes an online visit a follow-up."""

    __tablename__ = "confirmed_diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    hospital_name: Mapped[str] = mapped_column(String(100))
    diagnosis: Mapped[str] = mapped_column(String(200))
    icd10: Mapped[str] = mapped_column(String(16))
    diagnosed_on: Mapped[date] = mapped_column(Date)
    chronic: Mapped[bool] = mapped_column(Boolean, default=True)
    # A stable chronic condition allows a long prescription of up to 12 weeks.
    stable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Allergy(db.Model):
    """A known allergy: an allergen group of the formulary (e.g. penicillin) or a free text."""

    __tablename__ = "allergies"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    allergen: Mapped[str] = mapped_column(String(60))  # matches the formulary's allergen_groups
    reaction: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
