"""API of prescriptions: write, check, sign, review, read, PDF, public verification, renewal."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from core import rendered
from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.prescriptions import (
    MedicineSchema,
    PrescriptionSchema,
    RxCheckResultSchema,
    RxCheckSchema,
    RxConsultationRefSchema,
    RxCreateSchema,
    RxDraftSchema,
    RxListQuerySchema,
    RxRenewSchema,
    RxReviewSchema,
    RxReviewViewSchema,
    RxSignSchema,
    RxVerifySchema,
)
from hospital.services import prescription_pdf, prescriptions, renewal

blp = Blueprint("prescriptions", __name__, url_prefix="/api/prescriptions", description="E-prescriptions")

prescriptions.register_with_consultations()


@blp.get("")
@blp.arguments(RxListQuerySchema(), location="query")
@blp.response(200, PrescriptionSchema(many=True))
def list_prescriptions(query):
    """A patient's own, a doctor's written ones, or (pharmacists) all signed; `?status=signed` is the queue."""
    return prescriptions.list_for(require_user(), query["status"], query["consultation_id"])


@blp.post("")
@roles_required(Role.DOCTOR)
@blp.arguments(RxCreateSchema)
@blp.response(201, PrescriptionSchema)
def create_prescription(data):
    """Write a draft in the doctor's accepted consultation (blocking findings refuse it, 422)."""
    consultation_id = data.pop("consultation_id")
    return prescriptions.create_draft(require_user(), consultation_id, prescriptions.draft_input(data))


@blp.post("/check")
@roles_required(Role.DOCTOR)
@blp.arguments(RxCheckSchema)
@blp.response(200, RxCheckResultSchema)
def check_prescription(data):
    """The safety findings for what the doctor is typing, with the patient's active medications; nothing is saved."""
    consultation_id, prescription_id = data.pop("consultation_id"), data.pop("prescription_id")
    return prescriptions.check_result(require_user(), consultation_id, prescriptions.draft_input(data), prescription_id)


@blp.get("/<int:prescription_id>")
@blp.response(200, PrescriptionSchema)
def get_prescription(prescription_id):
    return prescriptions.get_with_integrity(require_user(), prescription_id)


@blp.put("/<int:prescription_id>")
@roles_required(Role.DOCTOR)
@blp.arguments(RxDraftSchema)
@blp.response(200, PrescriptionSchema)
def update_prescription(data, prescription_id):
    """Change a draft (before signing only)."""
    return prescriptions.update_draft(require_user(), prescription_id, prescriptions.draft_input(data))


@blp.post("/<int:prescription_id>/sign")
@roles_required(Role.DOCTOR)
@blp.arguments(RxSignSchema)
@blp.response(200, PrescriptionSchema)
def sign_prescription(data, prescription_id):
    """Sign (Ed25519): every rule checked anew; warnings need `override_code` and `override_reason`."""
    return prescriptions.sign_prescription(
        require_user(), prescription_id, data["override_reason"], data["override_code"]
    )


@blp.post("/<int:prescription_id>/revise")
@roles_required(Role.DOCTOR)
@blp.response(201, PrescriptionSchema)
def revise_prescription(prescription_id):
    """A new draft version of a rejected prescription; signing it supersedes the old one."""
    return prescriptions.revise(require_user(), prescription_id)


@blp.get("/<int:prescription_id>/review")
@roles_required(Role.PHARMACIST)
@blp.response(200, RxReviewViewSchema)
def review_view(prescription_id):
    """For a pharmacist of the prescribing hospital: the prescription with the patient's age, sex,
    allergies, confirmed diagnoses, active medications and the doctor's override with its reason."""
    return prescriptions.review_view(require_user(), prescription_id)


@blp.post("/<int:prescription_id>/review")
@roles_required(Role.PHARMACIST)
@blp.arguments(RxReviewSchema)
@blp.response(200, PrescriptionSchema)
def review_prescription(data, prescription_id):
    """Approve (signed by the pharmacist) or reject with a reason."""
    return prescriptions.review_prescription(require_user(), prescription_id, data["decision"], data["reason"])


@blp.get("/medicines")
@roles_required(Role.PATIENT)
@blp.response(200, MedicineSchema(many=True))
def my_medicines():
    """My medicines (我的用药): each current medicine, the day it runs out and its prescription."""
    return renewal.home_context(require_user())["medicines"]


@blp.post("/<int:prescription_id>/renew")
@roles_required(Role.PATIENT)
@blp.arguments(RxRenewSchema)
@blp.response(201, RxConsultationRefSchema)
def renew_prescription(data, prescription_id):
    """Ask for a renewal: opens a follow-up consultation with a proposed copy for the doctor to review."""
    return renewal.request_renewal(require_user(), prescription_id, data["mode"], data["complaint"])


@blp.get("/<int:prescription_id>.pdf")
@blp.response(200, content_type="application/pdf")
def prescription_pdf_file(prescription_id):
    """The printable prescription with its QR code (rendered once, then served from storage; a
    repeated download with If-None-Match is a 304)."""
    paper = prescription_pdf.paper_for(require_user(), prescription_id)
    name = f"prescription-{paper.code}.pdf"
    if paper.path is None:
        headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"}
        return Response(paper.content, mimetype="application/pdf", headers=headers)
    return rendered.send(paper.path, "application/pdf", name, paper.etag)


@blp.get("/verify/<code>")
@blp.response(200, RxVerifySchema)
def verify_prescription(code):
    """Public: is this prescription genuine, approved, still valid, already dispensed (what the QR opens)."""
    return prescriptions.verify_public(code)
