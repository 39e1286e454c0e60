"""What a consultation's change tells people: the room, the department queue and the parties."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core import accounts, notify
from core.extensions import db
from core.signals import room_access_ended
from hospital.models.consultations import Consultation, ConsultationMessage
from hospital.models.consultations import ConsultationStatus as S
from hospital.services import chat, network
from hospital.services import consultation_machine as machine

_TITLES = {
    "waiting": _l("Consultation #%(id)s is waiting for a doctor."),
    "accepted": _l("Dr %(doctor)s accepted consultation #%(id)s."),
    "completed": _l("Consultation #%(id)s is completed; the medical record is ready."),
    "referred": _l("Consultation #%(id)s ended: please visit the hospital in person."),
    "cancelled": _l("Consultation #%(id)s was cancelled."),
    "expired": _l("Consultation #%(id)s expired: no doctor took it before the shift ended. Please start again."),
    "handover": _l("Consultation #%(id)s was handed over to Dr %(doctor)s."),
}


def notify_party(user_id: int, consultation: Consultation, event: str, msgid=None, **extra) -> None:
    user = accounts.get_by_id(user_id)
    doctor_name = consultation.doctor.user.name if consultation.doctor else ""
    with force_locale((user.locale if user else None) or "zh"):
        title = str(msgid or _TITLES[event]) % {"id": consultation.id, "doctor": doctor_name}
    notify.notify_user(user_id, f"consultation.{event}", {**payload(consultation), "title": title, **extra})


def payload(consultation: Consultation) -> dict:
    """What every consultation.* event carries."""
    return {
        "consultation_id": consultation.id,
        "status": consultation.status,
        "department_id": consultation.department_id,
        "doctor_id": consultation.doctor_id,
        "url": f"/consultations/{consultation.id}",
    }


def announce(consultation: Consultation, event: str, actor_id: int | None, **extra) -> None:
    """After commit: push the change to the consultation room, the queue and the other side."""
    db.session.refresh(consultation)
    _end_room_access(consultation, event, extra.get("previous_doctor_user_id"))
    body = {**payload(consultation), "event": event}
    for message_id in db.session.info.pop("pending_messages", []):
        message = db.session.get(ConsultationMessage, message_id)
        notify.broadcast(machine.consultation_room(consultation.id), "message", chat.message_dict(message))
    notify.broadcast(machine.consultation_room(consultation.id), "consultation.status", body)
    notify.broadcast(machine.queue_room(consultation.department_id), "consultation.queue", body)
    recipients = {consultation.patient_id}
    if consultation.doctor is not None:
        recipients.add(consultation.doctor.user_id)
    if extra.get("previous_doctor_user_id"):
        recipients.add(extra["previous_doctor_user_id"])
    for user_id in recipients - {actor_id}:
        notify_party(user_id, consultation, event)


# Who may no longer be in the consultation's room after each change: doctors who looked at it in
# the queue (taken by a colleague, cancelled, expired) and the doctor who handed it over.
_QUEUE_CLOSED = {"accepted", "cancelled", "expired"}
OPEN_TO_QUEUE = (S.WAITING,)


def _end_room_access(consultation: Consultation, event: str, previous_doctor_user_id: int | None) -> None:
    """Announce who lost the room (the socket layer removes their sockets at once)."""
    ended: set[int] = set()
    if event in _QUEUE_CLOSED:
        ended = {d.user_id for d in network.list_doctors(department_id=consultation.department_id)}
    if event == "handover" and previous_doctor_user_id:
        ended.add(previous_doctor_user_id)
    if consultation.doctor is not None and consultation.status not in OPEN_TO_QUEUE:
        ended.discard(consultation.doctor.user_id)
    if ended:
        room_access_ended.send(machine.consultation_room(consultation.id), user_ids=sorted(ended))
