"""The patient's readable record as an API resource (in the OpenAPI), for his pages and his apps."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from core.auth import require_user
from interchange import patient_record, record_pdf

blp = Blueprint("records", __name__, url_prefix="/api/records", description="The patient's own record")


@blp.get("/patients/<int:patient_id>/record.pdf")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def record_pdf_file(patient_id):
    """His own record to read or print (PDF, in the language of his pages); anyone else gets a 404 (audited)."""
    record = patient_record.own_record(require_user(), patient_id)
    headers = {"Content-Disposition": 'attachment; filename="my-health-record.pdf"', "Cache-Control": "no-store"}
    return Response(record_pdf.render(record), mimetype="application/pdf", headers=headers)
