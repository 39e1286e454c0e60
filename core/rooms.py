"""Socket.IO room membership: each domain registers who may join its kind of room.

Rooms are named "<kind>:<id>" (consultation:12, case:3, user:5). A join is allowed only when
the kind's checker says the user belongs; unknown kinds are refused. A kind may also react to
joins and leaves (replay missed messages, presence) through `on_join` / `on_leave`.
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


_kinds: dict[str, RoomKind] = {}


def register_room_kind(kind: str, may_join, on_join=None, on_leave=None) -> None:
    """Declare a room kind: who may join (user, ident) -> bool, and optional join/leave hooks."""
    _kinds[kind] = RoomKind(may_join, on_join, on_leave)


def split(room: str) -> tuple[RoomKind | None, str]:
    kind, _, ident = (room or "").partition(":")
    return _kinds.get(kind), ident


def may_join(user: User, room: str) -> bool:
    kind, ident = split(room)
    return bool(kind and ident and kind.may_join(user, ident))


register_room_kind("user", lambda user, ident: ident == str(user.id))
