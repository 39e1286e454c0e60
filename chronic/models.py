"""Tables of chronic care between visits."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class ReadingKind(enum.StrEnum):
    BLOOD_PRESSURE = "blood_pressure"
    GLUCOSE = "glucose"
    WEIGHT = "weight"


class GlucoseContext(enum.StrEnum):
    FASTING = "fasting"
    AFTER_MEAL = "after_meal"
    RANDOM = "random"


class ReadingLevel(enum.StrEnum):
    NORMAL = "normal"
    LOW = "low"  # below the target band (e.g. hypoglycaemia)
    HIGH = "high"  # above the target, below the alert threshold
    URGENT = "urgent"  # at or above the alert threshold: the on-duty doctors are told


class Reading(db.Model):
    """A home reading; blood pressure fills systolic/diastolic/pulse, glucose and weight `value`."""

    __tablename__ = "chronic_readings"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "measured_at", name="uq_reading_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    context: Mapped[str | None] = mapped_column(String(12))  # glucose: fasting / after_meal / random
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    pulse: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))  # mmHg / mmol/L / kg
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    level: Mapped[str] = mapped_column(String(8), default=ReadingLevel.NORMAL)
    source: Mapped[str] = mapped_column(String(8), default="manual")  # manual / csv
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CareTargets(db.Model):
    """A patient's target band and alert thresholds; absent means the guideline defaults."""

    __tablename__ = "chronic_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    bp_systolic_target: Mapped[int] = mapped_column(Integer)
    bp_diastolic_target: Mapped[int] = mapped_column(Integer)
    bp_systolic_urgent: Mapped[int] = mapped_column(Integer)
    bp_diastolic_urgent: Mapped[int] = mapped_column(Integer)
    glucose_fasting_low: Mapped[float] = mapped_column(Float)
    glucose_fasting_high: Mapped[float] = mapped_column(Float)
    glucose_after_meal_high: Mapped[float] = mapped_column(Float)
    glucose_urgent: Mapped[float] = mapped_column(Float)
    glucose_urgent_low: Mapped[float] = mapped_column(Float)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class AlertKind(enum.StrEnum):
    URGENT = "urgent"  # one reading at or past the alert threshold
    TREND = "trend"  # repeated high readings


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class Alert(db.Model):
    __tablename__ = "chronic_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("chronic_readings.id"))
    kind: Mapped[str] = mapped_column(String(8))
    reading_kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(120))  # e.g. "186/112 mmHg"
    status: Mapped[str] = mapped_column(String(14), default=AlertStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient = relationship("User", foreign_keys=[patient_id])


class DoseStatus(enum.StrEnum):
    TAKEN = "taken"
    SKIPPED = "skipped"


class DoseMark(db.Model):
    """The patient's mark on one scheduled dose of a prescription item."""

    __tablename__ = "chronic_dose_marks"
    __table_args__ = (UniqueConstraint("prescription_item_id", "scheduled_at", name="uq_dose_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prescription_item_id: Mapped[int] = mapped_column(ForeignKey("prescription_items.id"), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ReminderSent(db.Model):
    """One row per reminder pushed (a dose due, a medicine running out): the unique key makes the
    periodic sweep safe to run in every server process at once."""

    __tablename__ = "chronic_reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "prescription_item_id", "due_at", name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # dose / run_out
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prescription_item_id: Mapped[int] = mapped_column(ForeignKey("prescription_items.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class FollowUpPlan(db.Model):
    """随访计划: set by a doctor for a patient; its items fall due at fixed intervals."""

    __tablename__ = "chronic_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    doctor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    items: Mapped[list[FollowUpItem]] = relationship(back_populates="plan", order_by="FollowUpItem.id")
    doctor = relationship("User", foreign_keys=[doctor_user_id])


class FollowUpItem(db.Model):
    """One recurring item: a reading kind, a visit, or a lab test (`lab:HBA1C`)."""

    __tablename__ = "chronic_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("chronic_plans.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    interval_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    last_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_done_by: Mapped[str | None] = mapped_column(String(40))  # "reading:12", "consultation:3"
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    plan: Mapped[FollowUpPlan] = relationship(back_populates="items")


class LabResult(db.Model):
    """A structured lab result: from a network hospital, an order, or a patient's report confirmed by a doctor."""

    __tablename__ = "chronic_lab_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    ref_low: Mapped[float | None] = mapped_column(Float)
    ref_high: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str] = mapped_column(String(2), default="N")  # N / H / L
    hospital_name: Mapped[str] = mapped_column(String(100))
    taken_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8))  # network / upload / order
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lab_order_id: Mapped[int | None] = mapped_column(ForeignKey("chronic_lab_orders.id"), index=True)
    report_upload: Mapped[str | None] = mapped_column(String(80))  # stored file name of the report
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class LabOrderStatus(enum.StrEnum):
    ORDERED = "ordered"
    BOOKED = "booked"
    RESULTED = "resulted"
    CANCELLED = "cancelled"


class LabOrder(db.Model):
    """检验检查: tests a doctor orders in a consultation; the patient books a slot; results come back."""

    __tablename__ = "chronic_lab_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    doctor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tests: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=LabOrderStatus.ORDERED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlotPurpose(enum.StrEnum):
    VISIT = "visit"  # an in-person visit on referral
    LAB = "lab"  # lab tests and examinations


class VisitSlot(db.Model):
    """A department's published time slot (分时段) with a capacity; `booked` never passes it."""

    __tablename__ = "chronic_slots"
    __table_args__ = (
        UniqueConstraint("department_id", "purpose", "starts_at", name="uq_slot_time"),
        CheckConstraint("booked <= capacity", name="ck_slot_capacity"),
        CheckConstraint("booked >= 0", name="ck_slot_booked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(8), default=SlotPurpose.VISIT)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    department = relationship("Department")


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class Booking(db.Model):
    __tablename__ = "chronic_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("chronic_slots.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    lab_order_id: Mapped[int | None] = mapped_column(ForeignKey("chronic_lab_orders.id"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # shown as a QR code at the hospital
    status: Mapped[str] = mapped_column(String(10), default=BookingStatus.BOOKED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[VisitSlot] = relationship()


class Referral(db.Model):
    """Where a referred consultation sends the patient: the department the doctor chose
    (the consultation's own department until he chooses another)."""

    __tablename__ = "chronic_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
