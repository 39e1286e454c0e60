"""The expert room's media through Janus's VideoRoom: the room follows the case's room, each
participant gets a credential for that room only, and only the stage publishes.

How the credentials work (all derived from JANUS_TOKEN_KEY, so every server process agrees and
nothing is stored):
- a **join token** per (case, participant): a Janus core token (the only way to open a session
  with Janus, `token_auth`) that is also on that room's `allowed` list (the only way to join it).
  A token of one case opens no other room; subscriptions need a participant's private id in the
  room (`require_pvtid`), so nobody watches without having joined.
- a **room id** per case, from the key: Janus lists a room's participants (and says whether it
  exists) to any session that names it, so a room's id must not follow from another's.
- a **publish id** per (case, stage member): the participant id under which a stage member
  publishes. Only stage members are told theirs. The server keeps Janus in step with the stage:
  any publisher in the room whose id is not a current stage member's publish id is kicked, as is
  anyone under an id the app did not issue or through another participant's token, and the room
  holds no more publishers than the stage's capacity.
- the pages name feeds by the stage's map publish id → user id (`stage_feeds`, sent with the
  room's state), never by the `display` a browser gives Janus.
A participant whose access ends loses his token (core and room) and his sessions are destroyed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import tasks
from core.errors import Conflict, NotFound
from core.extensions import db
from core.models import User
from hospital.models.expert import CaseStatus, ExpertCase
from hospital.services import janus
from hospital.services.calls import ice_config
from hospital.services.expert_lecture import stage_limit
from hospital.services.expert_queries import MSG_NOT_FOUND, load_case, participant_user_ids

log = logging.getLogger(__name__)
ROOM_DESCRIPTION = "case {}"  # how the app finds the case of a room Janus lists (ids say nothing)


@dataclass(frozen=True)
class MediaCredential:
    """What one participant's page needs to take part through Janus."""

    server: str
    room: int
    token: str
    view_id: int
    publish_id: int | None
    ice: dict
    capacity: int

    def as_dict(self) -> dict:
        return {
            "mode": "sfu",
            "server": self.server,
            "room": self.room,
            "token": self.token,
            "view_id": self.view_id,
            "publish_id": self.publish_id,
            "may_publish": self.publish_id is not None,
            "ice_servers": self.ice["ice_servers"],
            "loopback_only": self.ice["loopback_only"],
            "capacity": self.capacity,
        }


def _digest(purpose: str, case_id: int, user_id: int = 0) -> bytes:
    key = (current_app.config.get("JANUS_TOKEN_KEY") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"janus:{purpose}:{case_id}:{user_id}".encode(), hashlib.sha256).digest()


def room_id(case_id: int) -> int:
    """The case's Janus room id: 52 bits from the key above 2**52 (a safe JavaScript number), so
    that no room's id follows from another's. Janus answers `listparticipants` and `exists` to
    any session that names a room (no secret, no token is checked there): a sequential id let a
    participant of one case list the people of every other case."""
    return (1 << 52) | (int.from_bytes(_digest("room", case_id)[:7], "big") >> 4)


def room_secret(case_id: int) -> str:
    return base64.urlsafe_b64encode(_digest("secret", case_id)[:18]).decode()


def join_token(case_id: int, user_id: int) -> str:
    return f"c{case_id}u{user_id}-" + base64.urlsafe_b64encode(_digest("token", case_id, user_id)[:18]).decode()


def _participant_id(purpose: str, case_id: int, user_id: int) -> int:
    """A 48-bit participant id (safe as a JavaScript number), unguessable without the key."""
    return int.from_bytes(_digest(purpose, case_id, user_id)[:6], "big") | 1


def view_id(case_id: int, user_id: int) -> int:
    return _participant_id("view", case_id, user_id)


def publish_id(case_id: int, user_id: int) -> int:
    return _participant_id("publish", case_id, user_id)


def enabled() -> bool:
    return janus.settings() is not None


