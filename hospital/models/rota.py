"""Shift rotas: which doctor consults online when, and how many patients a shift takes."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class ShiftKind(enum.StrEnum):
    MORNING = "morning"
    EVENING = "evening"
    # A 24-hour on-call duty (the seed platform answered around the clock); times from config.
    ONCALL = "oncall"


class Shift(db.Model):
    """One doctor on the online rota for one shift; `accepted` counts patients taken (<= capacity)."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("doctor_id", "day", "kind"),
        CheckConstraint("accepted <= capacity", name="ck_shift_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # the local calendar day it starts on
    kind: Mapped[str] = mapped_column(String(12))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    # Set once the end-of-shift sweep has handed over this shift's open consultations.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    doctor = relationship("Doctor")
    department = relationship("Department")
