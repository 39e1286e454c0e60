"""The printable prescription (reportlab): Chinese text in an embedded CJK font, and a QR code
pointing to the public verification address.

A signed prescription's paper is rendered once and kept in storage (`pdf_for`): later downloads
send the stored bytes (the same file, QR included) instead of drawing it again (~35 ms of CPU
each). The stored file is named by the prescription's code and a digest of the columns that can
still change what is printed once it is signed (version, signing time, validity, reviewer and
review time) and of the QR's address: the pharmacist's review or an extended validity renders and
stores a new paper, and a stale one is never served. The signed content itself (items, patient,
diagnosis) cannot change after signing (a revision is a new version).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from core import audit, clock, rendered, rows
from core.extensions import db
from core.models import User
from core.pdf import cjk_font, qr_image
from hospital.models.prescriptions import Prescription
from hospital.services import prescriptions
from hospital.services.prescription_access import may_see, refuse
from hospital.services.prescription_safety import FREQUENCY_LABELS

SEX = {"M": "男", "F": "女"}
FREQ_ZH = {
    "qd": "每日1次",
    "bid": "每日2次",
    "tid": "每日3次",
    "qid": "每日4次",
    "qn": "每晚1次",
    "q8h": "每8小时",
    "q12h": "每12小时",
    "qod": "隔日1次",
    "qw": "每周1次",
    "q72h": "每72小时",
    "prn": "必要时",
    "once": "单次",
}


def verify_url(rx: Prescription) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/api/prescriptions/verify/{rx.code}"


def _age(rx: Prescription) -> str:
    born = rx.patient.birth_date
    if born is None:
        return "—"
    on = clock.to_local(rx.signed_at or clock.now()).date()
    return str(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def lines_for(rx: Prescription) -> list[str]:
    """The text of the paper, line by line (the test compares the PDF's extracted text with it)."""
    integrity = prescriptions.verify_integrity(rx)
    patient = rx.patient
    local = clock.to_local
    lines = [
        f"{rx.hospital.name_zh} 互联网医院处方笺",
        f"处方编号：{rx.code}    版本：{rx.version}    科室：{rx.department.name_zh}",
        f"患者：{patient.name}    性别：{SEX.get(patient.sex or '', '—')}    年龄：{_age(rx)}岁",
        f"身份证号：{patient.id_number_masked or '—'}",
        f"诊断：{rx.diagnosis_name}（{rx.icd10}）"
        + ("    长期处方：" + rx.long_reason if rx.long_prescription else ""),
        "Rp.",
    ]
    for item in rx.items:
        lines.append(f"{item.position}. {item.name_zh}  {item.strength}  ×{item.quantity}{item.package_unit_zh}")
        lines.append(
            f"    用法：每次{item.dose:g}{item.dose_unit}，{FREQ_ZH.get(item.frequency, item.frequency)}，"
            f"{item.route}，{item.days}天"
        )
    doctor_status = "已电子签名（有效）" if integrity["doctor_signature"] else "签名无效"
    lines.append(f"医师：{rx.doctor_user.name}    {doctor_status}")
    if rx.reviewer is not None:
        review_status = "已审核签名（有效）" if integrity["review_signature"] else "审核签名无效"
        lines.append(f"审核药师：{rx.reviewer.name}    {review_status}")
    else:
        lines.append("审核药师：待审核")
    if rx.signed_at:
        lines.append(
            f"开具时间：{local(rx.signed_at):%Y-%m-%d %H:%M}    有效期至：{local(rx.valid_until):%Y-%m-%d %H:%M}"
        )
    lines.append(f"金额：¥{rx.total_fen / 100:.2f}    扫码验证处方真伪")
    return lines


PDF_AREA = "prescription-pdf"


@dataclass(frozen=True)
class Paper:
    """A prescription's paper ready to send: the stored file and its entity tag (a signed one), or
    the bytes drawn now (a draft, which changes and is not kept)."""

    code: str
    path: Path | None = None
    etag: str | None = None
    content: bytes | None = None


# What the access check and the stored paper's name need: read as one plain row (the full
# prescription, with its items and people, is loaded only when its paper is drawn), built once
# and run without the ORM's result machinery (core.rows.read).
_PAPER = db.select(
    Prescription.id,
    Prescription.code,
    Prescription.status,
    Prescription.patient_id,
    Prescription.doctor_user_id,
    Prescription.hospital_id,
    Prescription.version,
    Prescription.signed_at,
    Prescription.valid_until,
    Prescription.reviewer_user_id,
    Prescription.reviewed_at,
).where(Prescription.id == db.bindparam("prescription_id"))


def paper_for(user: User, prescription_id: int) -> Paper:
    """The paper of a prescription the user may see (404 otherwise), its read audited: one
    statement reads the prescription, the read is recorded as every read is (committed before the
    answer; concurrent downloads share one commit), and a signed paper comes from storage (drawn
    and stored on its first download)."""
    row = rows.read(_PAPER, {"prescription_id": prescription_id}).one_or_none()
    if row is None or not may_see(user, row):
        raise refuse(user, row, prescription_id)
    if row.signed_at is None:
        paper = Paper(row.code, content=render(db.session.get(Prescription, row.id)))
    else:
        name = f"{row.code}-{_printed_state(row)}"
        drawn = rendered.stored(PDF_AREA, f"{name}.pdf", lambda: render(db.session.get(Prescription, row.id)))
        paper = Paper(row.code, drawn, name)
    audit.record_read(user.id, row.patient_id, "prescription", row.id)
    return paper


def pdf_for(rx: Prescription) -> bytes:
    """The PDF of a prescription: from storage when this paper was rendered before, else rendered
    now (and stored, once the prescription is signed: drafts change and are not kept)."""
    if rx.signed_at is None:
        return render(rx)
    return rendered.once(PDF_AREA, f"{rx.code}-{_printed_state(rx)}.pdf", lambda: render(rx))


def _printed_state(rx: Prescription) -> str:
    """A digest of what can still change on a signed prescription's paper."""
    state = [rx.version, rx.signed_at, rx.valid_until, rx.reviewer_user_id, rx.reviewed_at, verify_url(rx)]
    return hashlib.sha256(repr(state).encode()).hexdigest()[:24]


def render(rx: Prescription, lines: list[str] | None = None, url: str | None = None) -> bytes:
    """Draw the PDF of one prescription (`lines` and `url` when the caller has them already)."""
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    pdf.setTitle(f"处方 {rx.code}")
    y = height - 18 * mm
    for number, line in enumerate(lines if lines is not None else lines_for(rx)):
        pdf.setFont(font, 15 if number == 0 else 10.5)
        pdf.drawString(12 * mm, y, line)
        y -= 8 * mm if number == 0 else 6 * mm
    size = 32 * mm
    pdf.drawImage(qr_image(url or verify_url(rx)), width - size - 10 * mm, 10 * mm, size, size)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


__all__ = ["pdf_for", "paper_for", "Paper", "render", "verify_url", "lines_for", "FREQUENCY_LABELS"]
