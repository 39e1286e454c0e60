"""Socket.IO: authenticate at connect, join/leave rooms that the user belongs to, chat routing.

Chat (`message`, `typing`) is one pair of events for every room, routed to the room's kind;
domains add their own events in their events.py with `socket_event(name, schema)`; membership
rules live in core.rooms.

- **Every event is validated and acknowledged**: `socket_event` loads the payload with its
  marshmallow schema and answers a wrong one with the HTTP 422 body; a refused action answers
  the AppError's HTTP body; an unexpected failure answers a 500 body (and is logged).
- **Who is asking** is settled at connect and kept per socket (`SocketIdentity`): no database
  read per event. It is checked again every REVALIDATE_SECONDS (a session or token that no longer
  exists, a deactivated user: refused and disconnected), and at once when the account side says
  so (`core.signals.user_sessions_revoked`: the sockets of the revoked sessions, or every socket
  of the user when all of his sessions end, are disconnected, in every process) or when a
  room's access ends (`core.signals.room_access_ended`: the user's sockets leave that room, in
  every process).
- **Order**: the server runs each socket's events one after the other, in the order they came
  (`async_handlers=False`, see app.py); sockets still run side by side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from flask import g, has_app_context, request
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room, rooms

from core import accounts, auth, clock, session_cache, sessions, socket_queue
from core import rooms as room_registry
from core import socket_schemas as schemas
from core.errors import AppError, error_body
from core.extensions import db, socketio
from core.notify import user_room
from core.signals import room_access_ended, sessions_changed, user_access_changed, user_sessions_revoked

log = logging.getLogger(__name__)
REVALIDATE_SECONDS = 60.0
NAMESPACE = "/"


@dataclass
class SocketIdentity:
    """The user of one socket as settled at connect (id, role, name: what events need)."""

    id: int
    role: str
    name: str
    token: str | None  # the bearer token it signed in with; None: the page session
    checked_at: float
    session_id: int | None = None  # the login session it belongs to (revoking it ends the socket)
    expires_at: datetime | None = None  # when that session ends unless it slides or is refreshed


# sid -> identity, for this process (a socket stays on the process it connected to).
_sockets: dict[str, SocketIdentity] = {}


# --- who is asking --------------------------------------------------------------------------


def _signed_in_user(token: str | None):
    """The active user behind a token or the socket's page session (the HTTP rules), or None."""
    if token:
        user = accounts.user_for_token(token)
    else:
        auth.load_current_user()
        user = g.get("user")
    return user if user is not None and user.active else None


