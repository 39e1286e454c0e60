"""Follow-up consultations: the state machine, who may see what, chat, records and handover.

Rules (DESIGN §3): follow-up visits only (a confirmed in-person diagnosis), real-name patients,
a guardian for children under 6, a doctor accepts only during his own shift and within its
capacity, open consultations are handed over at shift end (never dropped), waiting ones expire
at the end of the shift they wait for. Nothing here hard-deletes clinical data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import accounts, audit, clock, notify, tasks, uploads
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import (
    Consultation,
    ConsultationAttachment,
    ConsultationMessage,
    ConsultationMode,
    Handover,
    MedicalRecord,
    MessageKind,
    ReadReceipt,
)
from hospital.models.consultations import (
    ConsultationStatus as S,
)
from hospital.models.network import Doctor
from hospital.models.rota import Shift
from hospital.services import network, patients, rota

# The one transition table of the consultation state machine.
TRANSITIONS: dict[str, set[str]] = {
    S.WAITING: {S.ACCEPTED, S.CANCELLED, S.EXPIRED},
    S.ACCEPTED: {S.COMPLETED, S.REFERRED},
    S.COMPLETED: set(),
    S.REFERRED: set(),
    S.CANCELLED: set(),
    S.EXPIRED: set(),
}
OPEN = (S.WAITING, S.ACCEPTED)
MAX_TEXT = 2000
IMAGE_TYPES = (uploads.PNG, uploads.JPEG, uploads.WEBP)
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024

# Extension points for other areas: extra readers (e.g. the pharmacist of a prescription) and
# history sections (e.g. "prescriptions"). Registered at import time of those areas.
_access_rules: list[Callable[[User, Consultation], bool]] = []
_history_providers: dict[str, Callable[[int], list[dict]]] = {}


def register_access_rule(rule: Callable[[User, Consultation], bool]) -> None:
    """Let another area allow a reader: rule(user, consultation) -> True to allow (read only)."""
    if rule not in _access_rules:
        _access_rules.append(rule)


def register_history_provider(name: str, fn: Callable[[int], list[dict]]) -> None:
    """Add a section to patient_history(): fn(patient_id) -> list of plain dicts."""
    _history_providers[name] = fn


def queue_room(department_id: int) -> str:
    return f"queue:{department_id}"


def consultation_room(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


# --- the state machine ----------------------------------------------------------------------


def move_to(consultation: Consultation, status: str, **values) -> Consultation:
    """The only status change: checked against TRANSITIONS and applied as a conditional update,
    so that two concurrent actions (accept vs cancel, two doctors accepting) cannot both win."""
    current = consultation.status
    if status not in TRANSITIONS.get(current, set()):
        raise Conflict(
            "illegal_transition",
            _l("A consultation that is %(current)s cannot become %(target)s."),
            current=gettext(current),
            target=gettext(status),
        )
    result = db.session.execute(
        db.update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.status == current)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("illegal_transition", _l("The consultation changed meanwhile; please reload."))
    db.session.expire(consultation)
    return consultation


# --- who may see what -----------------------------------------------------------------------


def doctor_of(user: User) -> Doctor | None:
    return network.doctor_for_user(user.id) if user.role == Role.DOCTOR else None


def _held_before(doctor_id: int, consultation_id: int) -> bool:
    query = db.select(Handover.id).filter_by(consultation_id=consultation_id, from_doctor_id=doctor_id)
    return db.session.execute(query).first() is not None


def in_queue_of(doctor: Doctor, consultation: Consultation) -> bool:
    """A waiting one of his department (for anyone or for him) while he is on shift."""
    return (
        consultation.status == S.WAITING
        and consultation.department_id == doctor.department_id
        and consultation.doctor_id in (None, doctor.id)
        and rota.current_shift(doctor.id) is not None
    )


def is_participant(user: User, consultation: Consultation) -> bool:
    """The patient or the consulting doctor (the two who chat)."""
    if user.id == consultation.patient_id:
        return True
    doctor = doctor_of(user)
    return doctor is not None and consultation.doctor_id == doctor.id and consultation.status != S.WAITING


def can_view(user: User, consultation: Consultation) -> bool:
    if is_participant(user, consultation) or user.role == Role.ADMIN:
        return True
    doctor = doctor_of(user)
    if doctor is not None:
        return (
            consultation.doctor_id == doctor.id
            or in_queue_of(doctor, consultation)
            or _held_before(doctor.id, consultation.id)
        )
    return any(rule(user, consultation) for rule in _access_rules)


def _load(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    return consultation


def get_consultation_for(user: User, consultation_id: int) -> Consultation:
    """The consultation if this user may see it, else 404 (its existence does not leak)."""
    consultation = _load(consultation_id)
    if not can_view(user, consultation):
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    return consultation


def read_consultation(user: User, consultation_id: int) -> Consultation:
    """get_consultation_for plus the audit entry of the read (API and page views)."""
    sweep_due()
    consultation = get_consultation_for(user, consultation_id)
    audit.record_read(user.id, consultation.patient_id, "consultation", consultation.id)
    return consultation


def _participant(user: User, consultation_id: int) -> Consultation:
    consultation = get_consultation_for(user, consultation_id)
    if not is_participant(user, consultation):
        raise Forbidden("not_participant", _l("Only the patient and the consulting doctor may do this."))
    return consultation


def _consulting_doctor(doctor_user: User, consultation_id: int) -> tuple[Consultation, Doctor]:
    if doctor_user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only the consulting doctor may do this."))
    consultation = get_consultation_for(doctor_user, consultation_id)
    doctor = doctor_of(doctor_user)
    if doctor is None or consultation.doctor_id != doctor.id:
        raise Forbidden("not_consulting_doctor", _l("Only the consulting doctor may do this."))
    return consultation, doctor


def require_accepted_by(doctor_user: User, consultation_id: int) -> Consultation:
    """The consultation when this doctor is its consulting doctor and it is accepted (prescribing)."""
    consultation, _doctor = _consulting_doctor(doctor_user, consultation_id)
    if consultation.status != S.ACCEPTED:
        raise Conflict("not_accepted", _l("Only an accepted consultation allows this."))
    return consultation


# --- starting one ---------------------------------------------------------------------------


def _guardian_values(patient: User, guardian: dict | None) -> dict:
    guardian = {k: (v or "").strip() for k, v in (guardian or {}).items() if isinstance(v, str)}
    if patients.is_young_child(patient):
        if not guardian.get("name") or not guardian.get("relation"):
            raise ValidationFailed(
                "guardian_required",
                _l("A child under 6 needs a guardian: enter the guardian's name and relation."),
                field="guardian_name",
            )
        if guardian.get("phone"):
            accounts.check_phone(guardian["phone"])
    return {
        "guardian_name": guardian.get("name") or None,
        "guardian_relation": guardian.get("relation") or None,
        "guardian_phone": guardian.get("phone") or None,
    }


def _target_shift(department_id: int, doctor_id: int | None) -> Shift:
    """The shift the request waits for: the latest-ending one on duty now, else the next one."""
    now = clock.now()
    shifts = [s for s in rota.shifts_at(now, department_id) if doctor_id in (None, s.doctor_id)]
    open_now = [s for s in shifts if s.accepted < s.capacity]
    if shifts and not open_now:
        raise Conflict("capacity_full", _l("The doctors on duty are fully booked; please try the next shift."))
    if open_now:
        return max(open_now, key=lambda s: s.ends_at)
    upcoming = [
        s for s in rota.list_shifts(department_id=department_id, upcoming=True) if doctor_id in (None, s.doctor_id)
    ]
    if not upcoming:
        raise Conflict(
            "no_shift", _l("No doctor of this department is on the rota; please choose another."), field="department_id"
        )
    return upcoming[0]


def _waiting_count(shift: Shift) -> int:
    query = db.select(db.func.count(Consultation.id)).where(
        Consultation.department_id == shift.department_id,
        Consultation.status == S.WAITING,
        Consultation.expires_at <= shift.ends_at,
        Consultation.expires_at > clock.now(),
    )
    return db.session.execute(query).scalar_one()


def start_consultation(
    patient_id: int,
    department_id: int,
    diagnosis_id: int | None,
    mode: str,
    complaint: str,
    *,
    doctor_id: int | None = None,
    guardian: dict | None = None,
    renewal_of_prescription_id: int | None = None,
) -> Consultation:
    """Open a follow-up consultation; it waits in the department's queue (or the chosen doctor's)."""
    patient = patients.require_patient(accounts.get_user(patient_id))
    diagnosis = patients.get_diagnosis_of(patient.id, diagnosis_id)
    if diagnosis is None:
        raise ValidationFailed(
            "first_visit",
            _l(
                "Online consultations are follow-up visits only: choose or add a diagnosis "
                "confirmed at an in-person visit."
            ),
            field="diagnosis_id",
        )
    if mode not in list(ConsultationMode):
        raise ValidationFailed("invalid_mode", _l("Choose text, voice or video."), field="mode")
    complaint = (complaint or "").strip()
    if not 2 <= len(complaint) <= MAX_TEXT:
        raise ValidationFailed(
            "complaint_required", _l("Describe briefly why you come (2 to 2000 characters)."), field="complaint"
        )
    department = network.get_department(department_id)
    if doctor_id is not None and network.get_doctor(doctor_id).department_id != department.id:
        raise ValidationFailed(
            "doctor_not_in_department", _l("This doctor is not in that department."), field="doctor_id"
        )
    guardian_values = _guardian_values(patient, guardian)
    shift = _target_shift(department.id, doctor_id)
    consultation = Consultation(
        patient_id=patient.id,
        department_id=department.id,
        doctor_id=doctor_id,
        diagnosis_id=diagnosis.id,
        mode=mode,
        complaint=complaint,
        renewal_of_prescription_id=renewal_of_prescription_id,
        expires_at=shift.ends_at,
        status=S.WAITING,
        **guardian_values,
    )
    db.session.add(consultation)
    db.session.flush()
    audit.record(
        patient.id,
        patient.id,
        "create",
        "consultation",
        consultation.id,
        mode=mode,
        diagnosis_id=diagnosis.id,
        department_id=department.id,
    )
    db.session.commit()
    _announce(consultation, "waiting", patient.id)
    return consultation


def request_consultation(patient: User, data: dict) -> Consultation:
    """The patient's request: an existing diagnosis or a new one, then start_consultation."""
    patients.require_patient(patient)
    diagnosis_id = data.get("diagnosis_id")
    new = data.get("new_diagnosis")
    if not diagnosis_id and new:
        diagnosis_id = patients.add_diagnosis(
            patient, new.get("hospital_name"), new.get("diagnosis"), new.get("icd10"), new.get("diagnosed_on")
        ).id
    return start_consultation(
        patient.id,
        data["department_id"],
        diagnosis_id,
        data.get("mode", "text"),
        data.get("complaint", ""),
        doctor_id=data.get("doctor_id"),
        guardian=data.get("guardian"),
        renewal_of_prescription_id=data.get("renewal_of_prescription_id"),
    )


