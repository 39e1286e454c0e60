"""The patient's readable record as a PDF (reportlab), for an elderly reader: large type (body 15 pt,
headings 21 pt, title 28 pt), generous line spacing, one clear section after another, in the
language of the page he downloads it from; Chinese in the embedded CJK font (core.pdf).

`lines_of` gives the record's text in reading order, so that a test can compare it with the text a
PDF reader extracts."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

from chronic.models import GlucoseContext, Reading, ReadingKind
from core import clock
from core.pdf import cjk_font
from hospital import status_words
from hospital.models.prescriptions import Prescription
from hospital.services import patients
from hospital.services.prescription_safety import FREQUENCY_LABELS
from interchange import record_labels as words
from interchange.fhir_care import reading_range
from interchange.patient_record import PatientRecord, reading_summary

BODY_PT, HEADING_PT, TITLE_PT = 15, 21, 28
LEADING = 1.5  # line spacing: well above the 1.3 the age-friendly rules ask of screens


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=BODY_PT, leading=BODY_PT * LEADING, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=TITLE_PT, leading=TITLE_PT * 1.3, spaceAfter=4 * mm),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=HEADING_PT, leading=HEADING_PT * 1.3, spaceBefore=6 * mm, spaceAfter=2 * mm
        ),
        "body": body,
        "muted": ParagraphStyle("muted", parent=body, textColor=colors.HexColor("#333333")),
    }


def _day(value) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d") if value else "—"


def _minute(value) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _english() -> bool:
    return _("My health record") == "My health record"


def _drug(name_zh: str, name_en: str | None, strength: str) -> str:
    return f"{name_en if _english() and name_en else name_zh} {strength}"


def _personal(record: PatientRecord) -> list[str]:
    patient = record.patient
    age = patients.age_years(patient)
    born = patient.birth_date.isoformat() if patient.birth_date else "—"
    return [
        _("Name: %(name)s", name=patient.name),
        _("Sex: %(sex)s", sex=str(words.SEX.get(patient.sex or "", "—"))),
        _("Date of birth: %(born)s (age %(age)s)", born=born, age=age if age is not None else "—"),
        _("Resident ID: %(number)s", number=patient.id_number_masked or "—"),
    ]


def _diagnoses(record: PatientRecord) -> list[str]:
    lines = []
    for d in record.diagnoses:
        line = _(
            "%(diagnosis)s (ICD-10 %(code)s), diagnosed on %(day)s at %(hospital)s",
            diagnosis=d.diagnosis,
            code=d.icd10,
            day=d.diagnosed_on.isoformat(),
            hospital=d.hospital_name,
        )
        lines.append(line + _("; ") + _("stable") if d.stable else line)
    return lines or [_("No confirmed diagnosis recorded.")]


def _allergies(record: PatientRecord) -> list[str]:
    lines = []
    for a in record.allergies:
        severity = str(status_words.ALLERGY_SEVERITY.get(a.severity, a.severity))
        line = _("%(allergen)s: %(severity)s", allergen=patients.allergen_label(a.allergen), severity=severity)
        lines.append(line + _(" (%(band)s)", band=a.reaction) if a.reaction else line)
    return lines or [_("No allergy recorded.")]


def _medicines(record: PatientRecord) -> list[str]:
    lines = []
    for m in record.medicines:
        item = record.instructions.get((m.prescription_id, m.drug_code))
        route = str(words.ROUTES.get(item.route, item.route)) if item else ""
        how = _(
            "take %(dose)s each time, %(frequency)s, %(route)s",
            dose=f"{m.dose:g} {m.dose_unit}",
            frequency=str(FREQUENCY_LABELS.get(m.frequency, m.frequency)),
            route=route,
        )
        name = _drug(m.name, item.name_en if item else None, m.strength)
        lines.append(
            _("%(name)s: %(how)s.", name=name, how=how)
            + " "
            + _("Supply until %(day)s.", day=m.supply_until.isoformat())
        )
        if item and item.instructions:
            lines.append("    " + item.instructions)
    return lines or [_("No medicine in supply.")]


def _prescription(rx: Prescription) -> str:
    drugs = "、".join(_drug(i.name_zh, i.name_en, i.strength) for i in rx.items)
    status = str(status_words.PRESCRIPTION_STATUS.get(rx.effective_status, rx.effective_status))
    day = _day(rx.signed_at or rx.created_at)
    line = _(
        "%(day)s  %(code)s  %(diagnosis)s: %(drugs)s", day=day, code=rx.code, diagnosis=rx.diagnosis_name, drugs=drugs
    )
    return line + _(" (%(band)s)", band=status)


def _consultation(c) -> str:
    doctor = c.doctor.user.name if c.doctor else "—"
    department = c.department.name_en if _english() and c.department.name_en else c.department.name_zh
    mode = str(words.CONSULTATION_MODE.get(c.mode, c.mode))
    status = str(words.CONSULTATION_STATUS.get(c.status, c.status))
    return _(
        "%(day)s %(department)s, Dr %(doctor)s, by %(mode)s: %(status)s",
        day=_minute(c.created_at),
        department=department,
        doctor=doctor,
        mode=mode,
        status=status,
    )


def _target_band(reading: Reading, targets: dict) -> str:
    """The patient's own target for this kind of reading, in words."""
    if reading.kind == ReadingKind.BLOOD_PRESSURE:
        band = f"< {targets['bp_systolic_target']:g}/{targets['bp_diastolic_target']:g} mmHg"
    elif reading.kind == ReadingKind.GLUCOSE:
        low, high = reading_range(reading, targets)
        if high is None:
            return ""
        band = f"{low:g}–{high:g} mmol/L" if low is not None else f"< {high:g} mmol/L"
    else:
        return ""
    return _("target %(band)s", band=band)


