"""API of quick replies (常用语): a doctor lists, adds, edits, removes and reorders his own."""

from __future__ import annotations

from flask_smorest import Blueprint

from core import i18n
from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.quick_replies import QuickReplyOrderSchema, QuickReplySchema
from hospital.services import quick_replies as svc

blp = Blueprint("quick_replies", __name__, url_prefix="/api", description="A doctor's own quick replies (常用语)")


@blp.get("/quick-replies")
@roles_required(Role.DOCTOR)
@blp.response(200, QuickReplySchema(many=True))
def list_replies():
    """The doctor's quick replies in his order (a default set in his language at first)."""
    return svc.list_replies(require_user(), str(i18n.select_locale()))


@blp.post("/quick-replies")
@roles_required(Role.DOCTOR)
@blp.arguments(QuickReplySchema)
@blp.response(201, QuickReplySchema)
def add_reply(data):
    """Add a quick reply at the end (at most 200 characters)."""
    return svc.add_reply(require_user(), data["text"], str(i18n.select_locale()))


@blp.patch("/quick-replies/<int:reply_id>")
@roles_required(Role.DOCTOR)
@blp.arguments(QuickReplySchema)
@blp.response(200, QuickReplySchema)
def update_reply(data, reply_id):
    """Change the text of one of his quick replies (another doctor's: 404)."""
    return svc.update_reply(require_user(), reply_id, data["text"])


@blp.delete("/quick-replies/<int:reply_id>")
@roles_required(Role.DOCTOR)
@blp.response(204)
def delete_reply(reply_id):
    """Remove one of his quick replies (another doctor's: 404)."""
    svc.delete_reply(require_user(), reply_id)


@blp.put("/quick-replies/order")
@roles_required(Role.DOCTOR)
@blp.arguments(QuickReplyOrderSchema)
@blp.response(200, QuickReplySchema(many=True))
def reorder(data):
    """Put all his quick replies in a new order (each id once)."""
    return svc.reorder(require_user(), data["ids"])