# --- lists ----------------------------------------------------------------------------------


def list_for(user: User, status: str | None = None, limit: int = 100) -> list[Consultation]:
    """A patient's own consultations; a doctor's (held now or before); all for administrators."""
    sweep_due()
    query = db.select(Consultation).order_by(Consultation.id.desc()).limit(limit)
    if user.role == Role.PATIENT:
        query = query.where(Consultation.patient_id == user.id)
    elif user.role == Role.DOCTOR:
        doctor = doctor_of(user)
        held = db.select(Handover.consultation_id).where(Handover.from_doctor_id == (doctor.id if doctor else 0))
        query = query.where(
            (Consultation.doctor_id == (doctor.id if doctor else 0)) & (Consultation.status != S.WAITING)
            | Consultation.id.in_(held)
        )
    elif user.role != Role.ADMIN:
        raise Forbidden("role_refused", _l("Your role may not do this."))
    if status:
        query = query.where(Consultation.status == status)
    rows = list(db.session.execute(query).scalars())
    audit.record_read(
        user.id,
        user.id if user.role == Role.PATIENT else None,
        "consultation_list",
        None,
        ids=[c.id for c in rows][:50],
    )
    return rows


def queue_for(doctor_user: User) -> dict:
    """The doctor's live queue: his shift now and the waiting patients he may accept."""
    sweep_due()
    doctor = doctor_of(doctor_user)
    if doctor is None:
        raise Forbidden("role_refused", _l("Only doctors have a queue."))
    shift = rota.current_shift(doctor.id)
    waiting: list[Consultation] = []
    if shift is not None:
        query = (
            db.select(Consultation)
            .where(Consultation.department_id == doctor.department_id, Consultation.status == S.WAITING)
            .where((Consultation.doctor_id.is_(None)) | (Consultation.doctor_id == doctor.id))
            .order_by(Consultation.created_at)
        )
        waiting = list(db.session.execute(query).scalars())
    mine = list(
        db.session.execute(
            db.select(Consultation)
            .where(Consultation.doctor_id == doctor.id, Consultation.status == S.ACCEPTED)
            .order_by(Consultation.accepted_at)
        ).scalars()
    )
    audit.record_read(doctor_user.id, None, "consultation_queue", None, ids=[c.id for c in waiting + mine][:50])
    return {
        "doctor": doctor,
        "shift": shift,
        "next_shifts": rota.list_shifts(doctor_id=doctor.id, upcoming=True)[:5],
        "waiting": waiting,
        "accepted": mine,
    }


