"""The expert case's machine: one transition table, one move_to(), the case's record of events, and
the moves people make (open the room, cancel, close) or the clock makes (open due rooms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from core import clock, notify, tasks
from core.errors import Conflict
from core.extensions import db
from core.models import User
from hospital.models.expert import CaseEvent, CaseEventKind, CaseStatus, ExpertCase
from hospital.services.expert_lecture import opening_stage
from hospital.services.expert_queries import case_as, participant_user_ids
from hospital.services.expert_record import set_stage

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
    record_event(case.id, actor_id, CaseEventKind.STATUS, target, {"from": previous, "to": target})


def record_event(case_id: int, user_id: int | None, kind: str, text: str = "", data: dict | None = None) -> CaseEvent:
    row = CaseEvent(case_id=case_id, user_id=user_id, kind=kind, text=text, data=data, at=clock.now())
    db.session.add(row)
    return row


def brief(case: ExpertCase) -> dict:
    return {
        "case_id": case.id,
        "title": case.title,
        "status": case.status,
        "urgent": case.urgent,
        "scheduled_at": case.scheduled_at.isoformat() if case.scheduled_at else None,
        "mode": case.mode,
    }


def start_session(user: User, case_id: int) -> ExpertCase:
    """The leader or the requesting doctor opens the room; the leader takes the floor first."""
    case = case_as(user, case_id, "leader", "requester")
    move_to(case, S.IN_SESSION, user.id)
    set_stage(case, opening_stage(case))
    db.session.commit()
    notify.notify_users(participant_user_ids(case) - {user.id}, "case.started", brief(case))
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
        set_stage(case, opening_stage(case))
        db.session.commit()
        notify.notify_users(participant_user_ids(case), "case.started", brief(case))
        opened.append(case.id)
    return opened


def cancel_case(user: User, case_id: int) -> ExpertCase:
    case = case_as(user, case_id, "requester")
    move_to(case, S.CANCELLED, user.id)
    db.session.commit()
    notify.notify_users(participant_user_ids(case) - {user.id}, "case.cancelled", brief(case))
    return case


def close_case(user: User, case_id: int) -> ExpertCase:
    case = case_as(user, case_id, "leader", "requester")
    move_to(case, S.CLOSED, user.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.status", brief(case))
    return case
