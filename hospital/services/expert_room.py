"""The expert room while the session runs: who may join, presence, chat, raised hands, and the
stage the leader gives and takes (bounded by the media server's capacity)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.expert import CaseEvent, CaseEventKind, CaseStatus, ExpertCase, IntervalKind
from hospital.services import expert_sfu, media
from hospital.services.expert_lecture import stage_limit
from hospital.services.expert_machine import record_event
from hospital.services.expert_queries import MSG_NOT_FOUND, load_case, participant_user_ids
from hospital.services.expert_record import close_interval, open_interval, set_stage

S = CaseStatus
MAX_MESSAGE = 2000


def may_join_room(user: User, case_id: int) -> bool:
    """Only participants, and only while the session runs (non-invitees cannot listen)."""
    case = db.session.get(ExpertCase, case_id)
    return case is not None and case.status == S.IN_SESSION and user.id in participant_user_ids(case)


def in_session_participant(user: User, case_id: int) -> ExpertCase:
    case = load_case(case_id)
    if user.id not in participant_user_ids(case):
        raise NotFound("case_not_found", MSG_NOT_FOUND)
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("The room is not open."))
    return case


def record_presence(user: User, case_id: int, action: str) -> CaseEvent:
    """Keep a presence change (joined / left) with the case, and the stay's interval."""
    row = record_event(case_id, user.id, CaseEventKind.PRESENCE, action, {"name": user.name})
    if action == "joined":
        open_interval(case_id, user.id, IntervalKind.ROOM, row.at)
    else:
        close_interval(case_id, user.id, IntervalKind.ROOM, row.at)
    db.session.commit()
    return row


def post_message(user: User, case_id: int, text: str) -> CaseEvent:
    """A chat message in the room, kept with the case."""
    in_session_participant(user, case_id)
    text = (text or "").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise ValidationFailed("message_length", _l("A message has 1 to 2000 characters."), field="text")
    row = record_event(case_id, user.id, CaseEventKind.MESSAGE, text)
    db.session.commit()
    return row


def stage_state(case: ExpertCase) -> dict:
    return {
        "case_id": case.id,
        "stage": list(case.stage_user_ids or []),
        "queue": list(case.hand_queue or []),
        "capacity": stage_limit(case),
        "mode": case.mode,
        "presenters": list(case.presenter_user_ids or []),
        "feeds": expert_sfu.stage_feeds(case),  # Janus feed id → user id (the page names tiles by it)
    }


def raise_hand(user: User, case_id: int, raised: bool) -> dict:
    """Ask for (or give up) a turn on the stage; the queue keeps the order of raised hands."""
    case = in_session_participant(user, case_id)
    queue = [u for u in (case.hand_queue or []) if u != user.id]
    if raised and user.id not in (case.stage_user_ids or []):
        queue.append(user.id)
    case.hand_queue = queue
    record_event(case.id, user.id, CaseEventKind.HAND, "raised" if raised else "lowered")
    db.session.commit()
    return stage_state(case)


def move_floor(user: User, case_id: int, target_user_id: int, give: bool) -> dict:
    """The leader gives or takes the floor; the stage never holds more than its capacity."""
    case = in_session_participant(user, case_id)
    if user.id != case.leader.user_id:
        raise Forbidden("leader_only", _l("Only the panel leader gives and takes the floor."))
    if target_user_id not in participant_user_ids(case):
        raise ValidationFailed("not_participant", _l("That person is not on the panel."), field="user_id")
    stage = [u for u in (case.stage_user_ids or []) if u != target_user_id]
    if give:
        if len(stage) >= stage_limit(case):
            raise Conflict(
                "stage_full",
                _l("The stage is full (%(n)s); take the floor from someone first."),
                n=stage_limit(case),
            )
        stage.append(target_user_id)
    set_stage(case, stage)
    case.hand_queue = [u for u in (case.hand_queue or []) if u != target_user_id]
    record_event(
        case.id, user.id, CaseEventKind.STAGE, "give" if give else "take", {"user_id": target_user_id, "stage": stage}
    )
    db.session.commit()
    expert_sfu.enforce_stage(case)  # Janus obeys the stage: whoever left it stops publishing now
    return stage_state(case)


def media_links(case_id: int, user_id: int, present: list[int]) -> list[dict]:
    case = load_case(case_id)
    return [link.as_dict() for link in media.topology().links_for(user_id, present, case.stage_user_ids or [])]
