"""Socket.IO: authenticate at connect, join/leave rooms that the user belongs to.

Chat (`message`, `typing`) is one pair of events for every room, routed to the room's kind;
domains add their own events in their events.py; membership rules live in core.rooms.
"""

from __future__ import annotations

from flask import request, session
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room, rooms

from core import accounts
from core import rooms as room_registry
from core.errors import AppError
from core.extensions import db, socketio
from core.notify import user_room

# sid -> user id, for this process (a socket stays on the process it connected to).
_sid_users: dict[str, int] = {}


def socket_user():
    """The user of the current socket, or None (re-read so a deactivated user loses access)."""
    user_id = _sid_users.get(request.sid)
    user = accounts.get_by_id(user_id) if user_id else None
    return user if user is not None and user.active else None


def _authenticate(auth) -> object | None:
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        return accounts.user_for_token(token)
    user_id = session.get("user_id")
    user = accounts.get_by_id(user_id) if user_id else None
    if user is not None and session.get("pw") == user.password_hash[-16:]:
        return user
    return None


@socketio.on("connect")
def on_connect(auth=None):
    """Refuse anonymous sockets; put the user in his personal notification room."""
    user = _authenticate(auth)
    if user is None or not user.active:
        db.session.remove()
        raise ConnectionRefusedError("unauthenticated")
    _sid_users[request.sid] = user.id
    join_room(user_room(user.id))
    db.session.remove()
    return True


@socketio.on("disconnect")
def on_disconnect(*_args):
    user = socket_user()
    for room in list(rooms()):
        kind, ident = room_registry.split(room)
        if user is not None and kind is not None and kind.on_leave:
            kind.on_leave(user, ident, request.sid)
    _sid_users.pop(request.sid, None)
    db.session.remove()


@socketio.on("join")
def on_join(data):
    """Join a room the user belongs to; answers {"ok": bool, ...} through the acknowledgement."""
    user = socket_user()
    room = (data or {}).get("room", "") if isinstance(data, dict) else ""
    if user is None or not room_registry.may_join(user, room):
        db.session.remove()
        return {"ok": False, "error": "forbidden", "room": room}
    join_room(room)
    kind, ident = room_registry.split(room)
    extra = kind.on_join(user, ident, data, request.sid) if kind.on_join else {}
    db.session.remove()
    return {"ok": True, "room": room, **(extra or {})}


@socketio.on("leave")
def on_leave(data):
    user = socket_user()
    room = (data or {}).get("room", "") if isinstance(data, dict) else ""
    if room in rooms():
        leave_room(room)
        kind, ident = room_registry.split(room)
        if user is not None and kind is not None and kind.on_leave:
            kind.on_leave(user, ident, request.sid)
    db.session.remove()
    return {"ok": True, "room": room}


def in_room(room: str) -> bool:
    """True when the current socket has joined `room` (events check it before acting)."""
    return room in rooms()


def _chat_room(data):
    """(user, kind, ident, room) for a chat event in a room the socket joined, else None."""
    user, room = socket_user(), room_registry.room_of(data)
    kind, ident = room_registry.split(room)
    if user is None or kind is None or room not in rooms():
        return None
    return user, kind, ident, room


@socketio.on("message")
def on_message(data):
    """Chat in any room: the room's kind stores it and relays it; ack {"ok", ...}."""
    target = _chat_room(data)
    try:
        if target is None or target[1].on_message is None:
            return {"ok": False, "error": "forbidden"}
        user, kind, ident, _room = target
        return {"ok": True, **kind.on_message(user, ident, data, request.sid)}
    except AppError as err:
        db.session.rollback()
        return {"ok": False, "error": err.reason, "message": err.render_message()}
    finally:
        db.session.remove()


@socketio.on("typing")
def on_typing(data):
    """Tell the rest of the room that someone is typing (nothing is stored)."""
    target = _chat_room(data)
    db.session.remove()
    if target is None or target[1].on_typing is None:
        return {"ok": False, "error": "forbidden"}
    user, kind, ident, room = target
    emit("typing", kind.on_typing(user, ident, bool(data.get("typing", True))), to=room, include_self=False)
    return {"ok": True}
