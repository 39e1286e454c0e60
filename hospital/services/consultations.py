"""Follow-up consultations: starting one, the lists and queue, and the doctor's actions (accept,
cancel, complete, refer offline). Access, chat, images, records, history, handover and the
notices each live in their own module beside this one.

Rules (DESIGN §3): follow-up visits only (a confirmed in-person diagnosis), real-name patients,
a guardian for children under 6, a doctor accepts only during his own shift and within its
capacity, open consultations are handed over at shift end (never dropped), waiting ones expire
at the end of the shift they wait for. Nothing here hard-deletes clinical data.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import accounts, audit, clock, rows
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.rows import Shown
from hospital.models.consultations import Consultation, ConsultationMode
from hospital.models.consultations import ConsultationStatus as S
from hospital.models.rota import Shift
from hospital.services import chat, network, patients, rota
from hospital.services import consultation_access as access
from hospital.services import consultation_handover as handover
from hospital.services import consultation_machine as machine
from hospital.services import consultation_notices as notices
from hospital.services import consultation_queries as queries
from hospital.services import consultation_records as records

# Names other areas reach through this module (prescriptions, renewals).
from hospital.services.consultation_access import require_accepted_by  # noqa: F401
from hospital.services.consultation_history import register_history_provider  # noqa: F401


def read_consultation(user: User, consultation_id: int) -> Shown:
    """What the consultation's answer prints (rows: consultation_queries), if this user may see
    it (404 otherwise); the read audited."""
    handover.sweep_lazily()
    found = queries.shaped(rows.read(queries.ONE_SHOWN, {"consultation_id": consultation_id}))
    consultation = access.visible(user, found[0] if found else None)
    audit.record_read(user.id, consultation.patient_id, "consultation", consultation.id)
    return consultation


def open_consultation(user: User, consultation_id: int) -> Consultation:
    """The consultation itself, for its page (which shows more of it than the API's answer), if
    this user may see it; the read audited as read_consultation's."""
    handover.sweep_lazily()
    consultation = access.get_consultation_for(user, consultation_id)
    audit.record_read(user.id, consultation.patient_id, "consultation", consultation.id)
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
    if not 2 <= len(complaint) <= chat.MAX_TEXT:
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
    notices.announce(consultation, "waiting", patient.id)
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


def list_for(user: User, status: str | None = None, limit: int = 100) -> list[Shown]:
    """A patient's own consultations; a doctor's (held now or before); all for administrators: as
    their answers print them (rows: consultation_queries)."""
    handover.sweep_lazily()
    if user.role not in (Role.PATIENT, Role.DOCTOR, Role.ADMIN):
        raise Forbidden("role_refused", _l("Your role may not do this."))
    query = queries.listed_for(user.role, by_status=bool(status))
    listed = queries.shaped(rows.read(query, {"user_id": user.id, "limit": limit, "status": status}))
    audit.record_read(
        user.id,
        user.id if user.role == Role.PATIENT else None,
        "consultation_list",
        None,
        ids=[c.id for c in listed][:50],
    )
    return listed


def queue_for(doctor_user: User) -> dict:
    """The doctor's live queue: his shift now and the waiting patients he may accept."""
    handover.sweep_lazily()
    doctor = access.doctor_of(doctor_user)
    if doctor is None:
        raise Forbidden("role_refused", _l("Only doctors have a queue."))
    now = clock.now()
    # His shifts not over yet, the one running now first (a doctor's shifts never overlap), read
    # with what they print (his name, their department).
    upcoming = rota.upcoming_shifts_of(doctor.id, now)
    shift = upcoming[0] if upcoming and upcoming[0].starts_at <= now else None
    # The waiting ones he may take (only while on shift) and his accepted ones, in one statement.
    params = {"doctor_id": doctor.id, "department_id": doctor.department_id}
    found = queries.shaped(rows.read(queries.queue_of(on_shift=shift is not None), params))
    waiting = sorted((c for c in found if c.status == S.WAITING), key=lambda c: (c.created_at, c.id))
    accepted = sorted((c for c in found if c.status == S.ACCEPTED), key=lambda c: (c.accepted_at or c.created_at, c.id))
    audit.record_read(doctor_user.id, None, "consultation_queue", None, ids=[c.id for c in waiting + accepted][:50])
    return {"doctor": doctor, "shift": shift, "next_shifts": upcoming, "waiting": waiting, "accepted": accepted}


# --- actions --------------------------------------------------------------------------------


def accept(doctor_user: User, consultation_id: int) -> Consultation:
    """The doctor on shift takes a waiting consultation of his department (within capacity)."""
    if doctor_user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only doctors accept consultations."))
    handover.sweep_lazily()
    doctor = access.doctor_of(doctor_user)
    consultation = access.load(consultation_id)
    if doctor is None or consultation.department_id != doctor.department_id:
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    if consultation.doctor_id not in (None, doctor.id):
        # A colleague of his department won the race: say so (he saw it in his queue), rather
        # than a 404 that depends on whether his request read before or after the winner's.
        raise Conflict("already_accepted", _l("A colleague has already taken this consultation."))
    shift = rota.current_shift(doctor.id)
    if shift is None:
        raise Conflict("off_shift", _l("You can accept consultations only during your own shift."))
    machine.move_to(consultation, S.ACCEPTED, doctor_id=doctor.id, shift_id=shift.id, accepted_at=clock.now())
    try:
        rota.take_place(shift.id)
    except Conflict:
        db.session.rollback()
        raise
    audit.record(doctor_user.id, consultation.patient_id, "accept", "consultation", consultation.id, shift_id=shift.id)
    chat.system_message(consultation, _l("Dr %(name)s accepted the consultation."), name=doctor_user.name)
    db.session.commit()
    notices.announce(consultation, "accepted", doctor_user.id)
    return consultation


def cancel(user: User, consultation_id: int, reason: str = "") -> Consultation:
    """The patient withdraws, or a doctor of the queue declines, a waiting consultation."""
    consultation = access.get_consultation_for(user, consultation_id)
    if user.id != consultation.patient_id and user.role != Role.DOCTOR:
        raise Forbidden("role_refused", _l("Only the patient or a doctor of the department may cancel."))
    machine.move_to(
        consultation, S.CANCELLED, ended_at=clock.now(), ended_by_id=user.id, end_reason=(reason or "")[:500]
    )
    audit.record(user.id, consultation.patient_id, "cancel", "consultation", consultation.id, reason=reason[:200])
    db.session.commit()
    notices.announce(consultation, "cancelled", user.id)
    return consultation


def complete(doctor_user: User, consultation_id: int, record_values: dict | None = None) -> Consultation:
    """End with a complete medical record (the record is then fixed)."""
    consultation = access.require_accepted_by(doctor_user, consultation_id)
    record = records.write_record(consultation, access.doctor_of(doctor_user), doctor_user, record_values or {})
    records.check_record_complete(record)
    machine.move_to(consultation, S.COMPLETED, ended_at=clock.now(), ended_by_id=doctor_user.id)
    audit.record(doctor_user.id, consultation.patient_id, "complete", "consultation", consultation.id)
    chat.system_message(consultation, _l("The doctor completed the consultation and wrote the medical record."))
    db.session.commit()
    notices.announce(consultation, "completed", doctor_user.id)
    return consultation


def refer_offline(doctor_user: User, consultation_id: int, reason: str, record_values: dict | None = None):
    """End with a referral to an in-person visit instead of a prescription."""
    consultation = access.require_accepted_by(doctor_user, consultation_id)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("reason_required", _l("Say why an in-person visit is needed."), field="reason")
    if record_values:
        records.write_record(consultation, access.doctor_of(doctor_user), doctor_user, record_values)
    machine.move_to(
        consultation, S.REFERRED, ended_at=clock.now(), ended_by_id=doctor_user.id, end_reason=reason[:1000]
    )
    audit.record(doctor_user.id, consultation.patient_id, "refer", "consultation", consultation.id)
    chat.system_message(consultation, _l("The doctor asks for an in-person visit: %(reason)s"), reason=reason)
    db.session.commit()
    notices.announce(consultation, "referred", doctor_user.id)
    return consultation
