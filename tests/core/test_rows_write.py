"""`rows.write`: a hot path's Core statement runs on the request's own transaction, as
`Session.execute` would run it, without the ORM's execution of it (issue #13: a paid order makes
sixteen such statements)."""

from __future__ import annotations

from sqlalchemy import event, func
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
