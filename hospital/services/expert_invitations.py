"""Opening an expert case and its invitations: the request, the panel (with the on-duty experts
of an urgent case), and the experts' answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.signals import room_access_ended
from hospital.models.expert import CaseEventKind, CaseInvitation, CaseStatus, ExpertCase, InvitationStatus
from hospital.models.network import Doctor
from hospital.services import expert_lecture, expert_sfu, network, rota
from hospital.services.expert_machine import brief, move_to, record_event, room_name
from hospital.services.expert_materials import set_consent
from hospital.services.expert_queries import MSG_NOT_FOUND, acting_doctor, case_as, get_case_for
from hospital.services.expert_record import set_stage
from hospital.services.expert_room import stage_state

S = CaseStatus
MSG_SELF_INVITED = _l("The requesting doctor cannot invite himself.")


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
    mode: str = "consultation"  # or "lecture" (a training session)
    presenter_ids: list[int] | None = None  # lecture: one or two doctor ids
    audience_hospital_ids: list[int] | None = None  # lecture: invite these hospitals' doctors


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
        raise ValidationFailed("self_invited", MSG_SELF_INVITED, field="expert_ids")
    if data.mode == "lecture":
        return _lecture_panel(doctor, data, experts)
    if not data.urgent and len(experts) < 2:
        raise ValidationFailed("too_few_experts", _l("Invite at least two experts."), field="expert_ids")
    return experts


def _lecture_panel(doctor: Doctor, data: CaseRequest, invited: list[Doctor]) -> list[Doctor]:
    """A lecture's invitations: the host (leader), the presenters and the audience."""
    on_stage = expert_lecture.presenters(data.presenter_ids or [])
    if doctor.id in {d.id for d in on_stage}:
        raise ValidationFailed("self_invited", MSG_SELF_INVITED, field="presenter_ids")
    skip = {doctor.id, data.leader_id} | {d.id for d in on_stage}
    viewers = expert_lecture.audience(data.audience_hospital_ids or [], invited, skip)
    panel = {d.id: d for d in [*on_stage, *viewers]}
    panel.setdefault(data.leader_id, network.get_doctor(data.leader_id))
    return list(panel.values())


def _on_duty_experts(department_ids: list[int]) -> list[Doctor]:
    """Doctors on duty now in the chosen departments (matched by department code across hospitals)."""
    codes = {network.get_department(i).code for i in department_ids}
    on_duty = rota.on_duty_doctor_ids(clock.now())
    doctors = [db.session.get(Doctor, i) for i in on_duty]
    return [d for d in doctors if d is not None and d.department.code in codes]


def request_case(user: User, data: CaseRequest) -> ExpertCase:
    """A doctor opens a case and invites the panel; an urgent case opens its room at once."""
    doctor = acting_doctor(user)
    patient = _patient_by_phone(data.patient_phone)
    expert_lecture.check_mode(data.mode)
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
        mode=data.mode,
        audience_hospital_ids=list(dict.fromkeys(data.audience_hospital_ids or [])),
        created_at=clock.now(),
    )
    db.session.add(case)
    db.session.flush()
    if data.mode == "lecture":
        case.presenter_user_ids = [d.user_id for d in expert_lecture.presenters(data.presenter_ids or [])]
    for expert in experts:
        # a lecture's audience needs no answer: being invited lets one attend, presence is the record
        accepted = expert.id == data.leader_id or data.mode == "lecture"
        status = InvitationStatus.ACCEPTED if accepted else InvitationStatus.INVITED
        db.session.add(CaseInvitation(case_id=case.id, doctor_id=expert.id, status=status, invited_at=clock.now()))
    if data.records_consent:
        set_consent(case, user, data.consent_note)
    record_event(case.id, user.id, CaseEventKind.STATUS, S.REQUESTED, {"to": S.REQUESTED})
    db.session.flush()
    db.session.refresh(case)
    move_to(case, S.IN_SESSION if data.urgent else S.SCHEDULED, user.id)
    if data.urgent:
        set_stage(case, expert_lecture.opening_stage(case))
    audit.record(user.id, patient.id, "create", "expert_case", case.id, urgent=data.urgent)
    db.session.commit()
    event = "case.urgent" if data.urgent else "case.invited"
    notify.notify_users([e.user_id for e in experts], event, brief(case))
    return case


def answer_invitation(user: User, case_id: int, accept: bool, reason: str = "") -> CaseInvitation:
    """An invited expert accepts or declines; the requesting doctor is told."""
    case = get_case_for(user, case_id)
    doctor = acting_doctor(user)
    invitation = next((i for i in case.invitations if i.doctor_id == doctor.id), None)
    if invitation is None:
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    if case.status not in (S.SCHEDULED, S.IN_SESSION):
        raise Conflict("case_not_open", _l("This case no longer takes answers."))
    if invitation.status == InvitationStatus.WITHDRAWN:
        raise Conflict("invitation_withdrawn", _l("The leader withdrew this invitation."))
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.answered_at, invitation.decline_reason = clock.now(), "" if accept else reason.strip()[:200]
    record_event(case.id, user.id, CaseEventKind.INVITATION, invitation.status, {"doctor_id": doctor.id})
    db.session.commit()
    notify.notify_user(
        case.requesting_doctor.user_id,
        "case.invitation_answered",
        {**brief(case), "expert": user.name, "answer": invitation.status},
    )
    return invitation


def withdraw_invitation(user: User, case_id: int, doctor_id: int) -> CaseInvitation:
    """The panel leader withdraws an expert's invitation: the expert leaves the panel, the stage,
    the room's sockets and its media at once (his Janus credential ends with it)."""
    case = case_as(user, case_id, "leader")
    invitation = next((i for i in case.invitations if i.doctor_id == doctor_id), None)
    if invitation is None:
        raise NotFound("invitation_not_found", _l("This doctor is not invited to the case."))
    if doctor_id == case.leader_id:
        raise ValidationFailed(
            "leader_invitation", _l("The leader's own invitation cannot be withdrawn."), field="doctor_id"
        )
    if case.status not in (S.REQUESTED, S.SCHEDULED, S.IN_SESSION):
        raise Conflict("case_not_open", _l("This case no longer takes answers."))
    if invitation.status == InvitationStatus.WITHDRAWN:
        raise Conflict("invitation_withdrawn", _l("This invitation is already withdrawn."))
    expert_user_id = invitation.doctor.user_id
    invitation.status, invitation.answered_at = InvitationStatus.WITHDRAWN, clock.now()
    set_stage(case, [u for u in (case.stage_user_ids or []) if u != expert_user_id])
    case.hand_queue = [u for u in (case.hand_queue or []) if u != expert_user_id]
    record_event(case.id, user.id, CaseEventKind.INVITATION, InvitationStatus.WITHDRAWN, {"doctor_id": doctor_id})
    db.session.commit()
    room_access_ended.send(room_name(case.id), user_ids=[expert_user_id])
    expert_sfu.drop_participant(case.id, expert_user_id)
    notify.notify_user(expert_user_id, "case.invitation_withdrawn", brief(case))
    if case.status == S.IN_SESSION:
        notify.broadcast(room_name(case.id), "case.stage", stage_state(case))
    return invitation
