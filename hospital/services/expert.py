"""Remote multi-expert consultations: request, invitations, the room's record and stage, opinions,
and the leader's signed conclusion. One transition table, one move_to()."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, clock, notify, signing, tasks, uploads
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.expert import (
    CaseConclusion,
    CaseEvent,
    CaseEventKind,
    CaseInvitation,
    CaseMaterial,
    CaseOpinion,
    CaseStatus,
    ExpertCase,
    InvitationStatus,
)
from hospital.models.network import Doctor
from hospital.models.patients import Allergy, ConfirmedDiagnosis
from hospital.services import media, network

S = CaseStatus
TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.SCHEDULED, S.IN_SESSION, S.CANCELLED},
    S.SCHEDULED: {S.IN_SESSION, S.CANCELLED},
    S.IN_SESSION: {S.CONCLUDED},
    S.CONCLUDED: {S.CLOSED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}
_STAMPS = {S.IN_SESSION: "started_at", S.CONCLUDED: "concluded_at", S.CLOSED: "closed_at"}

MATERIAL_KINDS = ("lab", "image", "document")
MATERIAL_TYPES = (uploads.PDF, uploads.PNG, uploads.JPEG)  # judged by the content's first bytes
MAX_MATERIAL_BYTES = 5 * 1024 * 1024
MAX_MESSAGE = 2000

MSG_NOT_FOUND = _l("No such case, or not yours to see.")


def room_name(case_id: int) -> str:
    return f"case:{case_id}"


def move_to(case: ExpertCase, target: str, actor_id: int | None) -> None:
    """The only way a case changes status: checked against TRANSITIONS and applied as a
    conditional update, so that two processes or two people cannot both move it; the caller
    commits."""
    previous = case.status
    if target not in TRANSITIONS.get(previous, set()):
        raise Conflict(
            "illegal_transition",
            _l("A case that is %(status)s cannot become %(target)s."),
            status=previous,
            target=target,
        )
    stamps = {_STAMPS[target]: clock.now()} if target in _STAMPS else {}
    if case.id is not None:
        moved = db.session.execute(
            db.update(ExpertCase)
            .where(ExpertCase.id == case.id, ExpertCase.status == previous)
            .values(status=target, **stamps)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            raise Conflict("illegal_transition", _l("The case changed meanwhile; please reload."))
    # Keep the object in step; when the row was updated above, without a second UPDATE.
    keep = setattr if case.id is None else set_committed_value
    for name, value in {"status": target, **stamps}.items():
        keep(case, name, value)
    _event(case.id, actor_id, CaseEventKind.STATUS, target, {"from": previous, "to": target})


def _event(case_id: int, user_id: int | None, kind: str, text: str = "", data: dict | None = None) -> CaseEvent:
    row = CaseEvent(case_id=case_id, user_id=user_id, kind=kind, text=text, data=data, at=clock.now())
    db.session.add(row)
    return row


# --- who is who -----------------------------------------------------------------------------


def _doctor(user: User) -> Doctor:
    doctor = network.doctor_for_user(user.id) if user.role == Role.DOCTOR else None
    if doctor is None:
        raise Forbidden("role_refused", _l("Only doctors take part in expert consultations."))
    return doctor


def participant_user_ids(case: ExpertCase) -> set[int]:
    """Who belongs in the room: the requesting doctor, the leader and experts who accepted."""
    ids = {case.requesting_doctor.user_id, case.leader.user_id}
    ids.update(i.doctor.user_id for i in case.invitations if i.status == InvitationStatus.ACCEPTED)
    return ids


def role_in_case(user: User, case: ExpertCase) -> str | None:
    if user.id == case.leader.user_id:
        return "leader"
    if user.id == case.requesting_doctor.user_id:
        return "requester"
    for invitation in case.invitations:
        if invitation.doctor.user_id == user.id:
            return "expert" if invitation.status == InvitationStatus.ACCEPTED else "invitee"
    if user.id == case.patient_id:
        return "patient"
    if user.role == Role.ADMIN:
        return "admin"
    return None  # not every doctor of the hospital: only the requester, the invited, the admins


def _load(case_id: int) -> ExpertCase:
    case = db.session.get(ExpertCase, case_id)
    if case is None:
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    return case


def get_case_for(user: User, case_id: int) -> ExpertCase:
    """The case if the user may see it (participant, invitee, the patient, admin); else 404, audited."""
    case = _load(case_id)
    if role_in_case(user, case) is None:
        audit.record(user.id, case.patient_id, "refused", "expert_case", case.id, role=user.role)
        db.session.commit()
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    return case


def _case_as(user: User, case_id: int, *roles: str) -> ExpertCase:
    case = get_case_for(user, case_id)
    if role_in_case(user, case) not in roles:
        raise Forbidden("case_role", _l("Your part in this case does not allow this."))
    return case


def list_cases_for(user: User, status: str | None = None) -> list[ExpertCase]:
    """The cases a user sees: all for an administrator, his own for a patient, a doctor's own and invited."""
    query = db.select(ExpertCase).order_by(ExpertCase.id.desc())
    if status:
        query = query.where(ExpertCase.status == status)
    if user.role == Role.PATIENT:
        query = query.where(ExpertCase.patient_id == user.id)
    elif user.role == Role.DOCTOR:
        doctor = _doctor(user)
        invited = db.select(CaseInvitation.case_id).where(CaseInvitation.doctor_id == doctor.id)
        query = query.where(
            (ExpertCase.leader_id == doctor.id)
            | (ExpertCase.requesting_doctor_id == doctor.id)
            | ExpertCase.id.in_(invited)
        )
    elif user.role != Role.ADMIN:
        return []
    return list(db.session.execute(query).scalars())


