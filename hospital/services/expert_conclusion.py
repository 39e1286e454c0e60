"""Opinions and the conclusion: each expert's opinion, the leader's signed consolidated opinion,
its verification, and the case as its report shows it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify, signing
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.expert import CaseConclusion, CaseEventKind, CaseOpinion, CaseStatus, ExpertCase
from hospital.services import expert_sfu
from hospital.services.expert_machine import brief, move_to, record_event, room_name
from hospital.services.expert_queries import acting_doctor, case_as, get_case_for

S = CaseStatus


def add_opinion(user: User, case_id: int, text: str) -> CaseOpinion:
    """An expert (or the leader) records his opinion during the session."""
    case = case_as(user, case_id, "leader", "expert")
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("Opinions are recorded during the session."))
    if len((text or "").strip()) < 2:
        raise ValidationFailed("opinion_required", _l("Write the opinion."), field="text")
    opinion = CaseOpinion(case_id=case.id, doctor_id=acting_doctor(user).id, text=text.strip(), created_at=clock.now())
    db.session.add(opinion)
    record_event(case.id, user.id, CaseEventKind.OPINION, text.strip())
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
    case.stage_user_ids, case.hand_queue = [], []
    audit.record(user.id, case.patient_id, "sign", "case_conclusion", case.id, digest=conclusion.content_digest)
    db.session.commit()
    expert_sfu.close_room(case.id)  # the room closed: its Janus room and tokens go with it
    notify.broadcast(room_name(case.id), "case.status", brief(case))
    notify.notify_users([case.requesting_doctor.user_id, case.patient_id], "case.concluded", brief(case))
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
    case = case_as(user, case_id, "leader", "requester", "expert", "patient", "admin")
    if case.conclusion is None:
        raise Conflict("not_concluded", _l("The report exists once the leader has signed the conclusion."))
    audit.record_read(user.id, case.patient_id, "expert_report", case.id)
    return case
