"""The expert consultation report as a PDF (Chinese, reportlab with the vendored CJK font).

Once the leader has signed the conclusion the report is rendered once and served from storage
(`report_for`), named by a digest of its text: a later opinion or anything else printed that
changes gives a new paper, never a stale one.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from core import clock, rendered
from core.pdf import cjk_font
from hospital.models.expert import ExpertCase
from hospital.services import expert


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6),
        "h": ParagraphStyle("h", fontName=font, fontSize=12, leading=18, spaceBefore=8, spaceAfter=2),
        "p": ParagraphStyle("p", fontName=font, fontSize=10, leading=15),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11),
    }


def _local(value) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _span(span: dict) -> str:
    end = clock.to_local(span["to"]).strftime("%H:%M") if span["to"] else "未离开"
    return f"{_local(span['from'])}–{end}"


def _attendance_lines(case: ExpertCase) -> list[tuple[str, str]]:
    """Who was in the room (each stay) and on stage when, and attendance per hospital."""
    record = expert.attendance_of(case, {})
    people = [p for p in record["participants"] if p["intervals"] or p["stage"]]
    if not people:
        return []
    lines = [("h", "参会记录（进入与离开时间、上台发言时段）")]
    for p in people:
        role = "（主讲）" if p["presenter"] else ""
        stays = "；".join(_span(s) for s in p["intervals"]) or "未进入会诊室"
        stage = "；".join(_span(s) for s in p["stage"])
        on_stage = f"　上台：{stage}" if stage else ""
        lines.append(("p", f"{p['name']}{role}　{p['hospital']}　在场：{stays}{on_stage}"))
    if expert.is_lecture(case):
        lines.append(("h", "各医院参训人数"))
        attended = [h for h in record["by_hospital"] if h["attended"]]
        lines += [("p", f"{h['hospital'] or '其他'}：{h['attended']} 人") for h in attended]
    return lines


def _lines(case: ExpertCase, opinions: list) -> list[tuple[str, str]]:
    """(style, text) pairs of the report, in reading order."""
    c = case.conclusion
    patient = case.patient
    lines = [
        ("title", f"{case.hospital.name_zh} 远程多学科专家会诊报告"),
        ("p", f"会诊编号：{case.id}　　会诊题目：{case.title}"),
        ("p", f"患者：{patient.name}　　身份证号：{patient.id_number_masked or ''}"),
        ("p", f"申请医生：{case.requesting_doctor.user.name}（{case.requesting_doctor.department.name_zh}）"),
        ("p", f"专家组组长：{case.leader.user.name}（{case.leader.hospital.name_zh}）"),
        (
            "p",
            "会诊专家："
            + "、".join(
                f"{i.doctor.user.name}（{i.doctor.hospital.name_zh}）"
                for i in case.invitations
                if i.status == "accepted"
            ),
        ),
        ("p", f"会诊时间：{_local(case.started_at)}　至　{_local(case.concluded_at)}"),
        ("h", "病情摘要"),
        ("p", case.summary),
        ("h", "会诊诊断意见"),
        ("p", c.diagnosis),
        ("h", "治疗建议"),
        ("p", c.treatment_advice),
        ("h", "问题解答"),
    ]
    for number, pair in enumerate(c.answers, start=1):
        lines += [("p", f"问题{number}：{pair['question']}"), ("p", f"解答：{pair['answer']}")]
    if opinions:
        lines.append(("h", "各专家意见"))
        lines += [("p", f"{o.doctor.user.name}：{o.text}") for o in opinions]
    lines += _attendance_lines(case)
    lines += [
        ("h", "电子签名"),
        ("p", f"组长签名：{c.signed_by.name}　　签署时间：{_local(c.signed_at)}"),
        ("small", f"签名算法 Ed25519；内容摘要 SHA-256：{c.content_digest}"),
        ("small", f"签名：{c.signature}"),
        ("small", f"公钥：{c.public_key}　　签名验证：{'有效' if expert.verify_conclusion(case) else '无效'}"),
    ]
    return lines


REPORT_AREA = "expert-report-pdf"


def report_for(case: ExpertCase, opinions: list) -> bytes:
    """The report's PDF: stored after the first rendering once the conclusion is signed."""
    lines = _lines(case, opinions)
    if case.conclusion is None or case.conclusion.signed_at is None:
        return render_report(case, opinions, lines)
    digest = hashlib.sha256(repr(lines).encode()).hexdigest()[:24]
    return rendered.once(REPORT_AREA, f"case-{case.id}-{digest}.pdf", lambda: render_report(case, opinions, lines))


def render_report(case: ExpertCase, opinions: list, lines: list[tuple[str, str]] | None = None) -> bytes:
    """The signed report of a concluded case as PDF bytes."""
    styles = _styles()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Expert case {case.id}",
    )
    story = []
    for style, text in lines if lines is not None else _lines(case, opinions):
        story.append(Paragraph(escape(text).replace("\n", "<br/>"), styles[style]))
        if style == "title":
            story.append(Spacer(1, 4 * mm))
    document.build(story)
    return buffer.getvalue()