# --- request and invitations -------------------------------------------------------------------


@dataclass
class CaseRequest:
    patient_phone: str
    title: str
    summary: str
    questions: list[str]
    expert_ids: list[int]
    leader_id: int
    scheduled_at: datetime | None = None
    urgent: bool = False
    urgent_department_ids: list[int] | None = None
    records_consent: bool = False
    consent_note: str = ""


def _patient_by_phone(phone: str) -> User:
    patient = db.session.execute(db.select(User).filter_by(username=phone, role=Role.PATIENT)).scalar_one_or_none()
    if patient is None:
        raise ValidationFailed("patient_not_found", _l("No patient with this mobile number."), field="patient_phone")
    return patient


def _check_request(doctor: Doctor, data: CaseRequest) -> list[Doctor]:
    if not data.title.strip() or not data.summary.strip():
        raise ValidationFailed("summary_required", _l("Give the case a title and a summary."), field="summary")
    if not data.urgent and data.scheduled_at is None:
        raise ValidationFailed("time_required", _l("Choose a time, or mark the case urgent."), field="scheduled_at")
    experts = [network.get_doctor(i) for i in dict.fromkeys(data.expert_ids)]
    if data.leader_id not in {d.id for d in experts}:
        experts.append(network.get_doctor(data.leader_id))
    if doctor.id in {d.id for d in experts}:
        raise ValidationFailed("self_invited", _l("The requesting doctor cannot invite himself."), field="expert_ids")
    if not data.urgent and len(experts) < 2:
        raise ValidationFailed("too_few_experts", _l("Invite at least two experts."), field="expert_ids")
    return experts


def _on_duty_experts(department_ids: list[int]) -> list[Doctor]:
    """Doctors on duty now in the chosen departments (matched by department code across hospitals)."""
    try:
        from hospital.services import rota
    except ImportError:  # the rota is not built yet: nobody is on duty
        return []
    codes = {network.get_department(i).code for i in department_ids}
    on_duty = rota.on_duty_doctor_ids(clock.now())
    doctors = [db.session.get(Doctor, i) for i in on_duty]
    return [d for d in doctors if d is not None and d.department.code in codes]