# --- actions --------------------------------------------------------------------------------


def accept(doctor_user: User, consultation_id: int) -> Consultation:
    """The doctor on shift takes a waiting consultation of his department (within capacity)."""
    if doctor_user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only doctors accept consultations."))
    sweep_due()
    doctor = doctor_of(doctor_user)
    consultation = _load(consultation_id)
    if (
        doctor is None
        or consultation.department_id != doctor.department_id
        or (consultation.doctor_id not in (None, doctor.id))
    ):
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    shift = rota.current_shift(doctor.id)
    if shift is None:
        raise Conflict("off_shift", _l("You can accept consultations only during your own shift."))
    move_to(consultation, S.ACCEPTED, doctor_id=doctor.id, shift_id=shift.id, accepted_at=clock.now())
    try:
        rota.take_place(shift.id)
    except Conflict:
        db.session.rollback()
        raise
    audit.record(doctor_user.id, consultation.patient_id, "accept", "consultation", consultation.id, shift_id=shift.id)
    _system_message(consultation, _l("Dr %(name)s accepted the consultation."), name=doctor_user.name)
    db.session.commit()
    _announce(consultation, "accepted", doctor_user.id)
    return consultation


def cancel(user: User, consultation_id: int, reason: str = "") -> Consultation:
    """The patient withdraws, or a doctor of the queue declines, a waiting consultation."""
    consultation = get_consultation_for(user, consultation_id)
    if user.id != consultation.patient_id and user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only the patient or a doctor of the department may cancel."))
    move_to(consultation, S.CANCELLED, ended_at=clock.now(), ended_by_id=user.id, end_reason=(reason or "")[:500])
    audit.record(user.id, consultation.patient_id, "cancel", "consultation", consultation.id, reason=reason[:200])
    db.session.commit()
    _announce(consultation, "cancelled", user.id)
    return consultation


