"""Socket.IO for the expert room's media: `case.media` hands a participant who joined the room his
Janus credential (or tells the page to use the mesh), again after a stage change or a Janus restart."""

from __future__ import annotations

from marshmallow import EXCLUDE

from core import socket_schemas as schemas
from core.events import in_room, socket_event, socket_user, unauthenticated
from core.schema import Schema
from hospital.services import expert, expert_sfu


class CaseMediaSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    case_id = schemas.Id(required=True)


@socket_event("case.media", CaseMediaSchema())
def on_media(data):
    """My media settings for this room: Janus server, room, token, my ids (publish id on stage)."""
    user = socket_user()
    if user is None:
        return unauthenticated()
    if not in_room(expert.room_name(data["case_id"])) or not expert.may_join_room(user, data["case_id"]):
        return schemas.refused_ack("not_in_room", 403, "Join the room first.")
    return {"ok": True, "media": expert_sfu.media_for(user.id, data["case_id"])}
