"""The words of the patient's readable record (English msgids; Chinese in translations/records)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from chronic.models import GlucoseContext, ReadingKind, ReadingLevel
from hospital.models.consultations import ConsultationMode as M
from hospital.models.consultations import ConsultationStatus as C

SEX = {"M": _l("Male"), "F": _l("Female")}
ROUTES = {
    "oral": _l("by mouth"),
    "sublingual": _l("under the tongue"),
    "inhalation": _l("inhaled"),
    "subcutaneous": _l("injected under the skin"),
    "im": _l("injected into a muscle"),
    "iv": _l("into a vein"),
    "transdermal": _l("as a skin patch"),
}
CONSULTATION_MODE = {M.TEXT: _l("text chat"), M.VOICE: _l("voice call"), M.VIDEO: _l("video call")}
CONSULTATION_STATUS = {
    C.WAITING: _l("waiting for a doctor"),
    C.ACCEPTED: _l("in progress"),
    C.COMPLETED: _l("completed"),
    C.REFERRED: _l("referred to an in-person visit"),
    C.CANCELLED: _l("cancelled"),
    C.EXPIRED: _l("expired"),
}
READING_KIND = {
    ReadingKind.BLOOD_PRESSURE: _l("Blood pressure"),
    ReadingKind.WEIGHT: _l("Weight"),
    (ReadingKind.GLUCOSE, GlucoseContext.FASTING): _l("Fasting glucose"),
    (ReadingKind.GLUCOSE, GlucoseContext.AFTER_MEAL): _l("Glucose after a meal"),
    (ReadingKind.GLUCOSE, GlucoseContext.RANDOM): _l("Glucose (any time)"),
}
LEVEL = {
    ReadingLevel.NORMAL: _l("in target"),
    ReadingLevel.LOW: _l("low"),
    ReadingLevel.HIGH: _l("high"),
    ReadingLevel.URGENT: _l("urgent: see a doctor"),
}
