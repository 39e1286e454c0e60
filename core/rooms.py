"""Socket.IO room membership: each domain registers who may join its kind of room.

Rooms are named "<kind>:<id>" (consultation:12, case:3, user:5). A join is allowed only when
the kind's checker says the user belongs; unknown kinds are refused. A kind may also react to
joins and leaves (replay missed messages, presence) through `on_join` / `on_leave`, and take the
room's chat: the `message` and `typing` events are one pair for every room, routed here by kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.models import User


@dataclass(frozen=True)
class RoomKind:
    may_join: Callable[[User, str], bool]
    # on_join(user, ident, data, sid) -> dict merged into the join acknowledgement
    on_join: Callable[[User, str, dict, str], dict] | None = None
    on_leave: Callable[[User, str, str], None] | None = None
    # on_message(sender, ident, data, sid) -> dict merged into the acknowledgement (store, then
    # relay). `sender` is the socket's identity (id, role, name; core.events.SocketIdentity), not
    # a database row: chat reads nobody per message. `data` is validated (text, client_id).
    on_message: Callable[[object, str, dict, str], dict] | None = None
    # on_typing(sender, ident, typing) -> the payload relayed to the rest of the room
    on_typing: Callable[[object, str, bool], dict] | None = None
    # A client may name the room by this key instead of "room", e.g. {"consultation_id": 12}.
    id_key: str | None = None


_kinds: dict[str, RoomKind] = {}


def register_room_kind(
    kind: str, may_join, on_join=None, on_leave=None, *, on_message=None, on_typing=None, id_key=None
) -> None:
    """Declare a room kind: who may join (user, ident) -> bool, and optional hooks."""
    _kinds[kind] = RoomKind(may_join, on_join, on_leave, on_message, on_typing, id_key)


def split(room: str) -> tuple[RoomKind | None, str]:
    kind, _, ident = (room or "").partition(":")
    return _kinds.get(kind), ident


def room_of(data) -> str:
    """The room an event is about: its "room", or a kind's id key (e.g. consultation_id)."""
    if not isinstance(data, dict):
        return ""
    if data.get("room"):
        return str(data["room"])
    for name, kind in _kinds.items():
        if kind.id_key and data.get(kind.id_key) is not None:
            return f"{name}:{data[kind.id_key]}"
    return ""


def may_join(user: User, room: str) -> bool:
    kind, ident = split(room)
    return bool(kind and ident and kind.may_join(user, ident))


register_room_kind("user", lambda user, ident: ident == str(user.id))