def request_case(user: User, data: CaseRequest) -> ExpertCase:
    """A doctor opens a case and invites the panel; an urgent case opens its room at once."""
    doctor = _doctor(user)
    patient = _patient_by_phone(data.patient_phone)
    experts = _check_request(doctor, data)
    if data.urgent:
        experts += [
            d for d in _on_duty_experts(data.urgent_department_ids or []) if d.id not in {e.id for e in experts}
        ]
        experts = [d for d in experts if d.id != doctor.id]
    case = ExpertCase(
        patient_id=patient.id,
        requesting_doctor_id=doctor.id,
        hospital_id=doctor.hospital_id,
        leader_id=data.leader_id,
        title=data.title.strip(),
        summary=data.summary.strip(),
        questions=[q.strip() for q in data.questions if q.strip()],
        scheduled_at=data.scheduled_at,
        urgent=data.urgent,
        urgent_department_ids=list(data.urgent_department_ids or []),
        created_at=clock.now(),
    )
    db.session.add(case)
    db.session.flush()
    for expert in experts:
        leader = expert.id == data.leader_id
        status = InvitationStatus.ACCEPTED if leader else InvitationStatus.INVITED
        db.session.add(CaseInvitation(case_id=case.id, doctor_id=expert.id, status=status, invited_at=clock.now()))
    if data.records_consent:
        _set_consent(case, user, data.consent_note)
    _event(case.id, user.id, CaseEventKind.STATUS, S.REQUESTED, {"to": S.REQUESTED})
    db.session.flush()
    db.session.refresh(case)
    move_to(case, S.IN_SESSION if data.urgent else S.SCHEDULED, user.id)
    if data.urgent:
        case.stage_user_ids = [case.leader.user_id]
    audit.record(user.id, patient.id, "create", "expert_case", case.id, urgent=data.urgent)
    db.session.commit()
    event = "case.urgent" if data.urgent else "case.invited"
    notify.notify_users([e.user_id for e in experts], event, _brief(case))
    return case


def _brief(case: ExpertCase) -> dict:
    return {
        "case_id": case.id,
        "title": case.title,
        "status": case.status,
        "urgent": case.urgent,
        "scheduled_at": case.scheduled_at.isoformat() if case.scheduled_at else None,
    }


def answer_invitation(user: User, case_id: int, accept: bool, reason: str = "") -> CaseInvitation:
    """An invited expert accepts or declines; the requesting doctor is told."""
    case = get_case_for(user, case_id)
    doctor = _doctor(user)
    invitation = next((i for i in case.invitations if i.doctor_id == doctor.id), None)
    if invitation is None:
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    if case.status not in (S.SCHEDULED, S.IN_SESSION):
        raise Conflict("case_not_open", _l("This case no longer takes answers."))
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.answered_at, invitation.decline_reason = clock.now(), "" if accept else reason.strip()[:200]
    _event(case.id, user.id, CaseEventKind.INVITATION, invitation.status, {"doctor_id": doctor.id})
    db.session.commit()
    notify.notify_user(
        case.requesting_doctor.user_id,
        "case.invitation_answered",
        {**_brief(case), "expert": user.name, "answer": invitation.status},
    )
    return invitation


def start_session(user: User, case_id: int) -> ExpertCase:
    """The leader or the requesting doctor opens the room; the leader takes the floor first."""
    case = _case_as(user, case_id, "leader", "requester")
    move_to(case, S.IN_SESSION, user.id)
    case.stage_user_ids = [case.leader.user_id]
    db.session.commit()
    notify.notify_users(participant_user_ids(case) - {user.id}, "case.started", _brief(case))
    return case


@tasks.every(30)
def open_due_cases() -> list[int]:
    """Open the room of every scheduled case whose time has come, and tell the panel."""
    due = db.session.execute(
        db.select(ExpertCase.id).where(ExpertCase.status == S.SCHEDULED, ExpertCase.scheduled_at <= clock.now())
    ).scalars()
    opened = []
    for case_id in list(due):
        case = db.session.get(ExpertCase, case_id)
        try:
            move_to(case, S.IN_SESSION, None)
        except Conflict:  # another server process opened it first
            continue
        case.stage_user_ids = [case.leader.user_id]
        db.session.commit()
        notify.notify_users(participant_user_ids(case), "case.started", _brief(case))
        opened.append(case.id)
    return opened


def cancel_case(user: User, case_id: int) -> ExpertCase:
    case = _case_as(user, case_id, "requester")
    move_to(case, S.CANCELLED, user.id)
    db.session.commit()
    notify.notify_users(participant_user_ids(case) - {user.id}, "case.cancelled", _brief(case))
    return case


