"""The PDF opened with pypdf: the Chinese text equals the content; the QR decodes to the verify URL."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from core.extensions import db
from core.models import AuditEntry
from hospital.services import prescription_pdf
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput


@pytest.fixture
def approved_rx(world):
    consultation = world.consultation()
    data = rxs.DraftInput([ItemInput("AML5", 5, "qd", 7), ItemInput("ATO20", 20, "qn", 7)])
    rx = rxs.sign_prescription(world.doctor.user, rxs.create_draft(world.doctor.user, consultation.id, data).id)
    return rxs.review_prescription(world.pharmacist, rx.id, "approve")


def test_pdf_text_is_the_content_in_chinese(world, client, rx_api, approved_rx):
    response = client.get(f"/api/prescriptions/{approved_rx.id}.pdf", headers=rx_api.patient)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    extracted = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    lines = [line.strip() for line in extracted.splitlines() if line.strip()]
    expected = [line.strip() for line in prescription_pdf.lines_for(approved_rx)]
    assert lines == expected
    joined = "\n".join(lines)
    for text in ("王建国", "原发性高血压", "苯磺酸氨氯地平片", "林医生", "郭药师", "已审核签名（有效）", "3501"):
        assert text in joined
    assert world.patient.id_number_masked in joined
    from core import crypto

    assert crypto.decrypt(world.patient.id_number_enc) not in joined


def test_qr_decodes_to_the_verify_url(app, world, approved_rx):
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    reader = PdfReader(io.BytesIO(prescription_pdf.render(approved_rx)))
    images = list(reader.pages[0].images)
    assert images, "the PDF holds the QR image"
    image = Image.open(io.BytesIO(images[0].data))
    decoded = pyzbar.decode(image.convert("L"))
    url = decoded[0].data.decode()
    assert url == f"{app.config['PUBLIC_BASE_URL']}/api/prescriptions/verify/{approved_rx.code}"


def test_a_signed_paper_is_drawn_once_then_sent_from_storage_and_revalidated(
    app, world, client, rx_api, approved_rx, monkeypatch
):
    url = f"/api/prescriptions/{approved_rx.id}.pdf"
    first = client.get(url, headers=rx_api.patient)
    body = first.get_data()
    first.close()
    drawn = []
    monkeypatch.setattr(prescription_pdf, "render", lambda *a, **k: drawn.append(1) or b"drawn again")
    again = client.get(url, headers=rx_api.patient)
    assert again.status_code == 200 and again.get_data() == body and not drawn  # the stored bytes
    assert again.headers["Content-Disposition"] == f'inline; filename="prescription-{approved_rx.code}.pdf"'
    assert "private" in again.headers["Cache-Control"] and "public" not in again.headers["Cache-Control"]
    etag = again.headers["ETag"]
    again.close()
    fresh = client.get(url, headers={**rx_api.patient, "If-None-Match": etag})
    assert fresh.status_code == 304 and fresh.get_data() == b""
    fresh.close()
    reads = db.session.execute(
        db.select(AuditEntry).filter_by(action="read", object_type="prescription", object_id=str(approved_rx.id))
    ).scalars()
    assert len(list(reads)) >= 3  # every download is an audited read, a 304 too
    assert client.get(url, headers=rx_api.other_patient).status_code == 404


def test_behind_nginx_the_stored_paper_is_sent_by_x_accel_redirect(app, world, client, rx_api, approved_rx):
    url = f"/api/prescriptions/{approved_rx.id}.pdf"
    client.get(url, headers=rx_api.patient).close()
    app.config["STORED_FILES_ACCEL"] = "/_stored/"
    try:
        response = client.get(url, headers=rx_api.patient)
    finally:
        del app.config["STORED_FILES_ACCEL"]
    target = response.headers["X-Accel-Redirect"]
    assert target.startswith(f"/_stored/{prescription_pdf.PDF_AREA}/{approved_rx.code}-") and target.endswith(".pdf")
    assert response.get_data() == b"" and response.headers["ETag"]
