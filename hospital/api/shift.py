"""API of the doctor's shift desk: the queue with ages and waiting times, "next patient", the
patient column in one read, and the inline prescription (checked and saved with its source)."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.consultations import ConsultationSchema
from hospital.schemas.prescriptions import PrescriptionSchema, RxCheckResultSchema
from hospital.schemas.shift import DeskDraftSchema, DeskSchema, ShiftQueueSchema
from hospital.services import prescriptions
from hospital.services import shift_desk as desk

blp = Blueprint("shift", __name__, url_prefix="/api/shift", description="The doctor's shift on one screen")


def _draft(data: dict):
    return data.pop("source_id"), data.pop("prescription_id"), prescriptions.draft_input(data)


@blp.get("/queue")
@roles_required(Role.DOCTOR)
@blp.response(200, ShiftQueueSchema)
def queue():
    """His shift, the waiting patients with age, mode, renewal or not and waiting since."""
    return desk.queue(require_user())


@blp.post("/next")
@roles_required(Role.DOCTOR)
@blp.response(200, ConsultationSchema)
def next_patient():
    """Accept the longest-waiting patient (404 `queue_empty` when nobody waits)."""
    return desk.next_patient(require_user())


@blp.get("/consultations/<int:consultation_id>")
@roles_required(Role.DOCTOR)
@blp.response(200, DeskSchema)
def patient_column(consultation_id):
    """The patient column: header, record, renewal proposal, last prescription, draft, preset."""
    return desk.desk(require_user(), consultation_id)


@blp.post("/consultations/<int:consultation_id>/check")
@roles_required(Role.DOCTOR)
@blp.arguments(DeskDraftSchema)
@blp.response(200, RxCheckResultSchema)
def check(data, consultation_id):
    """The safety findings of the inline prescription as he types (nothing is saved)."""
    source_id, prescription_id, draft = _draft(data)
    return desk.check(require_user(), consultation_id, draft, source_id, prescription_id)


@blp.post("/consultations/<int:consultation_id>/prescription")
@roles_required(Role.DOCTOR)
@blp.arguments(DeskDraftSchema)
@blp.response(200, PrescriptionSchema)
def save(data, consultation_id):
    """Save the inline prescription as his draft (then sign it with /api/prescriptions/{id}/sign)."""
    source_id, prescription_id, draft = _draft(data)
    return desk.save_draft(require_user(), consultation_id, draft, source_id, prescription_id)
