"""Socket.IO for calls: the "call" room of a consultation, presence of peers, and the one `signal`
relay (offer / answer / candidate) shared by call and case rooms — always to one addressee."""

from __future__ import annotations

from flask import request

from core import rooms
from core import socket_schemas as schemas
from core.events import current_identity, in_room, socket_event, unauthenticated
from core.extensions import socketio
from core.notify import broadcast
from core.presence import presence
from hospital.services import calls, media

SIGNAL_KINDS = {"offer", "answer", "candidate"}


def _may_join_call(user, ident: str) -> bool:
    return ident.isdigit() and int(ident) <= schemas.MAX_ID and calls.may_join_call(user, int(ident))


def _on_join_call(user, ident: str, data: dict, sid: str) -> dict:
    room = calls.call_room(int(ident))
    peers = [m for m in presence.members(room) if m["sid"] != sid]
    presence.add(room, sid, user)
    broadcast(room, "call.peer_joined", {"sid": sid, "user_id": user.id, "name": user.name}, skip_sid=sid)
    active = calls.active_call(int(ident))
    return {"sid": sid, "peers": peers, "call_id": active.id if active else None, **calls.ice_config()}


def _on_leave_call(user, ident: str, sid: str) -> None:
    room = calls.call_room(int(ident))
    if presence.remove(room, sid):
        broadcast(room, "call.peer_left", {"sid": sid, "user_id": user.id})


rooms.register_room_kind("call", _may_join_call, _on_join_call, _on_leave_call)


def _addressees(room: str, to) -> list[str]:
    """Socket ids for `to` (a sid, or a user id meaning his sockets in this room)."""
    if isinstance(to, str) and not to.isdigit():
        return [to] if any(m["sid"] == to for m in presence.members(room)) else []
    if isinstance(to, int) and not isinstance(to, bool) and 0 < to <= schemas.MAX_ID:
        return presence.sids_of(room, to)
    return presence.sids_of(room, int(to)) if isinstance(to, str) and to.isdigit() and len(to) < 19 else []


@socket_event("signal", schemas.SignalSchema())
def on_signal(data: dict) -> dict:
    """Relay one WebRTC message to its addressee only, if both are in the room and the topology allows."""
    identity = current_identity()
    room, kind = data["room"], data["kind"]
    if identity is None:
        return unauthenticated()
    if not in_room(room):
        return schemas.refused_ack("not_in_room", 403, "Join the room first.")
    targets = _addressees(room, data["to"])
    target_users = {m["user_id"] for m in presence.members(room) if m["sid"] in targets}
    present = presence.user_ids(room)
    if not targets or not all(media.topology().may_signal(identity.id, t, present) for t in target_users):
        return schemas.refused_ack("no_such_peer", 404, "That peer is not in the room.")
    message = {"room": room, "from": request.sid, "from_user": identity.id, "kind": kind, "data": data["data"]}
    for sid in targets:
        socketio.emit("signal", message, to=sid)
    return {"ok": True}
