"""Idempotency keys for POSTs that must not happen twice (paying for an order).

Common practice (DESIGN §6): the first request's answer is stored and replayed for the same key;
the same key with a different body is a 422; a key whose first request is still running is a
409. The database decides who is first: a unique constraint on (user, key), not Python.
An answer of 5xx is not stored (the key is released), so that the client can retry.

A view may store its answer in the transaction that commits the outcome the answer reports
(`store_answer`, for a payment: the paid order's answer commits with the payment), so that no
commit follows the outcome's, and no moment exists when the outcome is committed and its key
still running. The wrapper then stores nothing more.

A request whose process dies leaves its key "running". If the request had already written what
it acts on, it bound the key to it (`bind(record_id, "order:12")` in the same transaction), and
a retry follows that object's outcome through the resolver its domain registered
(`register_resolver("order", fn)`): the order's answer once it is paid or failed, a 409 while it
is still being resolved. A key that was never bound belongs to a request that died before it
wrote anything: after UNBOUND_STALE_AFTER the next request with it takes it over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, g, jsonify, make_response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, bindparam, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock, rows
from core.auth import require_user
from core.errors import AppError, Conflict, ValidationFailed, error_body
from core.extensions import db
from core.rows import insert_row
from core.types import UTCDateTime

HEADER = "Idempotency-Key"
RUNNING, DONE = "running", "done"
# Longer than any request may take before it writes what it acts on (the insurer's identity
# check with its bounded retries included).
UNBOUND_STALE_AFTER = timedelta(seconds=90)
# kind -> fn(object id, user id) -> (status, body) once the object's outcome is final, else None
Resolver = Callable[[int, int], tuple[int, dict] | None]
_resolvers: dict[str, Resolver] = {}

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "schema": {"type": "string", "maxLength": 80},
    "description": "A unique key per intended action (e.g. a UUID). A retry with the same key and body "
    "replays the first answer; a different body is a 422; a retry while the first runs is a 409.",
}


class IdempotencyRecord(db.Model):
    """One (user, key): the request's fingerprint and, once finished, its stored answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(80))  # method + path: a key is not reused elsewhere
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8), default=RUNNING)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the request acts on ("order:12"), bound in the transaction that wrote it.
    resource: Mapped[str | None] = mapped_column(String(40))


def register_resolver(kind: str, fn: Resolver) -> None:
    """fn(id, user_id) gives the final answer for a bound object of this kind, or None if pending."""
    _resolvers[kind] = fn


def current_id() -> int | None:
    """The Idempotency-Key record of the running request (for the service to bind)."""
    record = g.get("idempotency_record")
    return record.id if record is not None else None


_table = IdempotencyRecord.__table__
# The statements of every keyed request, built once (Core: the SET clause is the parameters').
_THIS_KEY = (_table.c.id == bindparam("_id"), _table.c.user_id == bindparam("_user"), _table.c.key == bindparam("_key"))
_BIND = _table.update().where(_table.c.id == bindparam("_id"))
_FINISH = _table.update().where(*_THIS_KEY)
_FORGET = _table.delete().where(*_THIS_KEY)


def bind(record_id: int, resource: str) -> None:
    """Bind the key to what its request wrote, in the caller's transaction (not committed)."""
    rows.write(_BIND, {"_id": record_id, "resource": resource[:40]})


