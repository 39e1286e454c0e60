"""Socket.IO for consultations: the consultation room (chat, typing, read receipts) and the
department queue room. (The shift-end sweep runs as a periodic task: services.consultation_handover.)

Rooms: "consultation:<id>" (patient and consulting doctor; a doctor on shift may look at a
waiting one of his queue) and "queue:<department_id>" (doctors of that department).
"""

from __future__ import annotations

from core import rooms
from core.errors import AppError
from core.events import socket_user
from core.extensions import db, socketio
from hospital.services import chat
from hospital.services import consultation_access as access


def _may_join_consultation(user, ident: str) -> bool:
    if not ident.isdigit():
        return False
    try:
        consultation = access.get_consultation_for(user, int(ident))
    except AppError:
        return False
    doctor = access.doctor_of(user)
    return access.is_participant(user, consultation) or (
        doctor is not None and access.in_queue_of(doctor, consultation)
    )


def _on_join_consultation(user, ident: str, data: dict, sid: str) -> dict:
    """Answer the join with what the client missed (messages after `since`) and the read state."""
    consultation = access.get_consultation_for(user, int(ident))
    answer = {
        "status": consultation.status,
        "last_seq": consultation.last_seq,
        "reads": {str(k): v for k, v in chat.read_state(consultation.id).items()},
    }
    since = data.get("since") if isinstance(data, dict) else None
    if isinstance(since, int):
        answer["messages"] = chat.messages_since(user, consultation.id, since)
    return answer


def _may_join_queue(user, ident: str) -> bool:
    doctor = access.doctor_of(user)
    return doctor is not None and ident == str(doctor.department_id)


def _on_message(user, ident: str, data: dict, sid: str) -> dict:
    """Chat: store first (with its seq), then the service broadcasts `message` to the room."""
    message, created = chat.post_message(user, int(ident), data.get("text", ""), data.get("client_id"))
    return {"message": message, "duplicate": not created}


def _on_typing(user, ident: str, typing: bool) -> dict:
    return {"consultation_id": int(ident), "user_id": user.id, "name": user.name, "typing": typing}


rooms.register_room_kind(
    "consultation",
    _may_join_consultation,
    _on_join_consultation,
    on_message=_on_message,
    on_typing=_on_typing,
    id_key="consultation_id",
)
rooms.register_room_kind("queue", _may_join_queue)


def _consultation_id(data) -> int | None:
    if not isinstance(data, dict):
        return None
    value = data.get("consultation_id")
    if value is None and str(data.get("room", "")).startswith("consultation:"):
        value = data["room"].partition(":")[2]
    return int(value) if str(value).isdigit() else None


def _error(err: AppError) -> dict:
    return {"ok": False, "error": err.reason, "message": err.render_message()}


@socketio.on("read")
def on_read(data):
    """Read receipt: the participant has read up to `seq`; broadcast `consultation.read`."""
    user, consultation_id = socket_user(), _consultation_id(data)
    try:
        if user is None or consultation_id is None:
            return {"ok": False, "error": "forbidden"}
        return {"ok": True, **chat.mark_read(user, consultation_id, data.get("seq", 0))}
    except AppError as err:
        db.session.rollback()
        return _error(err)
    finally:
        db.session.remove()