def _reading(reading: Reading, targets: dict) -> str:
    key = (reading.kind, reading.context or GlucoseContext.RANDOM)
    kind = words.READING_KIND.get(reading.kind) or words.READING_KIND.get(key, reading.kind)
    level = str(words.LEVEL.get(reading.level, reading.level))
    band = _target_band(reading, targets)
    text = _(
        "%(time)s  %(kind)s: %(value)s, %(level)s",
        time=_minute(reading.measured_at),
        kind=str(kind),
        value=reading_summary(reading),
        level=level,
    )
    return text + _(" (%(band)s)", band=band) if band else text


def _visit(booking) -> str:
    department = booking.slot.department
    hospital = department.hospital
    hospital_name = hospital.name_en if _english() and hospital.name_en else hospital.name_zh
    department_name = department.name_en if _english() and department.name_en else department.name_zh
    return _(
        "%(time)s at %(hospital)s, %(department)s; booking code %(code)s",
        time=_minute(booking.slot.starts_at),
        hospital=hospital_name,
        department=department_name,
        code=booking.code,
    )


def sections(record: PatientRecord) -> list[tuple[str, list[str]]]:
    """The record's sections in reading order: (heading, lines)."""
    return [
        (_("Personal details"), _personal(record)),
        (_("Confirmed diagnoses"), _diagnoses(record)),
        (_("Allergies"), _allergies(record)),
        (_("Current medicines and how to take them"), _medicines(record)),
        (_("Recent prescriptions"), [_prescription(rx) for rx in record.prescriptions] or [_("None.")]),
        (_("Consultations"), [_consultation(c) for c in record.consultations] or [_("None.")]),
        (
            _("Recent readings (last 30 days)"),
            [_reading(r, record.targets) for r in record.readings] or [_("No reading in the last 30 days.")],
        ),
        (_("Upcoming visits"), [_visit(b) for b in record.visits] or [_("No visit booked.")]),
    ]


def title_lines(record: PatientRecord) -> list[str]:
    return [
        _("My health record"),
        _(
            "Printed on %(time)s for %(name)s.",
            time=_minute(record.printed_at),
            name=record.patient.name,
        ),
    ]


def lines_of(record: PatientRecord) -> list[str]:
    """Every line of the record, in order (headings included)."""
    lines = title_lines(record)
    for heading, body in sections(record):
        lines += [heading, *body]
    return lines


def render(record: PatientRecord) -> bytes:
    """The PDF: A4, wide margins, one section after another, page numbers at the foot."""
    styles = _styles()
    title, subtitle = title_lines(record)
    story = [Paragraph(escape(title), styles["title"]), Paragraph(escape(subtitle), styles["muted"])]
    for heading, body in sections(record):
        rule = HRFlowable(width="100%", color=colors.black, spaceAfter=2 * mm)
        story += [Paragraph(escape(heading), styles["heading"]), rule]
        story += [Paragraph(escape(line), styles["body"]) for line in body]
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(escape(_("Show this record to any doctor you visit.")), styles["muted"]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=record.patient.name,
    )
    document.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(cjk_font(), 12)
    canvas.drawCentredString(A4[0] / 2, 10 * mm, _("Page %(number)s", number=document.page))
    canvas.restoreState()
