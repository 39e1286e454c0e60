"""API of follow-up consultations: request, queue, accept, chat, record, complete, refer, handover."""

from __future__ import annotations

from flask import request, send_file
from flask_smorest import Blueprint

from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.consultations import (
    CancelSchema,
    ConsultationCreateSchema,
    ConsultationQuerySchema,
    ConsultationSchema,
    HandoverSchema,
    ImageUploadSchema,
    MessageQuerySchema,
    MessageSchema,
    QueueSchema,
    ReadSchema,
    RecordSchema,
    ReferSchema,
    SweepResultSchema,
)
from hospital.schemas.patients import HistorySchema
from hospital.services import chat, consultation_history
from hospital.services import consultation_handover as shifts
from hospital.services import consultation_images as images
from hospital.services import consultation_records as records
from hospital.services import consultations as svc

blp = Blueprint("consultations", __name__, url_prefix="/api", description="Follow-up consultations and chat")


@blp.get("/consultations")
@blp.arguments(ConsultationQuerySchema(), location="query")
@blp.response(200, ConsultationSchema(many=True))
def list_consultations(query):
    """The caller's consultations (a patient's own, a doctor's)."""
    return svc.list_for(require_user(), query["status"])


@blp.post("/consultations")
@roles_required(Role.PATIENT)
@blp.arguments(ConsultationCreateSchema)
@blp.response(201, ConsultationSchema)
def create_consultation(data):
    """Start a follow-up consultation (a confirmed in-person diagnosis is required)."""
    return svc.request_consultation(require_user(), data)


@blp.get("/consultations/queue")
@roles_required(Role.DOCTOR)
@blp.response(200, QueueSchema)
def queue():
    """The doctor's shift now and his live queue of waiting patients."""
    return svc.queue_for(require_user())


@blp.post("/consultations/sweep")
@roles_required(Role.ADMIN)
@blp.response(200, SweepResultSchema)
def sweep():
    """Run the shift-end sweep now: expire waiting ones, hand over open ones (administrators)."""
    return shifts.sweep_due()


@blp.get("/consultations/<int:consultation_id>")
@blp.response(200, ConsultationSchema)
def get_consultation(consultation_id):
    return svc.read_consultation(require_user(), consultation_id)


@blp.post("/consultations/<int:consultation_id>/accept")
@blp.response(200, ConsultationSchema)
def accept(consultation_id):
    """The doctor on shift accepts a waiting consultation of his department."""
    return svc.accept(require_user(), consultation_id)


@blp.post("/consultations/<int:consultation_id>/cancel")
@blp.arguments(CancelSchema)
@blp.response(200, ConsultationSchema)
def cancel(data, consultation_id):
    """Withdraw (patient) or decline (doctor of the queue) a waiting consultation."""
    return svc.cancel(require_user(), consultation_id, data["reason"])


@blp.post("/consultations/<int:consultation_id>/complete")
@blp.arguments(RecordSchema)
@blp.response(200, ConsultationSchema)
def complete(data, consultation_id):
    """Complete with the medical record (fields given here are saved first)."""
    return svc.complete(require_user(), consultation_id, data)


@blp.post("/consultations/<int:consultation_id>/refer-offline")
@blp.arguments(ReferSchema)
@blp.response(200, ConsultationSchema)
def refer_offline(data, consultation_id):
    """End with a referral to an in-person visit."""
    reason = data.pop("reason")
    return svc.refer_offline(require_user(), consultation_id, reason, data)


@blp.post("/consultations/<int:consultation_id>/handover")
@blp.arguments(HandoverSchema)
@blp.response(200, ConsultationSchema)
def handover(data, consultation_id):
    """Keep the consultation past the shift end, or hand it over to a colleague."""
    return shifts.handover(require_user(), consultation_id, data["to_doctor_id"], data["keep"], data["note"])


@blp.get("/consultations/<int:consultation_id>/record")
@blp.response(200, RecordSchema)
def get_record(consultation_id):
    """The medical record of the consultation."""
    return records.get_record(require_user(), consultation_id)


@blp.put("/consultations/<int:consultation_id>/record")
@blp.arguments(RecordSchema)
@blp.response(200, RecordSchema)
def save_record(data, consultation_id):
    """Write or revise the record while the consultation is open (the consulting doctor)."""
    return records.save_record(require_user(), consultation_id, data)


@blp.get("/consultations/<int:consultation_id>/messages")
@blp.arguments(MessageQuerySchema(), location="query")
@blp.response(200, MessageSchema(many=True))
def list_messages(query, consultation_id):
    """The dialogue in order; `since` returns only what came after that seq."""
    return chat.messages_since(require_user(), consultation_id, query["since"])


@blp.post("/consultations/<int:consultation_id>/messages")
@blp.arguments(MessageSchema)
@blp.response(201, MessageSchema)
def post_message(data, consultation_id):
    """Send a text message (stored, then pushed to the room); a resent client_id is not doubled."""
    return chat.post_message(require_user(), consultation_id, data["text"], data["client_id"])[0]


@blp.post("/consultations/<int:consultation_id>/images")
@blp.arguments(ImageUploadSchema, location="files")
@blp.response(201, MessageSchema)
def post_image(files, consultation_id):
    """Send an image (PNG, JPEG or WebP by content; size limited); form field `client_id` dedupes."""
    upload = files["file"]
    client_id = request.form.get("client_id")
    return images.add_image(require_user(), consultation_id, upload.read(), upload.filename, client_id)[0]


@blp.get("/consultations/<int:consultation_id>/attachments/<int:attachment_id>")
def get_attachment(consultation_id, attachment_id):
    """An image of the consultation, for its participants only."""
    path, mime = images.attachment_file(require_user(), consultation_id, attachment_id)
    return send_file(path, mimetype=mime, max_age=0)


@blp.post("/consultations/<int:consultation_id>/read")
@blp.arguments(ReadSchema)
@blp.response(200, ReadSchema)
def mark_read(data, consultation_id):
    """Mark messages read up to a seq (the other side sees it)."""
    return chat.mark_read(require_user(), consultation_id, data["seq"])


@blp.get("/patients/<int:patient_id>/history")
@blp.response(200, HistorySchema)
def history(patient_id):
    """Earlier consultations, diagnoses, allergies (and prescriptions) of a patient of the caller."""
    return consultation_history.patient_history(require_user(), patient_id)
