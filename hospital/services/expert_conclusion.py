"""Opinions and the conclusion: each expert's opinion, the leader's signed consolidated opinion,
its verification, and the case as its report shows it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify, signing
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.expert import CaseConclusion, CaseEventKind, CaseOpinion, CaseStatus, ExpertCase
from hospital.services import expert_sfu
from hospital.services.expert_lecture import is_lecture
from hospital.services.expert_machine import brief, move_to, record_event, room_name
from hospital.services.expert_queries import acting_doctor, case_as, get_case_for, role_in_case
from hospital.services.expert_record import set_stage

S = CaseStatus


def _local(value: datetime | None) -> str | None:
    return clock.to_local(value).isoformat() if value else None


def opinion_payload(opinion: CaseOpinion, action: str) -> dict:
    """What the room's panels show of a new or edited opinion (pushed as `case.opinion`)."""
    doctor = opinion.doctor
    return {
        "case_id": opinion.case_id,
        "id": opinion.id,
        "action": action,  # "created" or "edited"
        "doctor_id": doctor.id,
        "user_id": doctor.user_id,
        "by": doctor.user.name,
        "expert_name": doctor.user.name,
        "hospital": doctor.hospital.name_zh,
        "text": opinion.text,
        "created_at": _local(opinion.created_at),
        "edited_at": _local(opinion.edited_at),
    }


def writes_opinions(user: User, case: ExpertCase) -> bool:
    """Who writes opinions: the leader and the panel's experts. A lecture's panel is its presenters;
    its viewers (doctors of the network hospitals, invited to watch) ask in the chat instead."""
    role = role_in_case(user, case)
    if role == "leader":
        return True
    return role == "expert" and (not is_lecture(case) or user.id in (case.presenter_user_ids or []))


def _opinion_case(user: User, case_id: int) -> ExpertCase:
    case = case_as(user, case_id, "leader", "expert")
    if not writes_opinions(user, case):
        raise Forbidden("lecture_viewer", _l("A lecture's viewers do not write opinions; ask in the chat."))
    return case


def _opinion_text(case: ExpertCase, text: str) -> str:
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("Opinions are recorded during the session."))
    text = (text or "").strip()
    if len(text) < 2:
        raise ValidationFailed("opinion_required", _l("Write the opinion."), field="text")
    return text


def add_opinion(user: User, case_id: int, text: str) -> CaseOpinion:
    """An expert (or the leader) records his opinion during the session; the room sees it at once."""
    case = _opinion_case(user, case_id)
    text = _opinion_text(case, text)
    opinion = CaseOpinion(case_id=case.id, doctor_id=acting_doctor(user).id, text=text, created_at=clock.now())
    db.session.add(opinion)
    db.session.flush()
    record_event(case.id, user.id, CaseEventKind.OPINION, text, {"opinion_id": opinion.id, "action": "created"})
    audit.record(user.id, case.patient_id, "create", "case_opinion", case.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.opinion", opinion_payload(opinion, "created"))
    return opinion


def edit_opinion(user: User, case_id: int, opinion_id: int, text: str) -> CaseOpinion:
    """An expert corrects his own opinion during the session; the record keeps both texts."""
    case = _opinion_case(user, case_id)
    opinion = db.session.get(CaseOpinion, opinion_id)
    if opinion is None or opinion.case_id != case.id or opinion.doctor_id != acting_doctor(user).id:
        raise NotFound("opinion_not_found", _l("No such opinion of yours in this case."))
    text = _opinion_text(case, text)
    opinion.text, opinion.edited_at = text, clock.now()
    record_event(case.id, user.id, CaseEventKind.OPINION, text, {"opinion_id": opinion.id, "action": "edited"})
    audit.record(user.id, case.patient_id, "update", "case_opinion", case.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.opinion", opinion_payload(opinion, "edited"))
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
    case = case_as(user, case_id, "leader")
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
    set_stage(case, [])
    case.hand_queue = []
    audit.record(user.id, case.patient_id, "sign", "case_conclusion", case.id, digest=conclusion.content_digest)
    db.session.commit()
    expert_sfu.close_room(case.id)  # the room closed: its Janus room and tokens go with it
    notify.broadcast(room_name(case.id), "case.conclusion", conclusion_payload(conclusion))
    notify.broadcast(room_name(case.id), "case.status", brief(case))
    notify.notify_users([case.requesting_doctor.user_id, case.patient_id], "case.concluded", brief(case))
    return conclusion


def conclusion_payload(c: CaseConclusion) -> dict:
    """The signed conclusion as the room's panels show it (pushed as `case.conclusion`)."""
    return {
        "case_id": c.case_id,
        "diagnosis": c.diagnosis,
        "treatment_advice": c.treatment_advice,
        "answers": c.answers,
        "signed_by": c.signed_by.name if c.signed_by else "",
        "signed_at": _local(c.signed_at),
    }


def verify_conclusion(case: ExpertCase) -> bool:
    """True when the stored signature is the leader's over exactly the stored content."""
    c = case.conclusion
    if c is None:
        return False
    content = conclusion_content(case, c.diagnosis, c.treatment_advice, c.answers, c.signed_at)
    return signing.verify(c.public_key, content, c.signature)


def report_case(user: User, case_id: int) -> ExpertCase:
    """The case for its report: concluded, seen by the panel, the requesting doctor and the patient."""
    case = case_as(user, case_id, "leader", "requester", "expert", "patient", "admin")
    if case.conclusion is None:
        raise Conflict("not_concluded", _l("The report exists once the leader has signed the conclusion."))
    audit.record_read(user.id, case.patient_id, "expert_report", case.id)
    return case
