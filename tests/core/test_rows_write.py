"""`rows.write`: a hot path's Core statement runs on the request's own transaction, as
`Session.execute` would run it, without the ORM's execution of it, and one row's values on the
driver's cursor (issue #13: a paid order makes sixteen such statements)."""

from __future__ import annotations

import gc
import weakref

import pytest
import sqlalchemy
from sqlalchemy import bindparam, event, func
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.orm import Session

from core import audit, clock, rows
from core.extensions import db
from core.models import AuditEntry
from tests.hardening.test_dropped_connection import _terminate

_INSERT = AuditEntry.__table__.insert()


def _entries(action: str) -> int:
    return db.session.execute(db.select(func.count()).where(AuditEntry.action == action)).scalar()


def _row(action: str) -> dict:
    return {"at": clock.now(), "actor_id": None, "patient_id": None, "action": action, "object_type": "test"}


def test_a_write_commits_and_rolls_back_with_the_session(app):
    with app.app_context():
        rows.write(_INSERT, _row("kept"))
        db.session.commit()
        rows.write(_INSERT, [_row("dropped")] * 2)
        assert _entries("dropped") == 2  # the same transaction sees it
        db.session.rollback()
        assert _entries("kept") == 1 and _entries("dropped") == 0


def test_a_write_is_not_the_orms_execution(app):
    seen = []
    listener = lambda state: seen.append(state.statement)  # noqa: E731
    event.listen(Session, "do_orm_execute", listener)
    try:
        with app.app_context():
            result = rows.write(_INSERT.returning(AuditEntry.__table__.c.id), _row("quiet"))
            assert result.scalar_one() > 0
            db.session.execute(_INSERT, _row("seen"))
            db.session.commit()
    finally:
        event.remove(Session, "do_orm_execute", listener)
    assert len(seen) == 1  # only the Session.execute one


def test_entries_recorded_at_commit_are_written_by_it_in_one_insert_or_dropped_by_a_rollback(app):
    inserts = []
    with app.app_context():
        listener = lambda *args: inserts.append(args[2]) if args[2].startswith("INSERT INTO audit_log") else None  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            audit.record_at_commit(None, None, "later", "test", 1)
            assert _entries("later") == 0  # not written before the commit
            db.session.rollback()
            db.session.commit()
            assert _entries("later") == 0 and not inserts  # the rollback dropped it
            audit.record_at_commit(None, None, "later", "test", 2)
            audit.record_at_commit(None, None, "later", "test", 3, why="two at once")
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert _entries("later") == 2 and len(inserts) == 1


def test_entries_recorded_at_commit_go_with_a_session_closed_before_it(app):
    with app.app_context():
        audit.record_at_commit(None, None, "closed", "test", 1)
        db.session.close()
        db.session.commit()
        assert _entries("closed") == 0


# --- one row's values on the driver's cursor (rows.OnCursor), the rest through Core --------------


class _Executions:
    """What went through `Connection.execute` (its `before_execute`), and what reached a cursor."""

    def __init__(self):
        self.through_core, self.on_cursor = [], []

    def __enter__(self):
        event.listen(db.engine, "before_execute", self._core)
        event.listen(db.engine, "before_cursor_execute", self._cursor)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_execute", self._core)
        event.remove(db.engine, "before_cursor_execute", self._cursor)

    def _core(self, _conn, clause, *_args):
        self.through_core.append(str(clause).split(" ", 3)[2])

    def _cursor(self, _conn, _cursor, sql, *_args):
        self.on_cursor.append(sql.split(" ", 3)[2])


def test_one_rows_values_run_on_the_cursor_and_many_or_defaults_through_core(app):
    table = AuditEntry.__table__
    with app.app_context():
        with _Executions() as seen:
            entry_id = rows.write(_INSERT.returning(table.c.id), _row("on-cursor")).scalar_one()
            rows.write(_INSERT, [_row("one-of-a-list")])  # one row: no executemany
            rows.write(_INSERT, [_row("many")] * 2)  # executemany: Core
            without_time = {k: v for k, v in _row("defaulted").items() if k != "at"}
            rows.write(_INSERT, without_time)  # `at` has a Python-side default: Core fills it
        db.session.commit()
        stored = db.session.execute(db.select(table).where(table.c.id == entry_id)).one()
        defaulted = db.session.execute(db.select(table.c.at).where(table.c.action == "defaulted")).scalar()
    assert seen.on_cursor == ["audit_log"] * 4  # every statement reached a cursor, listeners saw it
    assert len(seen.through_core) == 2  # the executemany and the defaulted one
    assert stored.action == "on-cursor" and stored.object_type == "test" and stored.at.tzinfo is not None
    assert defaulted is not None
    assert _entries("one-of-a-list") == 1 and _entries("many") == 2


