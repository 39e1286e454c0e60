"""The audit log helper every domain calls when it reads or changes a patient's data."""

from __future__ import annotations

import weakref

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from gevent import getcurrent, spawn
from gevent.event import AsyncResult
from gevent.greenlet import Greenlet
from sqlalchemy import bindparam, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core import clock, rows
from core.extensions import db
from core.models import AuditEntry, User


def record(
    actor_id: int | None,
    patient_id: int | None,
    action: str,
    object_type: str,
    object_id: int | str | None = None,
    **detail,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change it records).

    For reads, call `record_read`, which commits on its own.
    """
    entry = AuditEntry(**_values(actor_id, patient_id, action, object_type, object_id, detail, clock.now()))
    db.session.add(entry)
    return entry


def _values(actor_id, patient_id, action: str, object_type: str, object_id, detail: dict, at) -> dict:
    """An entry's columns (the id aside), the one way every writer below fills them."""
    return {
        "at": at,
        "actor_id": actor_id,
        "patient_id": patient_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "detail": detail or None,
        "ip": request.remote_addr if has_request_context() else None,
    }


_INSERT = AuditEntry.__table__.insert()
_COLUMNS = ("at", "actor_id", "patient_id", "action", "object_type", "object_id", "detail", "ip")
# The chat's entry, written with its message on the driver's cursor (core/rows.OnCursor).
_APPEND = rows.OnCursor(_INSERT.values({name: bindparam(name) for name in _COLUMNS}))


def record_at_commit(
    actor_id: int | None,
    patient_id: int | None,
    action: str,
    object_type: str,
    object_id: int | str | None = None,
    **detail,
) -> None:
    """`record` for a hot path's change (a payment's), whose entry nothing reads back: written by
    the current transaction's commit, together with the transaction's other such entries in one
    prebuilt INSERT (no ORM object, no unit of work). A payment's commit records the settlement
    and the paid prescription: one statement, not two. A rollback drops the entries with the
    change they record."""
    entry = _values(actor_id, patient_id, action, object_type, object_id, detail, clock.now())
    session = db.session()
    if not session.in_transaction():  # the entries belong to a transaction: they end with it
        session.begin()
    session.info.setdefault(_AT_COMMIT, []).append(entry)


_AT_COMMIT = "audit.entries_at_commit"


@event.listens_for(Session, "before_commit")
def _write_entries_at_commit(session: Session) -> None:
    entries = session.info.pop(_AT_COMMIT, None)
    if entries:
        rows.write(_INSERT, entries, session)


@event.listens_for(Session, "after_transaction_end")
def _drop_entries_at_commit(session: Session, transaction) -> None:
    """Whatever ends the transaction without its commit (a rollback, the session closed) drops
    the entries with the change they record; a savepoint's end leaves them."""
    if transaction.parent is None:
        session.info.pop(_AT_COMMIT, None)


def append(
    connection, actor_id: int | None, patient_id: int | None, action: str, object_type: str, object_id, at
) -> None:
    """Write an entry on `connection`'s transaction with one prebuilt INSERT (no ORM object): for
    the hot path of chat messages, where the unit of work costs more than the row."""
    _APPEND.run(connection, _values(actor_id, patient_id, action, object_type, object_id, {}, at))


_WROTE = "audit.transaction_wrote"


@event.listens_for(Session, "after_flush")
def _wrote(session: Session, _context) -> None:
    session.info[_WROTE] = True  # the transaction changed rows: its objects expire at commit


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    session.info.pop(_WROTE, None)


def record_read(actor_id: int | None, patient_id: int | None, object_type: str, object_id=None, **detail) -> None:
    """Record that someone read a patient's data, and commit it before the answer leaves."""
    record_reads(actor_id, [patient_id], object_type, object_id, **detail)


def record_reads(actor_id: int | None, patient_ids, object_type: str, object_id=None, **detail) -> None:
    """One read entry per patient (a list that shows several), committed before this returns.

    Written now rather than buffered: a buffer flushed later would lose the reads served just
    before a crash, and the log must hold every read. Two ways, the same guarantee:
    - served by gevent (the server), when the request's transaction wrote nothing else: the
      entries join the group commit below and this request waits for its group's commit;
    - otherwise a prebuilt INSERT on the request's transaction and its commit, without the ORM's
      unit of work (a read has nothing else to flush).
    Either way the request's transaction is committed, leaving what it read loaded (no
    expire-on-commit) when it wrote nothing else: those objects are exactly what was read and
    audited, and expiring them made the answer's serialisation read every one of them again (a
    SELECT per row). A grouped request so waits without holding a pooled connection, which the
    writer might otherwise wait for."""
    session = db.session()
    untouched = not (session.new or session.dirty or session.deleted or session.info.get(_WROTE))
    at, ip = clock.now(), request.remote_addr if has_request_context() else None
    row = {"at": at, "actor_id": actor_id, "action": "read", "object_type": object_type, "ip": ip}
    row |= {"object_id": str(object_id) if object_id is not None else None, "detail": detail or None}
    entries = [{**row, "patient_id": patient_id} for patient_id in patient_ids]
    grouped = untouched and entries and isinstance(getcurrent(), Greenlet)
    if entries and not grouped:  # on the transaction's connection: the ORM has nothing to add
        rows.write(_INSERT, entries)
    session.expire_on_commit = not untouched
    try:
        session.commit()  # also ends a grouped request's transaction: it waits holding no connection
    finally:
        session.expire_on_commit = True
    if grouped:
        _group_commit(session.get_bind(clause=_INSERT)).write(entries)


