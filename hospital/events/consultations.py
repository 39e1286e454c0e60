"""Socket.IO for consultations: the consultation room (chat, typing, read receipts) and the
department queue room. (The shift-end sweep runs as a periodic task: services.consultation_handover.)

Rooms: "consultation:<id>" (patient and consulting doctor; a doctor on shift may look at a
waiting one of his queue) and "queue:<department_id>" (doctors of that department).

A participant's chat seat is settled when his socket joins and kept per socket, so a message
costs no reading of the user or of the consultation; the store itself re-checks that the seat may
still write (see services.chat.post_from_seat), and a seat goes with the socket's membership.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import accounts, rooms
from core import socket_schemas as schemas
from core.errors import AppError, Forbidden
from core.events import current_identity, socket_event, unauthenticated
from hospital.services import chat
from hospital.services import consultation_access as access

# sid -> consultation id -> the participant's seat (this process's sockets only)
_seats: dict[str, dict[int, chat.ChatSeat]] = {}


def _may_join_consultation(user, ident: str) -> bool:
    if not ident.isdigit() or int(ident) > schemas.MAX_ID:
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
    seat = chat.seat_for(user, consultation)
    if seat is not None:
        _seats.setdefault(sid, {})[consultation.id] = seat
    answer = {
        "status": consultation.status,
        "last_seq": consultation.last_seq,
        "reads": {str(k): v for k, v in chat.read_state(consultation.id).items()},
    }
    since = data.get("since")
    if isinstance(since, int):
        answer["messages"] = chat.messages_since(user, consultation.id, since)
    return answer


def _on_leave_consultation(user, ident: str, sid: str) -> None:
    seats = _seats.get(sid)
    if seats is not None:
        seats.pop(int(ident), None)
        if not seats:
            _seats.pop(sid, None)


def _may_join_queue(user, ident: str) -> bool:
    doctor = access.doctor_of(user)
    return doctor is not None and ident == str(doctor.department_id)


def _seat(identity, consultation_id: int, sid: str) -> chat.ChatSeat:
    """The socket's seat; settled now when it joined before it became a participant (a doctor who
    looked at a waiting consultation, then accepted it)."""
    seat = _seats.get(sid, {}).get(consultation_id)
    if seat is None:
        user = accounts.get_by_id(identity.id)
        consultation = access.get_consultation_for(user, consultation_id) if user is not None else None
        seat = chat.seat_for(user, consultation) if consultation is not None else None
        if seat is None:
            raise Forbidden("not_participant", _l("Only the patient and the consulting doctor may do this."))
        _seats.setdefault(sid, {})[consultation_id] = seat
    return seat


def _on_message(identity, ident: str, data: dict, sid: str) -> dict:
    """Chat: store first (with its seq), then the service relays `message` to the room."""
    seat = _seat(identity, int(ident), sid)
    message, created = chat.post_from_seat(seat, data["text"], data.get("client_id"))
    return {"message": message, "duplicate": not created}


def _on_typing(identity, ident: str, typing: bool) -> dict:
    return {"consultation_id": int(ident), "user_id": identity.id, "name": identity.name, "typing": typing}


rooms.register_room_kind(
    "consultation",
    _may_join_consultation,
    _on_join_consultation,
    _on_leave_consultation,
    on_message=_on_message,
    on_typing=_on_typing,
    id_key="consultation_id",
)
rooms.register_room_kind("queue", _may_join_queue)


@socket_event("read", schemas.ReadSchema())
def on_read(data: dict) -> dict:
    """Read receipt: the participant has read up to `seq`; broadcast `consultation.read`."""
    identity = current_identity()
    if identity is None:
        return unauthenticated()
    user = accounts.get_by_id(identity.id)
    return {"ok": True, **chat.mark_read(user, data["consultation_id"], data["seq"])}
