"""Who takes part in an expert case and in what role, and what each person may see: the case, the
list of cases, its record of events, its materials; the administrators' activity figures."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from core import audit
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.expert import (
    CaseEvent,
    CaseInvitation,
    CaseMaterial,
    CaseStatus,
    ExpertCase,
    InvitationStatus,
)
from hospital.models.network import Doctor
from hospital.services import network

MSG_NOT_FOUND = _l("No such case, or not yours to see.")


def acting_doctor(user: User) -> Doctor:
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


def role_in_case_of(user_id: int, case: ExpertCase) -> str:
    """A participant's part by user id (for lists of people): leader, requester or expert."""
    if user_id == case.leader.user_id:
        return "leader"
    return "requester" if user_id == case.requesting_doctor.user_id else "expert"


def load_case(case_id: int) -> ExpertCase:
    case = db.session.get(ExpertCase, case_id)
    if case is None:
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    return case


def get_case_for(user: User, case_id: int) -> ExpertCase:
    """The case if the user may see it (participant, invitee, the patient, admin); else 404, audited."""
    case = load_case(case_id)
    if role_in_case(user, case) is None:
        audit.record(user.id, case.patient_id, "refused", "expert_case", case.id, role=user.role)
        db.session.commit()
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    return case


def case_as(user: User, case_id: int, *roles: str) -> ExpertCase:
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
        doctor = acting_doctor(user)
        invited = db.select(CaseInvitation.case_id).where(CaseInvitation.doctor_id == doctor.id)
        query = query.where(
            (ExpertCase.leader_id == doctor.id)
            | (ExpertCase.requesting_doctor_id == doctor.id)
            | ExpertCase.id.in_(invited)
        )
    elif user.role != Role.ADMIN:
        return []
    return list(db.session.execute(query).scalars())


def events_for(user: User, case_id: int, after_id: int = 0, kinds: tuple[str, ...] | None = None) -> list[CaseEvent]:
    """The case's record after an event id (what a reconnecting participant missed), in order."""
    case = get_case_for(user, case_id)
    query = db.select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.id > after_id)
    if kinds:
        query = query.where(CaseEvent.kind.in_(kinds))
    return list(db.session.execute(query.order_by(CaseEvent.id)).scalars())


def list_materials(case_id: int) -> list[CaseMaterial]:
    return list(
        db.session.execute(db.select(CaseMaterial).filter_by(case_id=case_id).order_by(CaseMaterial.id)).scalars()
    )


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


def upcoming_cases_for(user: User, limit: int = 20) -> list[tuple[ExpertCase, str]]:
    """An expert's cases still to come or running now, with his part in each, the open rooms first."""
    if user.role != Role.DOCTOR:
        return []
    doctor = acting_doctor(user)
    invited = db.select(CaseInvitation.case_id).where(
        CaseInvitation.doctor_id == doctor.id, CaseInvitation.status != InvitationStatus.DECLINED
    )
    query = (
        db.select(ExpertCase)
        .where(
            ExpertCase.status.in_((CaseStatus.SCHEDULED, CaseStatus.IN_SESSION)),
            (ExpertCase.leader_id == doctor.id)
            | (ExpertCase.requesting_doctor_id == doctor.id)
            | ExpertCase.id.in_(invited),
        )
        .order_by((ExpertCase.status == CaseStatus.IN_SESSION).desc(), ExpertCase.scheduled_at, ExpertCase.id)
        .limit(limit)
    )
    return [(case, role_in_case(user, case) or "") for case in db.session.execute(query).scalars()]