def ensure_room(case: ExpertCase) -> int:
    """Create the case's VideoRoom room if Janus does not hold it (first join, or Janus restarted)."""
    allowed = sorted(join_token(case.id, u) for u in participant_user_ids(case))
    try:
        janus.videoroom(
            "create",
            room=room_id(case.id),
            description=ROOM_DESCRIPTION.format(case.id),
            secret=room_secret(case.id),
            is_private=True,
            require_pvtid=True,
            publishers=stage_limit(case),
            allowed=allowed,
            audiolevel_event=True,
            audio_active_packets=50,
            audio_level_average=60,
            notify_joining=False,
        )
    except janus.VideoRoomError as err:
        if err.code != janus.VideoRoomError.ROOM_EXISTS:
            raise
    return room_id(case.id)


def _allow(case_id: int, action: str, tokens: list[str]) -> None:
    janus.videoroom("allowed", room=room_id(case_id), secret=room_secret(case_id), action=action, allowed=tokens)


def credential_for(case: ExpertCase, user_id: int) -> MediaCredential:
    """Open the room in Janus if needed and hand this participant his credential; the caller has
    checked that he is a participant of the case and that its room is open."""
    ensure_room(case)
    token = join_token(case.id, user_id)
    janus.add_token(token)
    _allow(case.id, "add", [token])
    on_stage = user_id in (case.stage_user_ids or [])
    return MediaCredential(
        server=janus.settings().public_url,
        room=room_id(case.id),
        token=token,
        view_id=view_id(case.id, user_id),
        publish_id=publish_id(case.id, user_id) if on_stage else None,
        ice=ice_config(),
        capacity=stage_limit(case),
    )


def participants(case_id: int) -> list[dict]:
    """Janus's own list of the room's participants (id, display, publisher)."""
    try:
        answer = janus.videoroom("listparticipants", room=room_id(case_id))
    except janus.VideoRoomError as err:
        if err.code == janus.VideoRoomError.NO_SUCH_ROOM:
            return []
        raise
    return answer.get("participants", [])


def _kick(case_id: int, participant_id: int) -> bool:
    try:
        janus.videoroom("kick", room=room_id(case_id), secret=room_secret(case_id), id=participant_id)
    except janus.VideoRoomError as err:
        if err.code in (janus.VideoRoomError.NO_SUCH_FEED, janus.VideoRoomError.NO_SUCH_ROOM):
            return False
        raise
    return True


def stage_feeds(case: ExpertCase) -> dict[str, int]:
    """Publish id → user id of the stage's members: how every page names the feeds it receives
    (Janus's `display` is whatever a browser typed, so the page never reads it)."""
    if not enabled():
        return {}
    return {str(publish_id(case.id, u)): u for u in (case.stage_user_ids or [])}


def _unwanted(case: ExpertCase, participant: dict) -> bool:
    """A publisher off the stage, or anyone in the room under an id the app did not issue."""
    stage = {publish_id(case.id, u) for u in (case.stage_user_ids or [])}
    if participant.get("publisher"):
        return participant["id"] not in stage
    return participant["id"] not in stage | {view_id(case.id, u) for u in participant_user_ids(case)}


def enforce_stage(case: ExpertCase) -> list[int]:
    """Kick every publisher in the room who is not on the stage (taken off it, or publishing
    without having been given it) and every participant under an id the app never issued; the
    ids kicked."""
    if not enabled():
        return []
    kicked = []
    try:
        for participant in participants(case.id):
            if _unwanted(case, participant) and _kick(case.id, participant["id"]):
                kicked.append(participant["id"])
    except janus.JanusUnavailable as err:
        log.warning("janus: stage of case %s not enforced: %s", case.id, err)
    return kicked


def impostors(case: ExpertCase, held: list[dict]) -> list[int]:
    """Ids in the case's room held through someone else's token: a page that took another
    participant's id (ids show in Janus's events) to publish or sit as him. `held` is
    janus.handles()."""
    owners = {view_id(case.id, u): u for u in participant_user_ids(case)}
    owners |= {publish_id(case.id, u): u for u in (case.stage_user_ids or [])}
    room = room_id(case.id)
    found = []
    for handle in held:
        seat = handle.get("plugin_specific") or {}
        owner = owners.get(seat.get("id"))
        if seat.get("room") == room and owner is not None and handle.get("token") != join_token(case.id, owner):
            found.append(seat["id"])
    return found


