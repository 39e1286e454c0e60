"""API of expert consultations and of consultation calls (both under /api)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from core.auth import require_user, roles_required
from core.errors import ValidationFailed
from core.models import Role
from hospital.schemas.calls import CallEndSchema, CallSchema, CallStartSchema
from hospital.schemas.expert import (
    ActivitySchema,
    AnswerSchema,
    AttendanceSchema,
    CaseQuerySchema,
    CaseRequestSchema,
    CaseSchema,
    ConclusionCreateSchema,
    ConclusionSchema,
    ConsentSchema,
    EventQuerySchema,
    EventSchema,
    InvitationSchema,
    MaterialSchema,
    MaterialShownSchema,
    MaterialUploadSchema,
    OpinionCreateSchema,
    OpinionSchema,
)
from hospital.services import calls, expert, expert_report

MSG_FILE_REQUIRED = _l("Choose a file.")

blp = Blueprint("expert", __name__, url_prefix="/api", description="Expert consultations and consultation calls")


@blp.get("/consultations/<int:consultation_id>/calls")
@blp.response(200, CallSchema(many=True))
def list_calls(consultation_id):
    """The voice and video calls of a consultation (start, end, duration)."""
    return calls.list_calls(require_user(), consultation_id)


@blp.post("/consultations/<int:consultation_id>/calls")
@blp.arguments(CallStartSchema)
@blp.response(201, CallSchema)
def start_call(data, consultation_id):
    """Start a call (or join the running one); a doctor may upgrade a text consultation."""
    return calls.start_call(require_user(), consultation_id, data["mode"])


@blp.post("/consultations/<int:consultation_id>/calls/<int:call_id>/end")
@blp.arguments(CallEndSchema)
@blp.response(200, CallSchema)
def end_call(data, consultation_id, call_id):
    """Hang up: both sides are told; the duration is kept."""
    return calls.end_call(require_user(), consultation_id, call_id, data["reason"])


@blp.get("/expert-cases")
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CaseSchema(many=True))
def list_cases(query):
    """The cases the caller sees (his, his hospital's; all for an administrator)."""
    return expert.list_cases_for(require_user(), query["status"])


@blp.post("/expert-cases")
@roles_required(Role.DOCTOR)
@blp.arguments(CaseRequestSchema)
@blp.response(201, CaseSchema)
def request_case(data):
    """Request an expert consultation; invitees are notified (urgent: on-duty experts, room opens)."""
    return expert.request_case(require_user(), expert.CaseRequest(**data))


@blp.get("/expert-cases/activity")
@roles_required(Role.ADMIN)
@blp.response(200, ActivitySchema)
def activity():
    """Panel activity (administrators)."""
    return expert.activity(require_user())


@blp.get("/expert-cases/<int:case_id>")
@blp.response(200, CaseSchema)
def get_case(case_id):
    return expert.get_case_for(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/answer")
@blp.arguments(AnswerSchema)
@blp.response(200, InvitationSchema)
def answer(data, case_id):
    """An invited expert accepts or declines."""
    return expert.answer_invitation(require_user(), case_id, data["accept"], data["reason"])


@blp.post("/expert-cases/<int:case_id>/start")
@blp.response(200, CaseSchema)
def start(case_id):
    """Open the room (leader or requesting doctor)."""
    return expert.start_session(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/cancel")
@blp.response(200, CaseSchema)
def cancel(case_id):
    return expert.cancel_case(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/close")
@blp.response(200, CaseSchema)
def close(case_id):
    """Close a concluded case (leader or requesting doctor)."""
    return expert.close_case(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/consent")
@blp.arguments(ConsentSchema)
@blp.response(200, CaseSchema)
def consent(data, case_id):
    """Record the patient's consent to share his records with the panel."""
    return expert.record_consent(require_user(), case_id, data["consent_note"])


@blp.get("/expert-cases/<int:case_id>/events")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventSchema(many=True))
def events(query, case_id):
    """Everything said and decided in the case, in order (after an event id)."""
    kinds = (query["kind"],) if query["kind"] else None
    return expert.events_for(require_user(), case_id, query["after"], kinds)


@blp.get("/expert-cases/<int:case_id>/materials")
@blp.response(200, MaterialSchema(many=True))
def list_materials(case_id):
    return expert.list_materials(expert.get_case_for(require_user(), case_id).id)


@blp.post("/expert-cases/<int:case_id>/materials")
@blp.arguments(MaterialUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(201, MaterialSchema)
def upload_material(form, case_id):
    """Share a lab result, image or document (multipart `file`: PDF, PNG, JPEG up to 5 MB)."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("file_required", MSG_FILE_REQUIRED, field="file")
    return expert.add_material(
        require_user(), case_id, form["kind"], form["title"], upload.filename or "file", upload.read()
    )


@blp.get("/expert-cases/<int:case_id>/materials/<int:material_id>")
def download_material(case_id, material_id):
    """The material's file (panel and patient; the read is audited)."""
    material, path = expert.material_file(require_user(), case_id, material_id)
    headers = {
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(material.filename)}",
        # the room's viewer shows PDFs in a frame of the same site (nothing else may frame them)
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": "frame-ancestors 'self'",
    }
    return Response(path.read_bytes(), mimetype=material.content_type, headers=headers)


@blp.post("/expert-cases/<int:case_id>/materials/<int:material_id>/show")
@blp.response(200, MaterialShownSchema)
def show_material(case_id, material_id):
    """The leader opens this material on every participant's viewer (socket `case.material_shown`)."""
    return expert.show_material(require_user(), case_id, material_id)


@blp.get("/expert-cases/<int:case_id>/attendance")
@blp.response(200, AttendanceSchema)
def attendance(case_id):
    """Who was in the room and on stage when, and attendance per hospital (panel and administrators)."""
    return expert.attendance(require_user(), case_id)


@blp.get("/expert-cases/<int:case_id>/opinions")
@blp.response(200, OpinionSchema(many=True))
def list_opinions(case_id):
    return expert.list_opinions(require_user(), case_id)


@blp.post("/expert-cases/<int:case_id>/opinions")
@blp.arguments(OpinionCreateSchema)
@blp.response(201, OpinionSchema)
def add_opinion(data, case_id):
    """An expert records his opinion."""
    return expert.add_opinion(require_user(), case_id, data["text"])


@blp.patch("/expert-cases/<int:case_id>/opinions/<int:opinion_id>")
@blp.arguments(OpinionCreateSchema)
@blp.response(200, OpinionSchema)
def edit_opinion(data, case_id, opinion_id):
    """An expert corrects his own opinion during the session (the room sees it at once)."""
    return expert.edit_opinion(require_user(), case_id, opinion_id, data["text"])


@blp.get("/expert-cases/<int:case_id>/conclusion")
@blp.response(200, ConclusionSchema)
def get_conclusion(case_id):
    return expert.report_case(require_user(), case_id).conclusion


@blp.post("/expert-cases/<int:case_id>/conclusion")
@blp.arguments(ConclusionCreateSchema)
@blp.response(201, ConclusionSchema)
def conclude(data, case_id):
    """The leader writes and signs the consolidated opinion (Ed25519); the case is concluded."""
    return expert.conclude(require_user(), case_id, data["diagnosis"], data["treatment_advice"], data["answers"])


@blp.get("/expert-cases/<int:case_id>/report.pdf")
@blp.response(200, content_type="application/pdf")
def report(case_id):
    """The signed report (PDF, Chinese): the panel, the requesting doctor and the patient."""
    user = require_user()
    case = expert.report_case(user, case_id)
    pdf = expert_report.report_for(case, expert.list_opinions(user, case_id))  # rendered once signed
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename=case-{case_id}.pdf"}
    )
