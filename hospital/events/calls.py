"""Socket.IO for calls: the "call" room of a consultation, presence of peers, and the one `signal`
relay (offer / answer / candidate) shared by call and case rooms — always to one addressee."""

from __future__ import annotations

from flask import request

from core import rooms
from core.events import in_room, socket_user
from core.extensions import db, socketio
from core.notify import broadcast
from core.presence import presence
from hospital.services import calls, media

SIGNAL_KINDS = {"offer", "answer", "candidate"}


def _may_join_call(user, ident: str) -> bool:
    return ident.isdigit() and calls.may_join_call(user, int(ident))


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
    return presence.sids_of(room, int(to)) if str(to).isdigit() else []


@socketio.on("signal")
def on_signal(data):
    """Relay one WebRTC message to its addressee only, if both are in the room and the topology allows."""
    user = socket_user()
    data = data if isinstance(data, dict) else {}
    room, kind = str(data.get("room", "")), data.get("kind")
    db.session.remove()
    if user is None or kind not in SIGNAL_KINDS or not in_room(room):
        return {"ok": False, "error": "not_in_room"}
    targets = _addressees(room, data.get("to"))
    target_users = {m["user_id"] for m in presence.members(room) if m["sid"] in targets}
    present = presence.user_ids(room)
    if not targets or not all(media.topology().may_signal(user.id, t, present) for t in target_users):
        return {"ok": False, "error": "no_such_peer"}
    message = {"room": room, "from": request.sid, "from_user": user.id, "kind": kind, "data": data.get("data")}
    for sid in targets:
        socketio.emit("signal", message, to=sid)
    return {"ok": True}
