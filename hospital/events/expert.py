"""Socket.IO for the expert room ("case:<id>"): presence, chat, raised hands and the floor.

Everything said or decided is kept with the case by the service; these handlers only relay.
"""

from __future__ import annotations

from core import accounts, rooms
from core import socket_schemas as schemas
from core.events import in_room, socket_event, socket_user, unauthenticated
from core.extensions import db
from core.notify import broadcast
from core.presence import presence
from hospital.schemas.expert import EventSchema
from hospital.services import expert

_events = EventSchema(many=True)


def _may_join(user, ident: str) -> bool:
    return ident.isdigit() and int(ident) <= schemas.MAX_ID and expert.may_join_room(user, int(ident))


def _present(room: str) -> list[dict]:
    seen: dict[int, dict] = {}
    for member in presence.members(room):
        seen.setdefault(member["user_id"], {"user_id": member["user_id"], "name": member["name"]})
    return list(seen.values())


def _on_join(user, ident: str, data: dict, sid: str) -> dict:
    """Presence to everyone; the joiner gets who is in, the stage, his peers and what he missed."""
    case_id, room = int(ident), expert.room_name(int(ident))
    returning = presence.has_user(room, user.id)
    peers = [m for m in presence.members(room) if m["sid"] != sid]
    presence.add(room, sid, user)
    if not returning:
        expert.record_presence(user, case_id, "joined")
    payload = {
        "case_id": case_id,
        "action": "joined",
        "sid": sid,
        "user_id": user.id,
        "name": user.name,
        "present": _present(room),
    }
    broadcast(room, "case.presence", payload, skip_sid=sid)
    after = data.get("after") or 0
    missed = expert.events_for(user, case_id, after, ("message", "stage", "presence", "opinion"))[-200:]
    case = db.session.get(expert.ExpertCase, case_id)
    return {
        "sid": sid,
        "peers": peers,
        "present": payload["present"],
        "state": expert.stage_state(case),
        "links": expert.media_links(case_id, user.id, presence.user_ids(room)),
        "missed": _events.dump(missed),
    }


def _on_leave(user, ident: str, sid: str) -> None:
    case_id, room = int(ident), expert.room_name(int(ident))
    if presence.remove(room, sid) is None:
        return
    broadcast(room, "case.peer_left", {"case_id": case_id, "sid": sid, "user_id": user.id})
    if not presence.has_user(room, user.id):
        expert.record_presence(user, case_id, "left")
        payload = {
            "case_id": case_id,
            "action": "left",
            "user_id": user.id,
            "name": user.name,
            "present": _present(room),
        }
        broadcast(room, "case.presence", payload)


def _on_message(identity, ident: str, data: dict, sid: str) -> dict:
    """Chat to the whole room, kept with the case, relayed as `message` like every room's chat."""
    case_id = int(ident)
    row = expert.post_message(accounts.get_by_id(identity.id), case_id, data["text"])
    message = {**EventSchema().dump(row), "case_id": case_id, "sid": sid}
    broadcast(expert.room_name(case_id), "message", message)
    return {"message": message}


def _on_typing(identity, ident: str, typing: bool) -> dict:
    return {"case_id": int(ident), "user_id": identity.id, "name": identity.name, "typing": typing}


rooms.register_room_kind(
    "case", _may_join, _on_join, _on_leave, on_message=_on_message, on_typing=_on_typing, id_key="case_id"
)


def _act(data: dict, action):
    """Run a room action for a participant who joined (the payload is validated already)."""
    user, case_id = socket_user(), data["case_id"]
    if user is None:
        return unauthenticated()
    if not in_room(expert.room_name(case_id)):
        return schemas.refused_ack("not_in_room", 403, "Join the room first.")
    return {"ok": True, **action(user, case_id, data)}


def _hand(user, case_id, data) -> dict:
    state = expert.raise_hand(user, case_id, data["raised"])
    broadcast(expert.room_name(case_id), "case.stage", state)
    return {"state": state}


def _floor(user, case_id, data) -> dict:
    state = expert.move_floor(user, case_id, data["user_id"], data["action"] == "give")
    broadcast(expert.room_name(case_id), "case.stage", state)
    return {"state": state}


@socket_event("case.hand", schemas.CaseHandSchema())
def on_hand(data):
    """Raise or lower a hand: the speaking queue."""
    return _act(data, _hand)


@socket_event("case.floor", schemas.CaseFloorSchema())
def on_floor(data):
    """The leader gives or takes the floor (the bounded video stage)."""
    return _act(data, _floor)


def _show(user, case_id, data) -> dict:
    return {"material": expert.show_material(user, case_id, data["material_id"])}  # the service broadcasts


@socket_event("case.show_material", schemas.CaseShowSchema())
def on_show_material(data):
    """The leader opens a material on everyone's viewer."""
    return _act(data, _show)
