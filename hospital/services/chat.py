"""The consultation's dialogue: messages stored with a sequence number, then relayed; read receipts.

A message is stored before it is relayed; a resent `client_id` stores nothing twice; reading the
dialogue is audited. System lines (state changes) are written in Chinese, the record's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError

from core import audit, clock, notify, rows
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db
from core.models import User
from core.types import UTCDateTime
from hospital.models.consultations import Consultation, ConsultationMessage, MessageKind, ReadReceipt
from hospital.models.consultations import ConsultationStatus as S
from hospital.services import consultation_access as access
from hospital.services import consultation_machine as machine

MAX_TEXT = 2000


def message_dict(message: ConsultationMessage) -> dict:
    """A chat message as clients see it (the same shape on the socket and in the API)."""
    return _shape(message, message.sender.name if message.sender else None)


def _shape(message, sender_name: str | None) -> dict:
    """The client's shape of a message object or a row with the message's columns."""
    return {
        "id": message.id,
        "consultation_id": message.consultation_id,
        "seq": message.seq,
        "sender_id": message.sender_id,
        "sender_name": sender_name,
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


def add_message(
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


def system_message(consultation: Consultation, msgid, **params) -> None:
    """A line in the dialogue for a state change (in Chinese, the language of the record)."""
    with force_locale("zh"):
        text = str(msgid) % params if params else str(msgid)
    message = add_message(consultation.id, None, MessageKind.SYSTEM, text)
    db.session.info.setdefault("pending_messages", []).append(message.id)


def check_can_write(user: User, consultation: Consultation) -> None:
    if consultation.status == S.ACCEPTED or (consultation.status == S.WAITING and user.id == consultation.patient_id):
        return
    raise Conflict("chat_closed", _l("Messages can be sent only while the consultation is open."))


def stored_with_client_id(consultation_id: int, sender_id: int, client_id: str | None) -> ConsultationMessage | None:
    if not client_id:
        return None
    query = db.select(ConsultationMessage).filter_by(
        consultation_id=consultation_id, sender_id=sender_id, client_id=client_id
    )
    return db.session.execute(query).scalar_one_or_none()


@dataclass(frozen=True)
class ChatSeat:
    """A participant's place in one consultation's chat, settled once (when his socket joins):
    what every message needs to know about its sender without reading him again."""

    consultation_id: int
    user_id: int
    sender_name: str
    patient_id: int
    doctor_id: int | None  # the sender's doctor id when he writes as the consulting doctor


def seat_for(user: User, consultation: Consultation) -> ChatSeat | None:
    """The user's seat in this consultation's chat, or None when he is not one of the two who chat."""
    if not access.is_participant(user, consultation):
        return None
    doctor = None if user.id == consultation.patient_id else access.doctor_of(user)
    return ChatSeat(consultation.id, user.id, user.name, consultation.patient_id, doctor.id if doctor else None)


_consultations = Consultation.__table__
_messages = ConsultationMessage.__table__


def _take_seq_statement(allowed):
    return (
        _consultations.update()
        .where(_consultations.c.id == bindparam("cid"), allowed)
        .values(last_seq=_consultations.c.last_seq + 1)
        .returning(_consultations.c.last_seq)
    )


# The next sequence number, taken only while this seat may still write: the patient while the
# consultation waits or is accepted, the consulting doctor while it is accepted and his. The one
# UPDATE is the access check, the status check and the write lock that keeps seqs gapless.
# (Built once: a chat message costs no statement building.)
# (Run on the driver's cursor, core/rows.OnCursor: two equalities, not IN, which SQLAlchemy
# expands anew at every execution.)
_PATIENT_TAKES_SEQ = rows.OnCursor(
    _take_seq_statement(
        (_consultations.c.patient_id == bindparam("uid"))
        & ((_consultations.c.status == S.WAITING) | (_consultations.c.status == S.ACCEPTED))
    )
)
_DOCTOR_TAKES_SEQ = rows.OnCursor(
    _take_seq_statement((_consultations.c.doctor_id == bindparam("did")) & (_consultations.c.status == S.ACCEPTED))
)
_MESSAGE_COLUMNS = ("consultation_id", "seq", "sender_id", "kind", "text", "client_id", "attachment_id", "created_at")
_INSERT_MESSAGE = rows.OnCursor(
    _messages.insert().values({name: bindparam(name) for name in _MESSAGE_COLUMNS}).returning(_messages.c.id)
)


def _store_in_one_statement(allowed: str):
    """PostgreSQL: the same three writes as one statement (data-modifying CTEs), so a message costs
    one round trip instead of three; atomic like the transaction it replaces."""
    sql = f"""
        WITH s AS (
            UPDATE consultations SET last_seq = last_seq + 1
            WHERE id = :consultation_id AND {allowed}
            RETURNING last_seq),
        m AS (
            INSERT INTO consultation_messages (consultation_id, seq, sender_id, kind, text, client_id, created_at)
            SELECT :consultation_id, s.last_seq, :sender_id, :kind, :text, :client_id, :created_at FROM s
            RETURNING id, seq),
        a AS (
            INSERT INTO audit_log (at, actor_id, patient_id, action, object_type, object_id, ip)
            SELECT :created_at, :sender_id, :patient_id, 'create', 'consultation_message', m.id::text, :ip FROM m)
        SELECT id, seq FROM m
    """
    return rows.OnCursor(sql_text(sql).bindparams(bindparam("created_at", type_=UTCDateTime())))


_PATIENT_STORES = _store_in_one_statement("patient_id = :sender_id AND status IN (:waiting, :accepted)")
_DOCTOR_STORES = _store_in_one_statement("doctor_id = :doctor_id AND status = :accepted")


def post_from_seat(seat: ChatSeat, text: str, client_id: str | None = None) -> tuple[dict, bool]:
    """Store a text message, then relay it to the room; a resent client_id returns the stored one
    (False). One transaction: take the seq (with the access check), insert, audit (on PostgreSQL
    one statement); then the relay."""
    text = (text or "").strip()
    if not 1 <= len(text) <= MAX_TEXT:
        raise ValidationFailed("invalid_text", _l("A message has 1 to 2000 characters."), field="text")
    client_id = (client_id or "")[:64] or None
    now = clock.now()
    if seat.doctor_id is None:
        take_seq, who = _PATIENT_TAKES_SEQ, {"cid": seat.consultation_id, "uid": seat.user_id}
    else:
        take_seq, who = _DOCTOR_TAKES_SEQ, {"cid": seat.consultation_id, "did": seat.doctor_id}
    values = {
        "consultation_id": seat.consultation_id,
        "seq": None,
        "sender_id": seat.user_id,
        "kind": MessageKind.TEXT,
        "text": text,
        "client_id": client_id,
        "attachment_id": None,
        "created_at": now,
    }
    try:
        if db.engine.dialect.name == "postgresql":
            message_id, values["seq"] = _store_on_postgres(seat, values)
        else:
            message_id = _store(take_seq, who, seat, values, now)
    except (_NoSeat, IntegrityError):  # may no longer write, or this client_id is stored already
        return _resent_or_refused(seat, client_id)
    payload = {
        **values,
        "id": message_id,
        "sender_name": seat.sender_name,
        "attachment_url": None,
        "created_at": clock.to_local(now).isoformat(),
    }
    del payload["attachment_id"]
    notify.broadcast(machine.consultation_room(seat.consultation_id), "message", payload)
    return payload, True


def _store_on_postgres(seat: ChatSeat, values: dict) -> tuple[int, int]:
    params = {
        **values,
        "patient_id": seat.patient_id,
        "doctor_id": seat.doctor_id,
        "waiting": S.WAITING,
        "accepted": S.ACCEPTED,
        "ip": request.remote_addr if has_request_context() else None,
    }
    # One statement is its own transaction in PostgreSQL: run it in autocommit, which spares the
    # BEGIN and the COMMIT round trips of a transaction around it (same atomicity, same WAL flush).
    with rows.autocommit(db.engine) as connection:
        row = (_PATIENT_STORES if seat.doctor_id is None else _DOCTOR_STORES).first(connection, params)
    if row is None:
        raise _NoSeat
    return row[0], row[1]


def _store(take_seq: rows.OnCursor, who: dict, seat: ChatSeat, values: dict, now) -> int:
    """SQLite (and others): take the seq, insert, audit, in one transaction."""
    with db.engine.begin() as connection:
        values["seq"] = take_seq.scalar(connection, who)
        if values["seq"] is None:
            raise _NoSeat
        message_id = _INSERT_MESSAGE.scalar(connection, values)
        audit.append(connection, seat.user_id, seat.patient_id, "create", "consultation_message", message_id, now)
    return message_id


class _NoSeat(Exception):
    """No seq was taken: the seat may no longer write (rolled back)."""


def _resent_or_refused(seat: ChatSeat, client_id: str | None) -> tuple[dict, bool]:
    """Why no seq was taken: the message was stored before (answer it again), or the seat may no
    longer write (the consultation ended, or was handed to another doctor)."""
    existing = stored_with_client_id(seat.consultation_id, seat.user_id, client_id)
    if existing is not None:
        return message_dict(existing), False
    consultation = db.session.get(Consultation, seat.consultation_id)
    if consultation is None or (seat.doctor_id is not None and consultation.doctor_id != seat.doctor_id):
        raise Forbidden("not_participant", _l("Only the patient and the consulting doctor may do this."))
    raise Conflict("chat_closed", _l("Messages can be sent only while the consultation is open."))


def post_message(user: User, consultation_id: int, text: str, client_id: str | None = None) -> tuple[dict, bool]:
    """Store a text message, then broadcast it; a resent client_id returns the stored one (False)."""
    consultation = access.participant(user, consultation_id)
    seat = seat_for(user, consultation)
    return post_from_seat(seat, text, client_id)


def store_and_broadcast(user, consultation, kind, text, client_id, attachment_id=None) -> tuple[dict, bool]:
    try:
        message = add_message(consultation.id, user.id, kind, text, client_id, attachment_id)
        audit.record(user.id, consultation.patient_id, "create", "consultation_message", message.id)
        payload = message_dict(message)  # before the commit expires the row: no reload per message
        db.session.commit()
    except IntegrityError:  # the same client_id raced in twice: the first one wins
        db.session.rollback()
        return message_dict(stored_with_client_id(consultation.id, user.id, client_id)), False
    notify.broadcast(machine.consultation_room(consultation.id), "message", payload)
    return payload, True


# The dialogue after a seq, with each sender's name: rows through a statement built once (a read
# needs no objects; loading messages as objects cost about three times as much).
_DIALOGUE = (
    db.select(
        ConsultationMessage.id,
        ConsultationMessage.consultation_id,
        ConsultationMessage.seq,
        ConsultationMessage.sender_id,
        User.name.label("sender_name"),
        ConsultationMessage.kind,
        ConsultationMessage.text,
        ConsultationMessage.client_id,
        ConsultationMessage.attachment_id,
        ConsultationMessage.created_at,
    )
    .outerjoin(User, User.id == ConsultationMessage.sender_id)
    .where(ConsultationMessage.consultation_id == bindparam("consultation_id"))
    .where(ConsultationMessage.seq > bindparam("since"))
    .order_by(ConsultationMessage.seq)
    .limit(bindparam("limit"))
)


def messages_since(user: User, consultation_id: int, since: int = 0, limit: int = 500) -> list[dict]:
    """Messages after `since` (a seq), in order: what a reconnecting client missed."""
    consultation = access.access_row_for(user, consultation_id)
    params = {"consultation_id": consultation.id, "since": since or 0, "limit": limit}
    shaped = [_shape(row, row.sender_name) for row in rows.read(_DIALOGUE, params)]
    audit.record_read(user.id, consultation.patient_id, "consultation_messages", consultation.id, since=since)
    return shaped


def mark_read(user: User, consultation_id: int, seq: int) -> dict:
    """Remember how far this participant has read; tell the other side."""
    consultation = access.participant(user, consultation_id)
    # The last sequence number from the table, not from the loaded object: another request may
    # have stored a message since this session loaded the consultation.
    last_seq = db.session.execute(db.select(Consultation.last_seq).filter_by(id=consultation.id)).scalar_one()
    seq = max(0, min(int(seq or 0), last_seq))
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
    notify.broadcast(machine.consultation_room(consultation.id), "consultation.read", payload)
    return payload


def read_state(consultation_id: int) -> dict[int, int]:
    receipts = db.session.execute(db.select(ReadReceipt).filter_by(consultation_id=consultation_id)).scalars()
    return {row.user_id: row.seq for row in receipts}
