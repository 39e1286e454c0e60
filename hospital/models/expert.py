"""Remote multi-expert consultations: the case, its panel, materials, the room's record, opinions
and the leader's signed conclusion."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class CaseStatus(enum.StrEnum):
    REQUESTED = "requested"  # written by the requesting doctor
    SCHEDULED = "scheduled"  # invitations sent, waiting for the time
    IN_SESSION = "in_session"  # the room is open
    CONCLUDED = "concluded"  # the leader signed the consolidated opinion
    CLOSED = "closed"
    CANCELLED = "cancelled"


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the case leader: out of the panel and the room


class CaseMode(enum.StrEnum):
    CONSULTATION = "consultation"  # a panel discusses a patient
    LECTURE = "lecture"  # a training session: presenters on stage, network hospitals' staff watch


# A lecture's room (the domain's limits, enforced by the services): one or two presenters hold
# the stage, the host may bring up to LECTURE_GUESTS_MAX viewers up beside them, and at most
# LECTURE_VIEWERS_MAX staff of network hospitals watch (receive only), ask by chat or by hand.
LECTURE_PRESENTERS_MAX = 2
LECTURE_GUESTS_MAX = 2
LECTURE_STAGE_MAX = LECTURE_PRESENTERS_MAX + LECTURE_GUESTS_MAX
LECTURE_VIEWERS_MAX = 100


class IntervalKind(enum.StrEnum):
    ROOM = "room"  # connected to the room (first socket joined .. last socket left)
    STAGE = "stage"  # on the video stage


class CaseEventKind(enum.StrEnum):
    MESSAGE = "message"
    PRESENCE = "presence"
    STAGE = "stage"
    HAND = "hand"
    STATUS = "status"
    INVITATION = "invitation"
    MATERIAL = "material"
    OPINION = "opinion"
    CONSENT = "consent"


class ExpertCase(db.Model):
    __tablename__ = "expert_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requesting_doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    # The hospital that asked; "each hospital sees its cases".
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    questions: Mapped[list] = mapped_column(JSON, default=list)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_department_ids: Mapped[list] = mapped_column(JSON, default=list)
    mode: Mapped[str] = mapped_column(String(12), default=CaseMode.CONSULTATION)
    # Lecture: the presenters' user ids (the stage when the room opens) and the audience's hospitals.
    presenter_user_ids: Mapped[list] = mapped_column(JSON, default=list)
    audience_hospital_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=CaseStatus.REQUESTED, index=True)
    # The patient's records (diagnoses, allergies) are shown to the panel only with his consent.
    records_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_note: Mapped[str] = mapped_column(String(200), default="")
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The room's state: who holds the floor (video stage) and who raised a hand, in order.
    stage_user_ids: Mapped[list] = mapped_column(JSON, default=list)
    hand_queue: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient = relationship("User", foreign_keys=[patient_id])
    requesting_doctor = relationship("Doctor", foreign_keys=[requesting_doctor_id])
    leader = relationship("Doctor", foreign_keys=[leader_id])
    hospital = relationship("Hospital")
    invitations: Mapped[list[CaseInvitation]] = relationship(back_populates="case", order_by="CaseInvitation.id")
    conclusion: Mapped[CaseConclusion | None] = relationship(back_populates="case", uselist=False)


class CaseInvitation(db.Model):
    __tablename__ = "case_invitations"
    __table_args__ = (UniqueConstraint("case_id", "doctor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=InvitationStatus.INVITED)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[ExpertCase] = relationship(back_populates="invitations")
    doctor = relationship("Doctor")


class CaseMaterial(db.Model):
    """A lab result, image or document shared with the panel (the file is under UPLOAD_FOLDER)."""

    __tablename__ = "case_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # lab / image / document
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class CaseEvent(db.Model):
    """Everything said and decided in the case, in order: chat, presence, stage, hands, status."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSON)

    user = relationship("User")


class CaseOpinion(db.Model):
    """One expert's opinion; an expert may record several (the latest is his current one)."""

    __tablename__ = "case_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    doctor = relationship("Doctor")


class AttendanceInterval(db.Model):
    """One stretch of a participant's time in the room or on its stage: the record of who was
    there and who spoke when (several per person: leave and rejoin make a new one)."""

    __tablename__ = "case_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(6))  # IntervalKind
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # open while it lasts

    user = relationship("User")


class CaseConclusion(db.Model):
    """The leader's consolidated opinion, signed (Ed25519 over the canonical content)."""

    __tablename__ = "case_conclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("expert_cases.id"), unique=True)
    diagnosis: Mapped[str] = mapped_column(Text)
    treatment_advice: Mapped[str] = mapped_column(Text)
    answers: Mapped[list] = mapped_column(JSON, default=list)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    content_digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(120))
    public_key: Mapped[str] = mapped_column(String(64))

    case: Mapped[ExpertCase] = relationship(back_populates="conclusion")
    signed_by = relationship("User")
