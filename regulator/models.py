"""The regulator's outbox (one row per report, written in the reported change's own transaction)
and the daily reconciliation results.

A report is never doubled: its message id is unique, and so is (report type, record), so an event
reported once stays reported once even if a machine were to announce it again.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class ReportStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (or to be sent again after a failed try)
    SENT = "sent"  # the platform answered with a receipt
    FAILED = "failed"  # the platform refused it as invalid: retrying the same message cannot help


class RegulatorReport(db.Model):
    __tablename__ = "regulator_outbox"
    __table_args__ = (UniqueConstraint("report_type", "record_id", name="uq_regulator_report_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    msgid: Mapped[str] = mapped_column(String(40), unique=True)
    report_type: Mapped[str] = mapped_column(String(40), index=True)
    record_id: Mapped[int] = mapped_column(Integer)  # the consultation, prescription or booking
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # filled just before the commit
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_field: Mapped[str] = mapped_column(String(80), default="")
    receipt_no: Mapped[str] = mapped_column(String(40), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def subject_no(self) -> str:
        """The number of the record reported (prescription, booking or consultation), as sent."""
        payload = self.payload or {}
        return payload.get("prescription_no") or payload.get("booking_no") or payload.get("consultation_no") or ""


class RegulatorReconciliation(db.Model):
    """One comparison of a day's counts per report type with the platform's."""

    __tablename__ = "regulator_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    balanced: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {type: {"ours": n, "theirs": m}}
    error: Mapped[str] = mapped_column(Text, default="")  # the platform could not be asked
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