RECORD_FIELDS = ("chief_complaint", "history", "diagnosis", "icd10", "advice")


def record_of(consultation_id: int) -> MedicalRecord | None:
    return db.session.execute(db.select(MedicalRecord).filter_by(consultation_id=consultation_id)).scalar_one_or_none()


def get_record(user: User, consultation_id: int) -> MedicalRecord:
    consultation = get_consultation_for(user, consultation_id)
    record = db.session.execute(
        db.select(MedicalRecord).filter_by(consultation_id=consultation.id)
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("record_not_found", _l("No medical record has been written yet."))
    audit.record_read(user.id, consultation.patient_id, "medical_record", record.id)
    return record


def _write_record(consultation: Consultation, doctor: Doctor, actor: User, values: dict) -> MedicalRecord:
    values = {k: (values.get(k) or "").strip() for k in RECORD_FIELDS if values.get(k) is not None}
    if values.get("icd10"):
        values["icd10"] = values["icd10"].upper()
        if not patients.ICD10_RE.match(values["icd10"]):
            raise ValidationFailed("invalid_icd10", _l("Enter an ICD-10 code such as I10 or E11.9."), field="icd10")
    record = db.session.execute(
        db.select(MedicalRecord).filter_by(consultation_id=consultation.id)
    ).scalar_one_or_none()
    if record is None:
        record = MedicalRecord(consultation_id=consultation.id, doctor_id=doctor.id)
        db.session.add(record)
    before = {k: getattr(record, k) for k in RECORD_FIELDS}
    for key, value in values.items():
        setattr(record, key, value)
    record.doctor_id, record.updated_at = doctor.id, clock.now()
    db.session.flush()
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    audit.record(actor.id, consultation.patient_id, "update", "medical_record", record.id, changed=sorted(changed))
    return record


def _check_record_complete(record: MedicalRecord) -> None:
    for field in ("chief_complaint", "diagnosis", "icd10", "advice"):
        if not getattr(record, field):
            raise ValidationFailed(
                "record_incomplete",
                _l("The medical record needs a chief complaint, a diagnosis with its ICD-10 code and advice."),
                field=field,
            )


def save_record(doctor_user: User, consultation_id: int, values: dict) -> MedicalRecord:
    """The consulting doctor writes or revises the record while the consultation is open."""
    require_accepted_by(doctor_user, consultation_id)
    consultation = _load(consultation_id)
    record = _write_record(consultation, doctor_of(doctor_user), doctor_user, values)
    db.session.commit()
    return record


def complete(doctor_user: User, consultation_id: int, record_values: dict | None = None) -> Consultation:
    """End with a complete medical record (the record is then fixed)."""
    consultation = require_accepted_by(doctor_user, consultation_id)
    record = _write_record(consultation, doctor_of(doctor_user), doctor_user, record_values or {})
    _check_record_complete(record)
    move_to(consultation, S.COMPLETED, ended_at=clock.now(), ended_by_id=doctor_user.id)
    audit.record(doctor_user.id, consultation.patient_id, "complete", "consultation", consultation.id)
    _system_message(consultation, _l("The doctor completed the consultation and wrote the medical record."))
    db.session.commit()
    _announce(consultation, "completed", doctor_user.id)
    return consultation


def refer_offline(doctor_user: User, consultation_id: int, reason: str, record_values: dict | None = None):
    """End with a referral to an in-person visit instead of a prescription."""
    consultation = require_accepted_by(doctor_user, consultation_id)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("reason_required", _l("Say why an in-person visit is needed."), field="reason")
    if record_values:
        _write_record(consultation, doctor_of(doctor_user), doctor_user, record_values)
    move_to(consultation, S.REFERRED, ended_at=clock.now(), ended_by_id=doctor_user.id, end_reason=reason[:1000])
    audit.record(doctor_user.id, consultation.patient_id, "refer", "consultation", consultation.id)
    _system_message(consultation, _l("The doctor asks for an in-person visit: %(reason)s"), reason=reason)
    db.session.commit()
    _announce(consultation, "referred", doctor_user.id)
    return consultation


def handover(
    doctor_user: User, consultation_id: int, to_doctor_id: int | None = None, keep: bool = False, note: str = ""
) -> Consultation:
    """The consulting doctor keeps an accepted consultation past his shift, or hands it to a colleague."""
    consultation = require_accepted_by(doctor_user, consultation_id)
    doctor = doctor_of(doctor_user)
    if keep:
        consultation.kept_by_doctor = True
        db.session.add(
            Handover(
                consultation_id=consultation.id,
                from_doctor_id=doctor.id,
                to_doctor_id=doctor.id,
                kept=True,
                note=note[:500],
            )
        )
        audit.record(doctor_user.id, consultation.patient_id, "keep", "consultation", consultation.id)
        db.session.commit()
        return consultation
    target = network.get_doctor(to_doctor_id) if to_doctor_id else None
    shift = None
    if target is None:
        shift = rota.next_shift_in_department(doctor.department_id, clock.now(), exclude_doctor_id=doctor.id)
        target = shift.doctor if shift else None
    if target is None or target.id == doctor.id or target.department_id != consultation.department_id:
        raise ValidationFailed("no_colleague", _l("Choose a colleague of the same department."), field="to_doctor_id")
    shift = shift or rota.next_shift_in_department(target.department_id, clock.now())
    _hand_to(consultation, doctor, target, shift.id if shift and shift.doctor_id == target.id else None, note)
    db.session.commit()
    _announce(consultation, "handover", doctor_user.id)
    return consultation


def _hand_to(consultation: Consultation, from_doctor: Doctor, to_doctor: Doctor, shift_id: int | None, note: str):
    db.session.add(
        Handover(
            consultation_id=consultation.id, from_doctor_id=from_doctor.id, to_doctor_id=to_doctor.id, note=note[:500]
        )
    )
    consultation.doctor_id, consultation.shift_id, consultation.kept_by_doctor = to_doctor.id, shift_id, False
    audit.record(
        from_doctor.user_id,
        consultation.patient_id,
        "handover",
        "consultation",
        consultation.id,
        to_doctor_id=to_doctor.id,
    )
    _system_message(consultation, _l("Handed over to Dr %(name)s for the next shift."), name=to_doctor.user.name)


# --- shift end: expiry and handover ---------------------------------------------------------


@tasks.every(30)
def sweep_due(now: datetime | None = None) -> dict:
    """Expire waiting consultations whose shift is over; hand over accepted ones whose doctor's
    shift ended (unless he keeps them). Cheap when nothing is due, so views call it lazily."""
    now = now or clock.now()
    expired = list(
        db.session.execute(
            db.select(Consultation).where(Consultation.status == S.WAITING, Consultation.expires_at <= now)
        ).scalars()
    )
    for consultation in expired:
        _expire(consultation, now)
    ended = list(
        db.session.execute(
            db.select(Consultation)
            .join(Shift, Shift.id == Consultation.shift_id)
            .where(Consultation.status == S.ACCEPTED, Consultation.kept_by_doctor.is_(False), Shift.ends_at <= now)
        ).scalars()
    )
    handed = sum(_handover_at_shift_end(c, now) for c in ended)
    return {"expired": len(expired), "handed_over": handed, "kept": len(ended) - handed}


def _expire(consultation: Consultation, now: datetime) -> None:
    try:
        move_to(consultation, S.EXPIRED, ended_at=now)
    except Conflict:
        return  # accepted or cancelled meanwhile
    audit.record(None, consultation.patient_id, "expire", "consultation", consultation.id)
    db.session.commit()
    _announce(consultation, "expired", None)


def _handover_at_shift_end(consultation: Consultation, now: datetime) -> bool:
    doctor = consultation.doctor
    shift = rota.next_shift_in_department(consultation.department_id, now, exclude_doctor_id=doctor.id)
    if shift is None:  # nobody to take it: the doctor keeps it (never dropped) and is told
        consultation.kept_by_doctor = True
        db.session.add(
            Handover(
                consultation_id=consultation.id,
                from_doctor_id=doctor.id,
                to_doctor_id=doctor.id,
                kept=True,
                note="no colleague on the next shift",
            )
        )
        db.session.commit()
        _notify(
            doctor.user_id,
            consultation,
            "kept",
            _l("No colleague is on the next shift: you keep consultation #%(id)s."),
        )
        return False
    _hand_to(consultation, doctor, shift.doctor, shift.id, "shift end")
    db.session.commit()
    _announce(consultation, "handover", None, previous_doctor_user_id=doctor.user_id)
    return True


# --- chat -----------------------------------------------------------------------------------


def message_dict(message: ConsultationMessage) -> dict:
    """A chat message as clients see it (the same shape on the socket and in the API)."""
    return {
        "id": message.id,
        "consultation_id": message.consultation_id,
        "seq": message.seq,
        "sender_id": message.sender_id,
        "sender_name": message.sender.name if message.sender else None,
        "kind": message.kind,
        "text": message.text,
        "client_id": message.client_id,
        "attachment_url": (
            f"/api/consultations/{message.consultation_id}/attachments/{message.attachment_id}"
            if message.attachment_id
            else None
        ),
        "created_at": clock.to_local(message.created_at).isoformat(),
    }


def _next_seq(consultation_id: int) -> int:
    """Take the next sequence number (the update holds the write lock until commit: no gaps race)."""
    return db.session.execute(
        db.update(Consultation)
        .where(Consultation.id == consultation_id)
        .values(last_seq=Consultation.last_seq + 1)
        .returning(Consultation.last_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _add_message(
    consultation_id: int,
    sender_id: int | None,
    kind: str,
    text: str,
    client_id: str | None = None,
    attachment_id: int | None = None,
) -> ConsultationMessage:
    message = ConsultationMessage(
        consultation_id=consultation_id,
        seq=_next_seq(consultation_id),
        sender_id=sender_id,
        kind=kind,
        text=text,
        client_id=client_id,
        attachment_id=attachment_id,
        created_at=clock.now(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _system_message(consultation: Consultation, msgid, **params) -> None:
    """A line in the dialogue for a state change (in Chinese, the language of the record)."""
    with force_locale("zh"):
        text = str(msgid) % params if params else str(msgid)
    message = _add_message(consultation.id, None, MessageKind.SYSTEM, text)
    db.session.info.setdefault("pending_messages", []).append(message.id)


def _check_can_write(user: User, consultation: Consultation) -> None:
    if consultation.status == S.ACCEPTED or (consultation.status == S.WAITING and user.id == consultation.patient_id):
        return
    raise Conflict("chat_closed", _l("Messages can be sent only while the consultation is open."))


def _existing(consultation_id: int, sender_id: int, client_id: str | None) -> ConsultationMessage | None:
    if not client_id:
        return None
    query = db.select(ConsultationMessage).filter_by(
        consultation_id=consultation_id, sender_id=sender_id, client_id=client_id
    )
    return db.session.execute(query).scalar_one_or_none()


def post_message(user: User, consultation_id: int, text: str, client_id: str | None = None) -> tuple[dict, bool]:
    """Store a text message, then broadcast it; a resent client_id returns the stored one (False)."""
    consultation = _participant(user, consultation_id)
    client_id = (client_id or "")[:64] or None
    existing = _existing(consultation.id, user.id, client_id)
    if existing is not None:
        return message_dict(existing), False
    _check_can_write(user, consultation)
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValidationFailed("invalid_text", _l("A message has 1 to 2000 characters."), field="text")
    return _store_and_broadcast(user, consultation, MessageKind.TEXT, text, client_id)


def _store_and_broadcast(user, consultation, kind, text, client_id, attachment_id=None) -> tuple[dict, bool]:
    try:
        message = _add_message(consultation.id, user.id, kind, text, client_id, attachment_id)
        audit.record(user.id, consultation.patient_id, "create", "consultation_message", message.id)
        payload = message_dict(message)  # before the commit expires the row: no reload per message
        db.session.commit()
    except IntegrityError:  # the same client_id raced in twice: the first one wins
        db.session.rollback()
        return message_dict(_existing(consultation.id, user.id, client_id)), False
    notify.broadcast(consultation_room(consultation.id), "message", payload)
    return payload, True


def messages_since(user: User, consultation_id: int, since: int = 0, limit: int = 500) -> list[dict]:
    """Messages after `since` (a seq), in order: what a reconnecting client missed."""
    consultation = get_consultation_for(user, consultation_id)
    query = (
        db.select(ConsultationMessage)
        .where(ConsultationMessage.consultation_id == consultation.id, ConsultationMessage.seq > (since or 0))
        .order_by(ConsultationMessage.seq)
        .limit(limit)
    )
    rows = [message_dict(m) for m in db.session.execute(query).scalars()]
    audit.record_read(user.id, consultation.patient_id, "consultation_messages", consultation.id, since=since)
    return rows


def mark_read(user: User, consultation_id: int, seq: int) -> dict:
    """Remember how far this participant has read; tell the other side."""
    consultation = _participant(user, consultation_id)
    seq = max(0, min(int(seq or 0), consultation.last_seq))
    row = db.session.execute(
        db.select(ReadReceipt).filter_by(consultation_id=consultation.id, user_id=user.id)
    ).scalar_one_or_none()
    if row is None:
        row = ReadReceipt(consultation_id=consultation.id, user_id=user.id, seq=0)
        db.session.add(row)
    if seq > row.seq:
        row.seq, row.updated_at = seq, clock.now()
    db.session.commit()
    payload = {"consultation_id": consultation.id, "user_id": user.id, "seq": row.seq}
    notify.broadcast(consultation_room(consultation.id), "consultation.read", payload)
    return payload


def read_state(consultation_id: int) -> dict[int, int]:
    rows = db.session.execute(db.select(ReadReceipt).filter_by(consultation_id=consultation_id)).scalars()
    return {row.user_id: row.seq for row in rows}


# --- images ---------------------------------------------------------------------------------


def add_image(user: User, consultation_id: int, data: bytes, filename: str = "", client_id: str | None = None):
    """Store an image (type by magic bytes, size limited) under UPLOAD_FOLDER and post it in the chat."""
    consultation = _participant(user, consultation_id)
    existing = _existing(consultation.id, user.id, (client_id or "")[:64] or None)
    if existing is not None:
        return message_dict(existing), False
    _check_can_write(user, consultation)
    limit = current_app.config.get("CONSULTATION_IMAGE_MAX_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    if not data or len(data) > limit:
        raise ValidationFailed(
            "image_too_large", _l("An image may be at most %(mb)s MB."), field="file", mb=limit // (1024 * 1024)
        )
    kind = uploads.detect_type(data)
    if kind not in IMAGE_TYPES:
        raise ValidationFailed("image_type", _l("Only PNG, JPEG or WebP images can be sent."), field="file")
    mime = kind.mime
    stored = uploads.store("consultations", data, kind, prefix=f"{consultation.id}/")
    attachment = ConsultationAttachment(
        consultation_id=consultation.id,
        uploader_id=user.id,
        stored_name=stored,
        original_name=(filename or "")[:200],
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(attachment)
    db.session.flush()
    return _store_and_broadcast(
        user, consultation, MessageKind.IMAGE, "", (client_id or "")[:64] or None, attachment.id
    )


def attachment_file(user: User, consultation_id: int, attachment_id: int) -> tuple[Path, str]:
    """The stored file of an attachment, for the consultation's participants (and queue viewers)."""
    consultation = get_consultation_for(user, consultation_id)
    attachment = db.session.get(ConsultationAttachment, attachment_id)
    if attachment is None or attachment.consultation_id != consultation.id:
        raise NotFound("attachment_not_found", MSG_NOT_FOUND)
    audit.record_read(user.id, consultation.patient_id, "consultation_attachment", attachment.id)
    return uploads.upload_path("consultations", attachment.stored_name), attachment.mime


# --- history --------------------------------------------------------------------------------


def _may_see_patient(actor: User, patient_id: int) -> bool:
    if actor.id == patient_id or actor.role == Role.ADMIN:
        return True
    doctor = doctor_of(actor)
    if doctor is None:
        return False
    query = db.select(Consultation).where(Consultation.patient_id == patient_id, Consultation.status.in_(OPEN))
    return (
        any(can_view(actor, c) for c in db.session.execute(query).scalars())
        or db.session.execute(
            db.select(Consultation.id).where(Consultation.patient_id == patient_id, Consultation.doctor_id == doctor.id)
        ).first()
        is not None
    )


def patient_history(actor: User, patient_id: int) -> dict:
    """Earlier consultations (with records), confirmed diagnoses, allergies and registered sections."""
    if not _may_see_patient(actor, patient_id):
        raise NotFound("patient_not_found", MSG_NOT_FOUND)
    patient = accounts.get_user(patient_id)
    consultations = list(
        db.session.execute(
            db.select(Consultation)
            .where(Consultation.patient_id == patient_id)
            .order_by(Consultation.id.desc())
            .limit(50)
        ).scalars()
    )
    records = {
        r.consultation_id: r
        for r in db.session.execute(
            db.select(MedicalRecord).where(MedicalRecord.consultation_id.in_([c.id for c in consultations]))
        ).scalars()
    }
    history = {
        "patient": {
            "id": patient.id,
            "name": patient.name,
            "sex": patient.sex,
            "age": patients.age_years(patient),
            "id_number": patient.id_number_masked,
        },
        "consultations": [_history_item(c, records.get(c.id)) for c in consultations],
        "diagnoses": [_diagnosis_dict(d) for d in patients.list_diagnoses(patient_id)],
        "allergies": [{"allergen": a.allergen, "reaction": a.reaction} for a in patients.list_allergies(patient_id)],
    }
    for name, provider in _history_providers.items():
        history[name] = provider(patient_id)
    audit.record_read(actor.id, patient_id, "patient_history", patient_id)
    return history


def _diagnosis_dict(d) -> dict:
    return {
        "id": d.id,
        "hospital_name": d.hospital_name,
        "diagnosis": d.diagnosis,
        "icd10": d.icd10,
        "diagnosed_on": d.diagnosed_on.isoformat(),
        "stable": d.stable,
    }


def _history_item(c: Consultation, record: MedicalRecord | None) -> dict:
    return {
        "id": c.id,
        "status": c.status,
        "mode": c.mode,
        "complaint": c.complaint,
        "created_at": clock.to_local(c.created_at).isoformat(),
        "department": c.department.name_zh if c.department else None,
        "doctor": c.doctor.user.name if c.doctor else None,
        "record": {k: getattr(record, k) for k in RECORD_FIELDS} if record else None,
    }


# --- notifications --------------------------------------------------------------------------

_TITLES = {
    "waiting": _l("Consultation #%(id)s is waiting for a doctor."),
    "accepted": _l("Dr %(doctor)s accepted consultation #%(id)s."),
    "completed": _l("Consultation #%(id)s is completed; the medical record is ready."),
    "referred": _l("Consultation #%(id)s ended: please visit the hospital in person."),
    "cancelled": _l("Consultation #%(id)s was cancelled."),
    "expired": _l("Consultation #%(id)s expired: no doctor took it before the shift ended. Please start again."),
    "handover": _l("Consultation #%(id)s was handed over to Dr %(doctor)s."),
}


def _notify(user_id: int, consultation: Consultation, event: str, msgid=None, **extra) -> None:
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


def _announce(consultation: Consultation, event: str, actor_id: int | None, **extra) -> None:
    """After commit: push the change to the consultation room, the queue and the other side."""
    db.session.refresh(consultation)
    body = {**payload(consultation), "event": event}
    for message_id in db.session.info.pop("pending_messages", []):
        message = db.session.get(ConsultationMessage, message_id)
        notify.broadcast(consultation_room(consultation.id), "message", message_dict(message))
    notify.broadcast(consultation_room(consultation.id), "consultation.status", body)
    notify.broadcast(queue_room(consultation.department_id), "consultation.queue", body)
    recipients = {consultation.patient_id}
    if consultation.doctor is not None:
        recipients.add(consultation.doctor.user_id)
    if extra.get("previous_doctor_user_id"):
        recipients.add(extra["previous_doctor_user_id"])
    for user_id in recipients - {actor_id}:
        _notify(user_id, consultation, event)