def close_case(user: User, case_id: int) -> ExpertCase:
    case = _case_as(user, case_id, "leader", "requester")
    move_to(case, S.CLOSED, user.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.status", _brief(case))
    return case


# --- consent, records and materials -------------------------------------------------------------


def _set_consent(case: ExpertCase, user: User, note: str) -> None:
    case.records_consent, case.consent_note = True, (note or "").strip()[:200]
    case.consent_recorded_by_id, case.consent_recorded_at = user.id, clock.now()
    _event(case.id, user.id, CaseEventKind.CONSENT, case.consent_note)
    audit.record(user.id, case.patient_id, "consent", "expert_case", case.id, note=case.consent_note)


def record_consent(user: User, case_id: int, note: str) -> ExpertCase:
    """The patient (or the requesting doctor on his word) agrees to share his records with the panel."""
    case = _case_as(user, case_id, "patient", "requester")
    if not note.strip() and user.role != Role.PATIENT:
        raise ValidationFailed("consent_note", _l("Say how the patient gave his consent."), field="consent_note")
    _set_consent(case, user, note or "patient")
    db.session.commit()
    return case


def patient_records(user: User, case: ExpertCase) -> dict | None:
    """The patient's confirmed diagnoses and allergies, if he consented; the read is audited."""
    if not case.records_consent or role_in_case(user, case) not in ("leader", "requester", "expert", "patient"):
        return None
    diagnoses = db.session.execute(db.select(ConfirmedDiagnosis).filter_by(patient_id=case.patient_id)).scalars()
    allergies = db.session.execute(db.select(Allergy).filter_by(patient_id=case.patient_id)).scalars()
    audit.record_read(user.id, case.patient_id, "patient_records", case.id, via="expert_case")
    return {"diagnoses": list(diagnoses), "allergies": list(allergies)}


def add_material(user: User, case_id: int, kind: str, title: str, filename: str, content: bytes):
    """Share a lab result, image or document with the panel; type and size are checked."""
    case = _case_as(user, case_id, "leader", "requester", "expert")
    if case.status not in (S.REQUESTED, S.SCHEDULED, S.IN_SESSION):
        raise Conflict("case_not_open", _l("Materials can be added only before the conclusion."))
    if kind not in MATERIAL_KINDS:
        raise ValidationFailed("material_kind", _l("A material is a lab result, an image or a document."), field="kind")
    file_type = uploads.detect_type(content)
    if file_type not in MATERIAL_TYPES:
        raise ValidationFailed("file_type", _l("Only PDF, PNG or JPEG files are accepted."), field="file")
    if len(content) > MAX_MATERIAL_BYTES:
        raise ValidationFailed("file_size", _l("A file must be between 1 byte and 5 MB."), field="file")
    stored = uploads.store("expert", content, file_type)
    material = CaseMaterial(
        case_id=case.id,
        kind=kind,
        title=(title or filename).strip()[:200],
        filename=os.path.basename(filename)[:200],
        stored_name=stored,
        content_type=file_type.mime,
        size=len(content),
        uploaded_by_id=user.id,
        created_at=clock.now(),
    )
    db.session.add(material)
    db.session.flush()
    _event(case.id, user.id, CaseEventKind.MATERIAL, material.title, {"material_id": material.id})
    audit.record(user.id, case.patient_id, "create", "case_material", material.id)
    db.session.commit()
    notify.broadcast(
        room_name(case.id), "case.material", {"case_id": case.id, "id": material.id, "title": material.title}
    )
    return material


def list_materials(case_id: int) -> list[CaseMaterial]:
    return list(
        db.session.execute(db.select(CaseMaterial).filter_by(case_id=case_id).order_by(CaseMaterial.id)).scalars()
    )


def material_file(user: User, case_id: int, material_id: int) -> tuple[CaseMaterial, Path]:
    """A material's file for a panel member or the patient; the read is audited."""
    case = _case_as(user, case_id, "leader", "requester", "expert", "patient")
    material = db.session.get(CaseMaterial, material_id)
    if material is None or material.case_id != case.id:
        raise NotFound("material_not_found", _l("No such material."))
    audit.record_read(user.id, case.patient_id, "case_material", material.id)
    return material, uploads.upload_path("expert", material.stored_name)


# --- the room: presence, chat, stage ----------------------------------------------------------


def may_join_room(user: User, case_id: int) -> bool:
    """Only participants, and only while the session runs (non-invitees cannot listen)."""
    case = db.session.get(ExpertCase, case_id)
    return case is not None and case.status == S.IN_SESSION and user.id in participant_user_ids(case)


def _in_session_participant(user: User, case_id: int) -> ExpertCase:
    case = _load(case_id)
    if user.id not in participant_user_ids(case):
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("The room is not open."))
    return case