def test_the_cursors_answer_says_what_cores_says(app):
    table = AuditEntry.__table__
    rename = table.update().where(table.c.action == bindparam("_was"))
    with app.app_context():
        rows.write(_INSERT, [_row("first")] * 3)
        assert rows.write(rename, {"_was": "first", "action": "renamed"}).rowcount == 3  # SET from the names
        assert rows.write(rename, {"_was": "nobody", "action": "renamed"}).rowcount == 0
        gone = rows.write(rename.returning(table.c.id), {"_was": "nobody", "action": "x"})
        assert gone.scalar() is None
        with pytest.raises(NoResultFound):
            gone.scalar_one()
        assert _entries("renamed") == 3
        db.session.rollback()
        assert _entries("renamed") == 0  # in the session's transaction, rolled back with it


def _sent(statement, params: dict) -> list[tuple]:
    """(SQL, parameters) the driver was given for `statement`: by `write`, then by Core."""
    sent = []
    listener = lambda _conn, _cursor, sql, bound, *_args: sent.append((sql, bound))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows.write(statement, params)
        db.session.connection().execute(statement, params)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.rollback()
    return [(sql, _plain(bound)) for sql, bound in sent]


def _plain(bound):
    """psycopg's Json wrapper compares by identity: compare what it wraps."""
    unwrap = lambda value: getattr(value, "obj", value)  # noqa: E731
    return {k: unwrap(v) for k, v in bound.items()} if isinstance(bound, dict) else tuple(map(unwrap, bound))


def _same_as_cores() -> None:
    table = AuditEntry.__table__
    moved = table.update().where(table.c.id == bindparam("_id"), table.c.action == "first")
    entry = {**_row("same"), "detail": {"text": "血压 130/80"}, "object_id": "7"}
    for statement, params in ((_INSERT, entry), (moved, {"_id": 1, "action": "moved", "detail": {"n": 1}})):
        by_write, by_core = _sent(statement, params)
        assert by_write == by_core, (by_write, by_core)


def test_the_driver_is_given_what_core_gives_it(app):
    with app.app_context():
        _same_as_cores()


@pytest.mark.postgres
def test_on_postgresql_the_driver_is_given_what_core_gives_it(pg_app):
    _same_as_cores()


def test_a_statement_built_for_one_call_goes_with_its_plans(app):
    table = AuditEntry.__table__
    with app.app_context():
        gone = []
        for n in range(3):
            statement = table.update().where(table.c.id == bindparam("_id"))
            rows.write(statement, {"_id": n, "ip": "::1"})
            assert statement in rows._WRITE_PLANS
            gone.append(weakref.ref(statement))
        del statement
        gc.collect()
        assert [ref() for ref in gone] == [None] * 3  # nothing of the plans held them


def test_a_listener_may_hand_back_another_statement_as_in_core(app):
    """A `retval` listener's answer is what runs (as Core runs it): a tagging comment here."""
    ran = []
    tag = lambda _c, _cur, sql, bound, *_a: (sql + " -- tagged", bound)  # noqa: E731
    after = lambda _c, _cur, sql, *_a: ran.append(sql)  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", tag, retval=True)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            rows.write(_INSERT, _row("tagged"))
        finally:
            event.remove(db.engine, "before_cursor_execute", tag)
            event.remove(db.engine, "after_cursor_execute", after)
        assert _entries("tagged") == 1
    assert ran and ran[0].endswith(" -- tagged")


@pytest.mark.postgres
def test_on_postgresql_a_write_on_a_dropped_connection_invalidates_it_and_the_next_one_works(pg_app):
    with db.engine.connect() as other:  # a second pooled connection, older than the next one
        other.execute(sqlalchemy.text("SELECT 1"))
    pid = db.session.connection().connection.dbapi_connection.info.backend_pid
    _terminate(pg_app.config["SQLALCHEMY_DATABASE_URI"], pid)
    with pytest.raises(DBAPIError) as raised:
        rows.write(_INSERT, _row("lost"))
    assert raised.value.connection_invalidated
    db.session.rollback()  # as the request's end does: no error from the lost connection
    rows.write(_INSERT, _row("after"))  # on a new connection
    db.session.commit()
    assert _entries("after") == 1 and _entries("lost") == 0