def fingerprint(scope: str, body) -> str:
    """A digest of what was asked, to tell a replay from a different request under the same key."""
    canonical = json.dumps({"scope": scope, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise ValidationFailed(
            "idempotency_key_required", _l("Send an Idempotency-Key header (at most 80 characters)."), field=HEADER
        )
    return key


def begin(user_id: int, key: str | None, scope: str, request_hash: str) -> IdempotencyRecord:
    """Claim the key, or return the finished record to replay; 422 / 409 as the rules say.

    The claim is one INSERT, committed by the request's first commit (a payment's reserved
    message ids: one commit, not two). A twin request's INSERT of the same key waits for that
    commit and loses to it. The view must therefore commit before any slow outside call (the
    write would otherwise be held across it); if it fails before its first commit, the claim goes
    with its rollback and `finish` stores the answer anew."""
    key = _check_key(key)
    record = IdempotencyRecord(user_id=user_id, key=key, scope=scope, request_hash=request_hash)
    try:
        insert_row(record)  # kept outside the session: the wrapper reads it, `finish` writes by id
        return record
    except IntegrityError:
        db.session.rollback()
    existing = db.session.execute(db.select(IdempotencyRecord).filter_by(user_id=user_id, key=key)).scalar_one()
    if existing.request_hash != request_hash or existing.scope != scope:
        raise ValidationFailed(
            "idempotency_key_reused", _l("This Idempotency-Key was used for a different request."), field=HEADER
        )
    if existing.state == RUNNING and not (_follow_resource(existing) or _take_over_stale(existing)):
        raise Conflict("idempotency_in_progress", _l("The first request with this key is still running; try again."))
    return existing


def _follow_resource(record: IdempotencyRecord) -> bool:
    """A key bound to an object whose outcome is final takes that outcome as its answer."""
    kind, _, ident = (record.resource or "").partition(":")
    resolver = _resolvers.get(kind)
    if resolver is None or not ident.isdigit():
        return False
    outcome = resolver(int(ident), record.user_id)
    if outcome is None:
        return False
    finish(record, *outcome)
    return True


def _take_over_stale(record: IdempotencyRecord) -> bool:
    """Claim a key whose first request died: one conditional update, so only one retry wins."""
    now = clock.now()
    claimed = db.session.execute(
        db.update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == record.id,
            IdempotencyRecord.state == RUNNING,
            IdempotencyRecord.resource.is_(None),
            IdempotencyRecord.created_at < now - UNBOUND_STALE_AFTER,
        )
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


_STORED = "idempotency.stored_answer"  # in session.info: the answer stored by this transaction


def store_answer(status: int, body) -> None:
    """Store the running keyed request's answer in the caller's transaction, not committed: it
    commits with the outcome it reports, or is rolled back with it (and the wrapper then stores
    the answer the request ends with, as always). Outside a keyed request it does nothing."""
    record = g.get("idempotency_record")
    if record is not None and _write_answer(record, status, body):
        db.session().info[_STORED] = (status, body)


def committed_answer() -> Response | None:
    """The answer `store_answer` stored, once its transaction has committed, as the response to
    give (a view returns it rather than making the same answer twice); else None."""
    committed = g.get("idempotency_committed")
    if committed is None:
        return None
    response = jsonify(committed[1])
    response.status_code = committed[0]
    return response


@event.listens_for(Session, "after_commit")
def _stored_answer_committed(session: Session) -> None:
    stored = session.info.pop(_STORED, None)
    if stored is not None:
        g.idempotency_committed = stored


@event.listens_for(Session, "after_rollback")
def _stored_answer_rolled_back(session: Session) -> None:
    session.info.pop(_STORED, None)


def _mine(record: IdempotencyRecord) -> dict:
    # The key's row by id, user and key: the record may be outside the session or expired by the
    # request's commits, and an id whose claim was rolled back may be given again (SQLite reuses
    # row ids) to another request's claim.
    return {"_id": record.id, "_user": record.user_id, "_key": record.key}


def _done(status: int, body) -> dict:
    return {"state": DONE, "response_status": status, "response_body": body, "finished_at": clock.now()}


def _write_answer(record: IdempotencyRecord, status: int, body) -> bool:
    """The answer on the key's claimed row, in the current transaction; False if no row is claimed."""
    return rows.write(_FINISH, _mine(record) | _done(status, body)).rowcount == 1


def finish(record: IdempotencyRecord, status: int, body) -> None:
    """Store the answer for replays; forget the key after a server-side failure (retry allowed)."""
    if status >= 500:
        rows.write(_FORGET, _mine(record))
        db.session.commit()
        return
    if not _write_answer(record, status, body):
        # The claim went with the view's rollback (it failed before its first commit): store the
        # answer as a new row, unless a twin claimed the key meanwhile (its answer stands).
        row = IdempotencyRecord(
            user_id=record.user_id,
            key=record.key,
            scope=record.scope,
            request_hash=record.request_hash,
            **_done(status, body),
        )
        try:
            insert_row(row)
        except IntegrityError:
            db.session.rollback()
            return
    db.session.commit()


def _run(view, args, kwargs) -> tuple[int, object, Response | None]:
    try:
        response = view(*args, **kwargs)
    except AppError as err:
        db.session.rollback()
        return err.status, error_body(err.status, err.render_message(), err.reason, err.field), None
    if not isinstance(response, Response):
        response = make_response(response)
    return response.status_code, response.get_json(silent=True), response


def idempotent(view):
    """Decorator for a JSON POST view (outside flask-smorest's own decorators): keyed replays."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = require_user()
        scope = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
        record = begin(user.id, request.headers.get(HEADER), scope, fingerprint(scope, request.get_json(silent=True)))
        if record.state == DONE:
            replay = jsonify(record.response_body)
            replay.status_code = record.response_status
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        g.idempotency_record = record
        try:
            status, body, response = _run(view, args, kwargs)
        except Exception:
            db.session.rollback()
            finish(record, 500, None)
            raise
        committed = g.pop("idempotency_committed", None)
        if committed is not None and committed[0] == status:
            # Stored with the outcome: answer exactly what a replay will get.
            if body != committed[1]:
                status, body, response = *committed, None
        else:
            finish(record, status, body)
        if response is None:
            response = jsonify(body)
            response.status_code = status
        return response

    return wrapper
