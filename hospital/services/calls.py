"""Voice and video calls in a consultation: start, end and the kept record (mode, times, duration).

The media go peer to peer (WebRTC); this module keeps the record and decides who may call.
"""

from __future__ import annotations

import json

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit, clock, notify
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.calls import CallMode, CallSession, CallStatus
from hospital.services import consultation_access

OPEN_CONSULTATION = "accepted"


def call_room(consultation_id: int) -> str:
    return f"call:{consultation_id}"


def consultation_for(user: User, consultation_id: int):
    """The consultation if the user takes part in it (404 otherwise) — the consultation service decides."""
    return consultation_access.get_consultation_for(user, consultation_id)


def party_user_ids(consultation) -> set[int]:
    """The patient and the doctor (user ids) of a consultation."""
    ids = {consultation.patient_id}
    if consultation.doctor is not None:
        ids.add(consultation.doctor.user_id)
    return ids


def may_join_call(user: User, consultation_id: int) -> bool:
    """Only the consultation's patient and doctor, and only while it is open."""
    try:
        consultation = consultation_for(user, consultation_id)
    except (NotFound, Forbidden):
        return False
    return consultation.status == OPEN_CONSULTATION and user.id in party_user_ids(consultation)


def active_call(consultation_id: int) -> CallSession | None:
    query = db.select(CallSession).filter_by(consultation_id=consultation_id, status=CallStatus.ACTIVE)
    return db.session.execute(query.order_by(CallSession.id.desc())).scalars().first()


def list_calls(user: User, consultation_id: int) -> list[CallSession]:
    """The calls of a consultation, oldest first (participants only)."""
    consultation = consultation_for(user, consultation_id)
    audit.record_read(user.id, consultation.patient_id, "call_sessions", consultation_id)
    query = db.select(CallSession).filter_by(consultation_id=consultation_id).order_by(CallSession.id)
    return list(db.session.execute(query).scalars())


def _check_mode(user: User, consultation, mode: str) -> None:
    if mode not in list(CallMode):
        raise ValidationFailed("invalid_mode", _l("A call is voice or video."), field="mode")
    upgraded = db.session.execute(db.select(CallSession.id).filter_by(consultation_id=consultation.id).limit(1)).first()
    # A text consultation becomes a call only when the doctor upgrades it.
    if consultation.mode == "text" and user.role != Role.DOCTOR and upgraded is None:
        raise Forbidden("upgrade_by_doctor", _l("Only the doctor can turn a text consultation into a call."))


def start_call(user: User, consultation_id: int, mode: str) -> CallSession:
    """Start (or join the running) call of an open consultation; tells the other side."""
    consultation = consultation_for(user, consultation_id)
    if consultation.status != OPEN_CONSULTATION:
        raise Conflict("consultation_not_open", _l("Calls are possible only while the consultation is open."))
    running = active_call(consultation_id)
    if running is not None:
        return running
    _check_mode(user, consultation, mode)
    call = CallSession(consultation_id=consultation_id, mode=mode, started_by_id=user.id, started_at=clock.now())
    db.session.add(call)
    db.session.flush()
    audit.record(user.id, consultation.patient_id, "create", "call_session", call.id, mode=mode)
    db.session.commit()
    payload = {"consultation_id": consultation_id, "call_id": call.id, "mode": mode, "by": user.name}
    notify.notify_users(party_user_ids(consultation) - {user.id}, "consultation.call_started", payload)
    return call


def end_call(user: User, consultation_id: int, call_id: int, reason: str = "hangup") -> CallSession:
    """End a call (either side): keeps the end time and duration and hangs up both sides."""
    consultation = consultation_for(user, consultation_id)
    call = db.session.get(CallSession, call_id)
    if call is None or call.consultation_id != consultation_id:
        raise NotFound("call_not_found", _l("No such call."))
    if call.status == CallStatus.ENDED:
        return call
    ended = clock.now()
    call.status = CallStatus.ENDED  # a call has two states; ending is its only move
    call.ended_at, call.ended_by_id, call.end_reason = ended, user.id, reason
    call.duration_seconds = max(0, int((ended - call.started_at).total_seconds()))
    audit.record(user.id, consultation.patient_id, "update", "call_session", call.id, ended=reason)
    db.session.commit()
    payload = {"consultation_id": consultation_id, "call_id": call.id, "duration_seconds": call.duration_seconds}
    notify.broadcast(call_room(consultation_id), "call.ended", payload)
    return call


def ice_config() -> dict:
    """What the page needs to set up peer connections: ICE servers and the loopback switch."""
    raw = current_app.config.get("ICE_SERVERS") or "[]"
    servers = json.loads(raw) if isinstance(raw, str) else list(raw)
    return {"ice_servers": servers, "loopback_only": bool(current_app.config.get("LOOPBACK_ICE_ONLY"))}