def record_presence(user: User, case_id: int, action: str) -> CaseEvent:
    """Keep a presence change (joined / left) with the case."""
    row = _event(case_id, user.id, CaseEventKind.PRESENCE, action, {"name": user.name})
    db.session.commit()
    return row


def post_message(user: User, case_id: int, text: str) -> CaseEvent:
    """A chat message in the room, kept with the case."""
    _in_session_participant(user, case_id)
    text = (text or "").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise ValidationFailed("message_length", _l("A message has 1 to 2000 characters."), field="text")
    row = _event(case_id, user.id, CaseEventKind.MESSAGE, text)
    db.session.commit()
    return row


def stage_state(case: ExpertCase) -> dict:
    return {
        "case_id": case.id,
        "stage": list(case.stage_user_ids or []),
        "queue": list(case.hand_queue or []),
        "capacity": media.stage_capacity(),
    }


def raise_hand(user: User, case_id: int, raised: bool) -> dict:
    """Ask for (or give up) a turn on the stage; the queue keeps the order of raised hands."""
    case = _in_session_participant(user, case_id)
    queue = [u for u in (case.hand_queue or []) if u != user.id]
    if raised and user.id not in (case.stage_user_ids or []):
        queue.append(user.id)
    case.hand_queue = queue
    _event(case.id, user.id, CaseEventKind.HAND, "raised" if raised else "lowered")
    db.session.commit()
    return stage_state(case)


def move_floor(user: User, case_id: int, target_user_id: int, give: bool) -> dict:
    """The leader gives or takes the floor; the stage never holds more than its capacity."""
    case = _in_session_participant(user, case_id)
    if user.id != case.leader.user_id:
        raise Forbidden("leader_only", _l("Only the panel leader gives and takes the floor."))
    if target_user_id not in participant_user_ids(case):
        raise ValidationFailed("not_participant", _l("That person is not on the panel."), field="user_id")
    stage = [u for u in (case.stage_user_ids or []) if u != target_user_id]
    if give:
        if len(stage) >= media.stage_capacity():
            raise Conflict(
                "stage_full",
                _l("The stage is full (%(n)s); take the floor from someone first."),
                n=media.stage_capacity(),
            )
        stage.append(target_user_id)
    case.stage_user_ids = stage
    case.hand_queue = [u for u in (case.hand_queue or []) if u != target_user_id]
    _event(
        case.id, user.id, CaseEventKind.STAGE, "give" if give else "take", {"user_id": target_user_id, "stage": stage}
    )
    db.session.commit()
    return stage_state(case)


def media_links(case_id: int, user_id: int, present: list[int]) -> list[dict]:
    case = _load(case_id)
    return [link.as_dict() for link in media.topology().links_for(user_id, present, case.stage_user_ids or [])]


def events_for(user: User, case_id: int, after_id: int = 0, kinds: tuple[str, ...] | None = None) -> list[CaseEvent]:
    """The case's record after an event id (what a reconnecting participant missed), in order."""
    case = get_case_for(user, case_id)
    query = db.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.id > after_id)
    if kinds:
        query = query.where(CaseEvent.kind.in_(kinds))
    return list(db.session.execute(query.order_by(CaseEvent.id)).scalars())


# --- opinions and the conclusion -----------------------------------------------------------------