def kick_impostors(case: ExpertCase, held: list[dict]) -> list[int]:
    return [seat for seat in impostors(case, held) if _kick(case.id, seat)]


def drop_participant(case_id: int, user_id: int) -> None:
    """His access ended: his token leaves Janus and the room, he is kicked, his sessions end."""
    if not enabled():
        return
    token = join_token(case_id, user_id)
    try:
        try:
            _allow(case_id, "remove", [token])
        except janus.VideoRoomError as err:
            if err.code != janus.VideoRoomError.NO_SUCH_ROOM:
                raise
        janus.remove_token(token)
        for participant_id in (view_id(case_id, user_id), publish_id(case_id, user_id)):
            _kick(case_id, participant_id)
        for handle in janus.handles():
            if handle.get("token") == token:
                janus.destroy_session(handle["session_id"])
    except janus.JanusUnavailable as err:
        log.warning("janus: user %s not dropped from case %s: %s", user_id, case_id, err)


def close_room(case_id: int) -> None:
    """The case's room closed: destroy the Janus room and retire its participants' tokens."""
    if not enabled():
        return
    case = db.session.get(ExpertCase, case_id)
    try:
        janus.videoroom("destroy", room=room_id(case_id), secret=room_secret(case_id))
    except janus.VideoRoomError as err:
        if err.code != janus.VideoRoomError.NO_SUCH_ROOM:
            log.warning("janus: room of case %s not destroyed: %s", case_id, err)
    except janus.JanusUnavailable as err:
        log.warning("janus: room of case %s not destroyed: %s", case_id, err)
        return
    for user_id in participant_user_ids(case) if case else ():
        janus.remove_token(join_token(case_id, user_id))


def _case_of(room: dict) -> int | None:
    """The case whose room this is (its description names it, its id must match), else None."""
    prefix = ROOM_DESCRIPTION.format("")
    number = str(room.get("description", "")).removeprefix(prefix)
    if not number.isdigit() or room.get("room") != room_id(int(number)):
        return None
    return int(number)


def open_rooms() -> list[int]:
    """The case ids whose rooms Janus holds now."""
    answer = janus.videoroom("list")
    return [case_id for case_id in map(_case_of, answer.get("list", [])) if case_id is not None]


def media_for(user_id: int, case_id: int) -> dict:
    """The page's media settings: a Janus credential, or the mesh with the reason (Janus not
    configured or not answering). The caller has checked that the user is in the open room."""
    case = db.session.get(ExpertCase, case_id)
    if not enabled():
        return {"mode": "mesh", "reason": "not_configured"}
    try:
        return credential_for(case, user_id).as_dict()
    except janus.JanusUnavailable as err:
        log.warning("janus unavailable for case %s: %s", case_id, err)
        return {"mode": "mesh", "reason": "unavailable"}


def media_for_participant(user: User, case_id: int) -> dict:
    """media_for, for a participant of a case whose room is open (else 404 / 409)."""
    case = load_case(case_id)
    if user.id not in participant_user_ids(case):
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    if case.status != CaseStatus.IN_SESSION:
        raise Conflict("case_not_in_session", _l("The room is not open."))
    return media_for(user.id, case_id)


@tasks.every(10)
def sweep_rooms() -> dict:
    """Keep Janus in step with the cases: publishers off the stage, ids the app did not issue and
    ids held through someone else's token are kicked; rooms of cases no longer in session go."""
    if not enabled():
        return {}
    try:
        held = open_rooms()
    except janus.JanusUnavailable:
        return {}
    done = {"kicked": [], "closed": []}
    handles = None
    for case_id in held:
        case = db.session.get(ExpertCase, case_id)
        if case is None or case.status != CaseStatus.IN_SESSION:
            close_room(case_id)
            done["closed"].append(case_id)
            continue
        done["kicked"] += enforce_stage(case)
        try:
            handles = janus.handles() if handles is None else handles  # one listing for every room
            done["kicked"] += kick_impostors(case, handles)
        except janus.JanusUnavailable as err:
            log.warning("janus: seats of case %s not checked: %s", case_id, err)
    return done
