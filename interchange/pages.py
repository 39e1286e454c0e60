"""The patient's readable record, downloaded from his health page (a file, not a page)."""

from __future__ import annotations

import io

from flask import Blueprint, send_file

from core.auth import require_user
from interchange import patient_record, record_pdf

bp = Blueprint("records", __name__)


@bp.get("/patients/<int:patient_id>/record.pdf")
def record_pdf_download(patient_id: int):
    """His own record as a PDF, in the language of his pages; anyone else gets a 404 (audited)."""
    record = patient_record.own_record(require_user(), patient_id)
    pdf = io.BytesIO(record_pdf.render(record))
    return send_file(
        pdf, mimetype="application/pdf", as_attachment=True, download_name="my-health-record.pdf", max_age=0
    )
