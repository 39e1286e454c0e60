"""Quick replies (常用语): each doctor keeps his own ordered list of short chat texts.

A doctor starts with a default set in his language, given once (deleting them all leaves the list
empty). Only the owner reads or changes a reply: another doctor's id answers 404.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.errors import MSG_NOT_FOUND, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.network import Doctor
from hospital.models.quick_replies import MAX_PER_DOCTOR, MAX_TEXT, QuickReply, QuickReplyDefaults
from hospital.services import network

# What a doctor of chronic follow-ups says most; his to change from the first day.
DEFAULTS = {
    "zh": (
        "您好，我是今天的值班医生，请问有什么可以帮您？",
        "请问您最近血压控制得怎么样？",
        "请问您最近血糖控制得怎么样？",
        "最近有没有头晕、胸闷或其他不舒服？",
        "目前的药还在按时吃吗？有没有漏服？",
        "请上传最近的化验单或检查报告照片。",
        "病情稳定，可以按原方案继续用药。",
        "您的情况需要到医院当面就诊，我为您开具线下就诊转诊。",
        "处方已开具，药师审核通过后即可支付取药。",
    ),
    "en": (
        "Hello, I am the doctor on duty today. How can I help you?",
        "How has your blood pressure been lately?",
        "How has your blood sugar been lately?",
        "Any dizziness, chest tightness or other discomfort lately?",
        "Are you still taking your medicine on time? Any missed doses?",
        "Please upload a photo of your latest lab results or reports.",
        "Your condition is stable: carry on with the same medicines.",
        "Your condition needs an in-person visit; I am referring you to the hospital.",
        "The prescription is written; once the pharmacist approves it you can pay and get the medicine.",
    ),
}


def _doctor(user: User) -> Doctor:
    doctor = network.doctor_for_user(user.id)
    if doctor is None:
        raise Forbidden("not_a_doctor", _l("Only doctors have quick replies."))
    return doctor


def _replies(doctor_id: int) -> list[QuickReply]:
    query = db.select(QuickReply).where(QuickReply.doctor_id == doctor_id).order_by(QuickReply.position, QuickReply.id)
    return list(db.session.execute(query).scalars())


def _ensure_defaults(doctor: Doctor, language: str) -> None:
    """Give the default set once; the marker's primary key keeps two first visits from doubling it."""
    if db.session.get(QuickReplyDefaults, doctor.id) is not None:
        return
    language = language if language in DEFAULTS else "zh"
    db.session.add(QuickReplyDefaults(doctor_id=doctor.id, language=language))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a concurrent first visit gave them already
        return
    start = len(_replies(doctor.id))
    for offset, text in enumerate(DEFAULTS[language]):
        db.session.add(QuickReply(doctor_id=doctor.id, position=start + offset, text=text))
    db.session.commit()


def _clean(text: str, doctor_id: int, skip_id: int | None = None) -> str:
    """A reply's text: trimmed, not empty, at most MAX_TEXT characters, not one he already has."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("empty_text", _l("Write the text of the quick reply."), field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            "text_too_long", _l("A quick reply has at most %(n)s characters."), field="text", n=MAX_TEXT
        )
    if any(r.text == text and r.id != skip_id for r in _replies(doctor_id)):
        raise ValidationFailed("duplicate_text", _l("You already have this quick reply."), field="text")
    return text


def _own(doctor: Doctor, reply_id: int) -> QuickReply:
    reply = db.session.get(QuickReply, reply_id)
    if reply is None or reply.doctor_id != doctor.id:
        raise NotFound("quick_reply_not_found", MSG_NOT_FOUND)
    return reply


def list_replies(user: User, language: str) -> list[QuickReply]:
    """The doctor's quick replies in his order (the default set on his first visit)."""
    doctor = _doctor(user)
    _ensure_defaults(doctor, language)
    return _replies(doctor.id)


def add_reply(user: User, text: str, language: str) -> QuickReply:
    """Add a quick reply at the end of his list."""
    doctor = _doctor(user)
    _ensure_defaults(doctor, language)
    replies = _replies(doctor.id)
    if len(replies) >= MAX_PER_DOCTOR:
        raise ValidationFailed(
            "too_many_quick_replies", _l("You can keep at most %(n)s quick replies."), field="text", n=MAX_PER_DOCTOR
        )
    reply = QuickReply(
        doctor_id=doctor.id,
        text=_clean(text, doctor.id),
        position=max((r.position for r in replies), default=-1) + 1,
    )
    db.session.add(reply)
    db.session.commit()
    return reply


def update_reply(user: User, reply_id: int, text: str) -> QuickReply:
    """Change the text of one of his quick replies."""
    doctor = _doctor(user)
    reply = _own(doctor, reply_id)
    reply.text = _clean(text, doctor.id, skip_id=reply.id)
    db.session.commit()
    return reply


def delete_reply(user: User, reply_id: int) -> None:
    """Remove one of his quick replies (they are his notes, not part of any record)."""
    doctor = _doctor(user)
    db.session.delete(_own(doctor, reply_id))
    db.session.commit()


def reorder(user: User, ids: list[int]) -> list[QuickReply]:
    """Put his quick replies in the given order; `ids` names each of them exactly once."""
    doctor = _doctor(user)
    replies = {r.id: r for r in _replies(doctor.id)}
    if len(ids) != len(set(ids)) or set(ids) != set(replies):
        raise ValidationFailed("order_mismatch", _l("List each of your quick replies exactly once."), field="ids")
    for position, reply_id in enumerate(ids):
        replies[reply_id].position = position
    db.session.commit()
    return _replies(doctor.id)
