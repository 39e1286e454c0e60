"""`rows.write`: a hot path's Core statement runs on the request's own transaction, as
`Session.execute` would run it, without the ORM's execution of it, and one row's values on the
driver's cursor (issue #13: a paid order makes sixteen such statements)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, event, func
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from core import audit, clock, rows
from core.extensions import db
from core.models import AuditEntry

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
