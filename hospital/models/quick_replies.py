"""Quick replies (常用语): each doctor's own short texts, in his order, inserted into a chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.types import UTCDateTime

MAX_TEXT = 200  # a chat line, not a letter
MAX_PER_DOCTOR = 50  # a row of chips stays a row


class QuickReply(db.Model):
    """One of a doctor's quick replies; `position` orders them (0 first, Alt+1 inserts it)."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class QuickReplyDefaults(db.Model):
    """Marks a doctor whose default set was given once, so that deleting them all keeps it empty."""

    __tablename__ = "quick_reply_defaults"

    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