class GroupCommit:
    """Read entries of concurrent requests written by one writer in one transaction.

    Under gevent every request is a greenlet. One that records a read queues its entries and
    waits; the writer, started by the first entry of a group, runs once the requests already
    running have queued theirs or are waiting on something else, writes the group in one
    INSERT and one commit, then wakes each request of the group (or hands each the error, and
    nothing of the group is committed). A request answers only after its entries are
    committed, as before; what concurrent reads share is the commit and the statement, about
    two thirds of an audited read's cost on SQLite. While one group is written (on PostgreSQL
    the writer waits for the database), the next one gathers."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.queued: list[tuple[list[dict], AsyncResult]] = []
        self.writer: Greenlet | None = None
        self.commits = 0  # groups committed (for tests and profiles)

    def write(self, entries: list[dict]) -> None:
        """Queue the entries and wait until they are committed (raises what the commit raised)."""
        done = AsyncResult()
        self.queued.append((entries, done))
        if self.writer is None:
            self.writer = spawn(self._write_groups)
        done.get()

    def _write_groups(self) -> None:
        try:
            while self.queued:
                group, self.queued = self.queued, []
                self._write(group)
        finally:
            self.writer = None

    def _write(self, group: list[tuple[list[dict], AsyncResult]]) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(_INSERT, [entry for entries, _ in group for entry in entries])
        except Exception as error:  # every request of the group fails as its own commit would have
            for _, done in group:
                done.set_exception(error)
            return
        self.commits += 1
        for _, done in group:
            done.set(None)


_group_commits: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()


def _group_commit(engine: Engine) -> GroupCommit:
    group_commit = _group_commits.get(engine)
    if group_commit is None:
        group_commit = _group_commits[engine] = GroupCommit(engine)
    return group_commit


def entries_for_patient(patient_id: int, limit: int = 200) -> list[AuditEntry]:
    query = db.select(AuditEntry).filter_by(patient_id=patient_id).order_by(AuditEntry.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def recent(limit: int = 200) -> list[AuditEntry]:
    return list(db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars())


# --- reading the log: who, what in words, and where the object is -------------------------------

_ACTIONS: dict[str, object] = {
    "read": _l("read"),
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "sign": _l("signed"),
    "review": _l("reviewed"),
    "accept": _l("accepted"),
    "complete": _l("completed"),
    "cancel": _l("cancelled"),
    "expire": _l("expired"),
    "consent": _l("recorded consent for"),
}
_OBJECTS: dict[str, tuple[object, str | None]] = {}


def describe_actions(labels: dict[str, object]) -> None:
    """A domain names its own verbs (lazy_gettext strings), e.g. {"refund": _l("refunded")}."""
    _ACTIONS.update(labels)


def describe_object(object_type: str, label, link: str | None = None) -> None:
    """A domain names an object type, with the page (e.g. "/orders/{id}") an administrator opens."""
    _OBJECTS[object_type] = (label, link)


def readable(limit: int = 200, actor_id: int | None = None, patient_id: int | None = None) -> list[dict]:
    """The latest entries in words: people's names, the action, the object and its link."""
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if patient_id:
        query = query.where(AuditEntry.patient_id == patient_id)
    entries = list(db.session.execute(query).scalars())
    ids = {e.actor_id for e in entries} | {e.patient_id for e in entries}
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids - {None}))).all())
    return [_readable(e, names) for e in entries]


def _readable(entry: AuditEntry, names: dict[int, str]) -> dict:
    label, link = _OBJECTS.get(entry.object_type, (entry.object_type.replace("_", " "), None))
    return {
        "entry": entry,
        "actor": names.get(entry.actor_id),
        "patient": names.get(entry.patient_id),
        "action": _ACTIONS.get(entry.action, entry.action),
        "object": label,
        "link": link.format(id=entry.object_id) if link and entry.object_id and entry.object_id.isdigit() else None,
    }