def _token_of(auth_data) -> str | None:
    token = auth_data.get("token") if isinstance(auth_data, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 512 else None


def current_identity() -> SocketIdentity | None:
    """The current socket's user, or None when it is no longer signed in (then it is disconnected)."""
    sid = request.sid
    identity = _sockets.get(sid)
    if identity is None:
        return None
    if not _has_joined(user_room(identity.id), sid):  # his sessions were revoked in another process
        _refuse(sid)
        return None
    if identity.expires_at is not None and clock.now() >= identity.expires_at and not _still_standing(identity):
        _refuse(sid)  # the session ran out: this event is refused, not only the next recheck
        return None
    if time.monotonic() - identity.checked_at > REVALIDATE_SECONDS:
        user = _signed_in_user(identity.token)
        if user is None or user.id != identity.id:
            _refuse(sid)
            return None
        identity.role, identity.name, identity.checked_at = user.role, user.name, time.monotonic()
    return identity


def _still_standing(identity: SocketIdentity) -> bool:
    """At the remembered expiry, ask the session itself: a page session slides and a token is
    refreshed, so it may stand longer; a revoked or ended one does not."""
    expires_at = sessions.expiry_of(identity.session_id)
    if expires_at is None:
        return False
    identity.expires_at = expires_at
    return True


def socket_user():
    """The current socket's user as a database object (for services), or None."""
    identity = current_identity()
    user = accounts.get_by_id(identity.id) if identity is not None else None
    return user if user is not None and user.active else None


def _refuse(sid: str) -> None:
    _sockets.pop(sid, None)
    disconnect(sid)


# --- events: validated, acknowledged, in order ----------------------------------------------


def socket_event(name: str, schema=None):
    """Register a Socket.IO event handler that receives the validated payload (a dict) and whose
    result is the acknowledgement. Wrong payload → 422 body; AppError → its HTTP body."""

    def decorate(handler: Callable[[dict], dict]):
        @wraps(handler)
        def run(data=None, *_extra):
            try:
                if current_identity() is None:  # signed out, revoked or expired: refused, disconnected
                    return unauthenticated()
                payload = schemas.load(schema, data) if schema is not None else data
                return handler(payload)
            except schemas.InvalidPayload as err:
                return schemas.invalid_ack(err)
            except AppError as err:
                db.session.rollback()
                return schemas.error_ack(err)
            except Exception:  # a bug: still answer, in the same shape, and log it
                log.exception("socket event %s failed", name)
                db.session.rollback()
                return {"ok": False, "error": "internal", **error_body(500, "Internal Server Error")}
            finally:
                db.session.remove()

        socketio.on_event(name, run)
        return run

    return decorate


def unauthenticated() -> dict:
    return schemas.refused_ack("unauthenticated", 401, "Please sign in again.")


def in_room(room: str) -> bool:
    """True when the current socket has joined `room` (events check it before acting)."""
    return _has_joined(room, request.sid)


def _has_joined(room: str, sid: str) -> bool:
    """Membership by one lookup in the room (flask_socketio.rooms() walks every room there is)."""
    members = socketio.server.manager.rooms.get(NAMESPACE, {}).get(room)
    return members is not None and sid in members


# --- connect, join, leave -------------------------------------------------------------------


@socketio.on("connect")
def on_connect(auth_data=None):
    """Refuse anonymous sockets; put the user in his personal notification room."""
    token = _token_of(auth_data)
    try:
        # the session id too: revoking that session later ends exactly its sockets
        session, user = auth.socket_identity({"token": token} if token else None)
        if user is None or not user.active:
            raise ConnectionRefusedError("unauthenticated")
        _sockets[request.sid] = SocketIdentity(
            user.id, user.role, user.name, token, time.monotonic(), session.id, session.expires_at
        )
        join_room(user_room(user.id))
        return True
    finally:
        db.session.remove()


@socketio.on("disconnect")
def on_disconnect(*_args):
    identity = _sockets.pop(request.sid, None)
    try:
        if identity is not None:
            _left_rooms(request.sid, identity.id, [r for r in rooms() if r != request.sid])
    finally:
        db.session.remove()


def _left_rooms(sid: str, user_id: int, names: list[str]) -> None:
    """Run the kinds' on_leave hooks for a socket that left these rooms."""
    user = None
    for room in names:
        kind, ident = room_registry.split(room)
        if kind is None or kind.on_leave is None:
            continue
        user = user or accounts.get_by_id(user_id)
        if user is not None:
            kind.on_leave(user, ident, sid)


@socket_event("join", schemas.RoomSchema())
def on_join(data: dict) -> dict:
    """Join a room the user belongs to; answers {"ok": bool, ...} through the acknowledgement."""
    room = data["room"]
    user = socket_user()
    if user is None:
        return unauthenticated()
    if not room_registry.may_join(user, room):
        return {**schemas.refused_ack("forbidden", 403, "You may not join this room."), "room": room}
    join_room(room)
    kind, ident = room_registry.split(room)
    extra = kind.on_join(user, ident, data, request.sid) if kind.on_join else {}
    return {"ok": True, "room": room, **(extra or {})}


@socket_event("leave", schemas.RoomSchema())
def on_leave(data: dict) -> dict:
    room = data["room"]
    identity = current_identity()
    if identity is not None and room in rooms() and room != user_room(identity.id):
        leave_room(room)
        _left_rooms(request.sid, identity.id, [room])
    return {"ok": True, "room": room}


# --- chat -----------------------------------------------------------------------------------


def _chat_target(data: dict):
    """(identity, kind, ident, room) for a chat event in a room the socket joined, else an ack."""
    identity = current_identity()
    if identity is None:
        return unauthenticated()
    room = room_registry.room_of(data)
    kind, ident = room_registry.split(room)
    if kind is None or not _has_joined(room, request.sid):
        return schemas.refused_ack("forbidden", 403, "Join the room first.")
    return identity, kind, ident, room


@socket_event("message", schemas.MessageSchema())
def on_message(data: dict) -> dict:
    """Chat in any room: the room's kind stores it and relays it; ack {"ok", ...}."""
    target = _chat_target(data)
    if isinstance(target, dict):
        return target
    identity, kind, ident, _room = target
    if kind.on_message is None:
        return schemas.refused_ack("forbidden", 403, "This room has no chat.")
    return {"ok": True, **kind.on_message(identity, ident, data, request.sid)}


@socket_event("typing", schemas.TypingSchema())
def on_typing(data: dict) -> dict:
    """Tell the rest of the room that someone is typing (nothing is stored)."""
    target = _chat_target(data)
    if isinstance(target, dict):
        return target
    identity, kind, ident, room = target
    if kind.on_typing is None:
        return schemas.refused_ack("forbidden", 403, "This room has no chat.")
    socketio.emit("typing", kind.on_typing(identity, ident, data["typing"]), to=room, skip_sid=request.sid)
    return {"ok": True}


# --- access that ends -----------------------------------------------------------------------


def _local_sids(user_ids: set[int]) -> list[tuple[str, int]]:
    return [(sid, identity.id) for sid, identity in list(_sockets.items()) if identity.id in user_ids]


def _remove_from_room(payload: dict) -> None:
    """Control message, in every process: these users' sockets leave the room, now."""
    room, user_ids = payload.get("room", ""), {int(u) for u in payload.get("user_ids") or ()}
    server = socketio.server
    removed = []
    for sid, user_id in _local_sids(user_ids):
        if room in (server.rooms(sid, namespace=NAMESPACE) or ()):
            server.leave_room(sid, room, namespace=NAMESPACE)
            server.emit("room.left", {"room": room, "reason": "access_ended"}, to=sid, ignore_queue=True)
            removed.append((sid, user_id))
    if removed:  # the kinds' hooks (presence, cached chat seats) run apart, with their own context
        socketio.start_background_task(_after_removal, room, removed)


def _after_removal(room: str, removed: list[tuple[str, int]]) -> None:
    environ = socketio.server.get_environ(removed[0][0], namespace=NAMESPACE)
    app = environ["flask.app"] if environ else None
    if app is None:
        return
    with app.app_context():
        try:
            for sid, user_id in removed:
                _left_rooms(sid, user_id, [room])
        except Exception:
            log.exception("on_leave after access ended in %s failed", room)
        finally:
            db.session.remove()


def _disconnect_user(payload: dict) -> None:
    """Control message, in every process: disconnect the sockets of the revoked sessions (every
    socket of the user when `everywhere`)."""
    user_id = int(payload.get("user_id") or 0)
    everywhere = bool(payload.get("everywhere", True))
    session_ids = {int(s) for s in payload.get("session_ids") or ()}
    server = socketio.server
    for sid, _user in _local_sids({user_id}):
        identity = _sockets.get(sid)
        if not everywhere and (identity is None or identity.session_id not in session_ids):
            continue
        _sockets.pop(sid, None)
        server.emit("session.revoked", {"user_id": user_id}, to=sid, ignore_queue=True)
        # apart from the caller (a logout request): the disconnect runs the socket's own handlers
        socketio.start_background_task(server.disconnect, sid, namespace=NAMESPACE, ignore_queue=True)


def _forget_sessions(payload: dict) -> None:
    """Control message, in every process: what this process remembers of these sessions is stale."""
    session_cache.forget(int(payload.get("user_id") or 0), payload.get("session_ids"))


def _recheck_access(payload: dict) -> None:
    """Control message, in every process: a user's role or activity changed; his sockets take the
    new role and leave every room that it may not be in."""
    user_id = int(payload.get("user_id") or 0)
    sids = [sid for sid, _user in _local_sids({user_id})]
    if not sids:
        return
    if has_app_context():  # the process where the administrator's request runs
        _apply_access(user_id, sids)
        return
    environ = socketio.server.get_environ(sids[0], namespace=NAMESPACE)  # the queue's listener
    app = environ["flask.app"] if environ else None
    if app is not None:
        with app.app_context():
            try:
                _apply_access(user_id, sids)
            finally:
                db.session.remove()


def _apply_access(user_id: int, sids: list[str]) -> None:
    user = accounts.get_by_id(user_id)
    allowed = user is not None and user.active
    server, mine = socketio.server, user_room(user_id)
    for sid in sids:
        identity = _sockets.get(sid)
        if identity is None:
            continue
        if allowed:
            identity.role, identity.name = user.role, user.name
        for room in list(server.rooms(sid, namespace=NAMESPACE) or ()):
            if room in (sid, mine) or (allowed and room_registry.may_join(user, room)):
                continue
            server.leave_room(sid, room, namespace=NAMESPACE)
            server.emit("room.left", {"room": room, "reason": "access_changed"}, to=sid, ignore_queue=True)
            socketio.start_background_task(_after_removal, room, [(sid, user_id)])


socket_queue.on_control("access-ended", _remove_from_room)
socket_queue.on_control("sessions-revoked", _disconnect_user)
socket_queue.on_control("sessions-changed", _forget_sessions)
socket_queue.on_control("access-changed", _recheck_access)


@room_access_ended.connect
def _on_room_access_ended(room, user_ids=(), **_extra) -> None:
    if socketio.server is not None and user_ids:
        socket_queue.send_control(socketio.server, "access-ended", {"room": room, "user_ids": sorted(set(user_ids))})


@user_sessions_revoked.connect
def _on_user_sessions_revoked(user_id, session_ids=None, everywhere=None, **_extra) -> None:
    """One session revoked: only its sockets end; all of them (or no list given): every socket."""
    if socketio.server is None:
        return
    everywhere = bool(everywhere) or session_ids is None
    payload = {
        "user_id": int(user_id),
        "everywhere": everywhere,
        "session_ids": sorted({int(s) for s in session_ids or ()}),
    }
    socket_queue.send_control(socketio.server, "sessions-revoked", payload)


@sessions_changed.connect
def _on_sessions_changed(user_id, session_ids=None, **_extra) -> None:
    """Carry the word to the other processes, which forget those sessions too."""
    if socketio.server is not None:
        ids = sorted({int(s) for s in session_ids}) if session_ids else None
        socket_queue.send_control(socketio.server, "sessions-changed", {"user_id": int(user_id), "session_ids": ids})


@user_access_changed.connect
def _on_user_access_changed(user_id, **_extra) -> None:
    if socketio.server is not None:
        socket_queue.send_control(socketio.server, "access-changed", {"user_id": int(user_id)})
