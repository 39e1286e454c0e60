"""How the hospital's events read in a person's inbox and live toast (see core.notify).

Consultation events carry a sentence already written in the recipient's language (`title`, with
the doctor's name); the others are filled here from their payload.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.i18n import moment
from core.models import Role
from core.notify import register_notice


def _consultation(payload: dict, role: str) -> str:
    return f"/consultations/{payload.get('consultation_id')}"


def _prescription(payload: dict, role: str) -> str:
    if role == Role.PHARMACIST:
        return f"/pharmacist/review/{payload.get('prescription_id')}"
    return f"/prescriptions/{payload.get('prescription_id')}"


def _case(payload: dict, role: str) -> str:
    return f"/expert-cases/{payload.get('case_id')}"


ANSWERS = {"accepted": _l("has accepted"), "declined": _l("has declined")}


def _case_time(payload: dict) -> dict:
    return {"when": moment(payload.get("scheduled_at"))}


CONSULTATION_TITLES = {
    "waiting": _l("Consultation requested"),
    "accepted": _l("A doctor took your consultation"),
    "completed": _l("Consultation completed"),
    "referred": _l("Please visit the hospital in person"),
    "cancelled": _l("Consultation cancelled"),
    "expired": _l("Consultation expired"),
    "handover": _l("Consultation handed over"),
    "kept": _l("You keep a consultation"),
}
for _event, _title in CONSULTATION_TITLES.items():
    register_notice(f"consultation.{_event}", _title, "%(title)s", _consultation)

register_notice(
    "consultation.call_started",
    _l("A call is waiting for you"),
    _l("%(by)s is calling you in your consultation. Open it to answer."),
    _consultation,
)
register_notice(
    "prescription.signed",
    _l("A prescription waits for your review"),
    _l("Dr %(doctor_name)s signed a prescription for %(patient_name)s (%(diagnosis)s)."),
    _prescription,
)
register_notice(
    "prescription.approved",
    _l("Prescription approved"),
    _l("The pharmacist approved the prescription for %(patient_name)s (%(diagnosis)s)."),
    _prescription,
)
register_notice(
    "prescription.rejected",
    _l("Prescription returned by the pharmacist"),
    _l("The prescription for %(patient_name)s (%(diagnosis)s) was returned: %(reason)s"),
    _prescription,
)
register_notice(
    "prescription.rejected",
    _l("Your prescription needs a change"),
    _l(
        "The pharmacist returned your prescription for %(diagnosis)s to the doctor: %(reason)s. "
        "The doctor will revise it."
    ),
    _prescription,
    role=Role.PATIENT,
)
register_notice(
    "case.invited",
    _l("You are invited to an expert consultation"),
    _l("Case \u201c%(title)s\u201d, %(when)s. Please answer the invitation."),
    _case,
    params=_case_time,
)
register_notice(
    "case.urgent",
    _l("Urgent expert consultation"),
    _l("Case \u201c%(title)s\u201d needs you now: the room is open."),
    _case,
)
register_notice(
    "case.invitation_answered",
    _l("An expert answered your invitation"),
    _l("%(expert)s %(answer_words)s the invitation to case \u201c%(title)s\u201d."),
    _case,
    params=lambda payload: {"answer_words": ANSWERS.get(payload.get("answer"), "")},
)
register_notice(
    "case.invitation_withdrawn",
    _l("Invitation withdrawn"),
    _l("The panel leader withdrew your invitation to case \u201c%(title)s\u201d."),
    _case,
)
register_notice(
    "case.started", _l("Expert consultation started"), _l("The room of case \u201c%(title)s\u201d is open."), _case
)
register_notice(
    "case.cancelled", _l("Expert consultation cancelled"), _l("Case \u201c%(title)s\u201d was cancelled."), _case
)
register_notice(
    "case.concluded",
    _l("Expert opinion ready"),
    _l("The panel's consolidated opinion on \u201c%(title)s\u201d is signed; the report can be read."),
    _case,
)