def add_opinion(user: User, case_id: int, text: str) -> CaseOpinion:
    """An expert (or the leader) records his opinion during the session."""
    case = _case_as(user, case_id, "leader", "expert")
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("Opinions are recorded during the session."))
    if len((text or "").strip()) < 2:
        raise ValidationFailed("opinion_required", _l("Write the opinion."), field="text")
    opinion = CaseOpinion(case_id=case.id, doctor_id=_doctor(user).id, text=text.strip(), created_at=clock.now())
    db.session.add(opinion)
    _event(case.id, user.id, CaseEventKind.OPINION, text.strip())
    audit.record(user.id, case.patient_id, "create", "case_opinion", case.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.opinion", {"case_id": case.id, "id": opinion.id, "by": user.name})
    return opinion


def list_opinions(user: User, case_id: int) -> list[CaseOpinion]:
    case = get_case_for(user, case_id)
    audit.record_read(user.id, case.patient_id, "case_opinions", case.id)
    query = db.select(CaseOpinion).filter_by(case_id=case.id).order_by(CaseOpinion.id)
    return list(db.session.execute(query).scalars())


def conclusion_content(case: ExpertCase, diagnosis: str, advice: str, answers: list[dict], signed_at: datetime) -> dict:
    """The canonical document the leader signs."""
    return {
        "case_id": case.id,
        "patient_id": case.patient_id,
        "title": case.title,
        "diagnosis": diagnosis,
        "treatment_advice": advice,
        "answers": answers,
        "leader_user_id": case.leader.user_id,
        "signed_at": signed_at.isoformat(),
    }


def _answers(case: ExpertCase, answers: list[str]) -> list[dict]:
    questions = case.questions or []
    if len(answers) != len(questions) or any(not a.strip() for a in answers):
        raise ValidationFailed("answers_required", _l("Answer each of the case's questions."), field="answers")
    return [{"question": q, "answer": a.strip()} for q, a in zip(questions, answers, strict=True)]


def conclude(user: User, case_id: int, diagnosis: str, treatment_advice: str, answers: list[str]) -> CaseConclusion:
    """The leader writes and signs the consolidated opinion; the case is concluded."""
    case = _case_as(user, case_id, "leader")
    if not diagnosis.strip() or not treatment_advice.strip():
        raise ValidationFailed(
            "conclusion_required", _l("Write the diagnosis and the treatment advice."), field="diagnosis"
        )
    pairs, signed_at = _answers(case, answers), clock.now()
    move_to(case, S.CONCLUDED, user.id)
    content = conclusion_content(case, diagnosis.strip(), treatment_advice.strip(), pairs, signed_at)
    conclusion = CaseConclusion(
        case_id=case.id,
        diagnosis=content["diagnosis"],
        treatment_advice=content["treatment_advice"],
        answers=pairs,
        signed_by_id=user.id,
        signed_at=signed_at,
        content_digest=signing.digest(content),
        signature=signing.sign(user.id, content),
        public_key=signing.public_key_b64(user.id),
    )
    db.session.add(conclusion)
    case.stage_user_ids, case.hand_queue = [], []
    audit.record(user.id, case.patient_id, "sign", "case_conclusion", case.id, digest=conclusion.content_digest)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.status", _brief(case))
    notify.notify_users([case.requesting_doctor.user_id, case.patient_id], "case.concluded", _brief(case))
    return conclusion


def verify_conclusion(case: ExpertCase) -> bool:
    """True when the stored signature is the leader's over exactly the stored content."""
    c = case.conclusion
    if c is None:
        return False
    content = conclusion_content(case, c.diagnosis, c.treatment_advice, c.answers, c.signed_at)
    return signing.verify(c.public_key, content, c.signature)


def report_case(user: User, case_id: int) -> ExpertCase:
    """The case for its report: concluded, seen by the panel, the requesting doctor and the patient."""
    case = _case_as(user, case_id, "leader", "requester", "expert", "patient", "admin")
    if case.conclusion is None:
        raise Conflict("not_concluded", _l("The report exists once the leader has signed the conclusion."))
    audit.record_read(user.id, case.patient_id, "expert_report", case.id)
    return case


# --- administration ------------------------------------------------------------------------------


def activity(user: User) -> dict:
    """Panel activity for administrators: cases by status and hospital, and what happens in rooms."""
    if user.role != Role.ADMIN:
        raise Forbidden("role_refused", _l("Your role may not do this."))
    by_status = dict(db.session.execute(db.select(ExpertCase.status, func.count()).group_by(ExpertCase.status)).all())
    by_kind = dict(db.session.execute(db.select(CaseEvent.kind, func.count()).group_by(CaseEvent.kind)).all())
    cases = list(db.session.execute(db.select(ExpertCase).order_by(ExpertCase.id.desc()).limit(100)).scalars())
    rows = []
    for case in cases:
        counts = dict(
            db.session.execute(
                db.select(CaseEvent.kind, func.count()).where(CaseEvent.case_id == case.id).group_by(CaseEvent.kind)
            ).all()
        )
        accepted = sum(1 for i in case.invitations if i.status == InvitationStatus.ACCEPTED)
        rows.append({"case": case, "counts": counts, "invited": len(case.invitations), "accepted": accepted})
    return {"by_status": by_status, "by_kind": by_kind, "cases": rows}
