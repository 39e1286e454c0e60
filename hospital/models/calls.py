"""Voice and video call sessions held during a consultation (the record of the call, not the media)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class CallMode(enum.StrEnum):
    VOICE = "voice"
    VIDEO = "video"


class CallStatus(enum.StrEnum):
    ACTIVE = "active"  # started; the peers negotiate and talk
    ENDED = "ended"  # hung up (or dropped and closed); duration kept


class CallSession(db.Model):
    """One call in a consultation: who started it, in which mode, when it began and ended.

    A doctor "upgrading" a text consultation to voice or video is recorded here (the mode of the
    call), so the consultation's own record stays the consultation engineer's.
    """

    __tablename__ = "call_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    mode: Mapped[str] = mapped_column(String(8), default=CallMode.VIDEO)
    status: Mapped[str] = mapped_column(String(8), default=CallStatus.ACTIVE, index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # hangup / dropped / consultation_ended
