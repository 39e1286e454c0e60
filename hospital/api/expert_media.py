"""Expert room media and panel changes over HTTP: a participant's media settings (Janus credential
or the mesh) and the leader withdrawing an invitation."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields

from core.auth import require_user
from core.fields import BoundedInt
from core.schema import Schema
from hospital.schemas.expert import InvitationSchema
from hospital.services import expert_invitations, expert_sfu

blp = Blueprint("expert_media", __name__, url_prefix="/api", description="Expert room media (Janus) and the panel")


class MediaSchema(Schema):
    mode = fields.Str(metadata={"description": "sfu (through Janus) or mesh (browser to browser)"})
    reason = fields.Str(metadata={"description": "why the mesh: not_configured or unavailable"})
    server = fields.Str(metadata={"description": "Janus's HTTP API for the browser"})
    room = BoundedInt()
    token = fields.Str(metadata={"description": "this participant's token for this room only"})
    view_id = fields.Int(metadata={"description": "participant id to join the room with"})
    publish_id = fields.Int(allow_none=True, metadata={"description": "participant id to publish with (stage)"})
    may_publish = fields.Bool()
    capacity = BoundedInt()
    ice_servers = fields.List(fields.Dict())
    loopback_only = fields.Bool()


@blp.get("/expert-cases/<int:case_id>/media")
@blp.response(200, MediaSchema)
def media(case_id):
    """My media settings for the open room of this case (participants only)."""
    return expert_sfu.media_for_participant(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/invitations/<int:doctor_id>/withdraw")
@blp.response(200, InvitationSchema)
def withdraw(case_id, doctor_id):
    """The panel leader withdraws an expert's invitation; the expert leaves the room and its media."""
    return expert_invitations.withdraw_invitation(require_user(), case_id, doctor_id)
