"""`rows.OnCursor`: a prebuilt statement run on the driver's cursor writes exactly the row that
`Connection.execute` writes (the same bound values: UTC timestamps, JSON, the statement's own
constants), fails as SQLAlchemy's errors do, by position (SQLite) or by name (psycopg); and
`rows.autocommit` lends a pooled connection for one statement and takes it back as it was (issue
#13: a chat message's statements)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlalchemy import bindparam, event, func
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError, StatementError

from core import rows
from core.extensions import db
from core.models import AuditEntry
from tests.hardening.test_dropped_connection import _terminate

_TABLE = AuditEntry.__table__
_COLUMNS = ("at", "actor_id", "patient_id", "action", "object_type", "object_id", "detail", "ip")
_BY_CURSOR = rows.OnCursor(_TABLE.insert().values({name: bindparam(name) for name in _COLUMNS}).returning(_TABLE.c.id))
_PLAIN = _TABLE.insert().returning(_TABLE.c.id)


def _entry(action: str) -> dict:
    beijing = timezone(timedelta(hours=8))
    return {
        "at": datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=beijing),  # stored as UTC, as Core does
        "actor_id": None,
        "patient_id": None,
        "action": action,
        "object_type": "consultation_message",
        "object_id": "42",
        "detail": {"text": "血压 130/80", "n": 1},
        "ip": "127.0.0.1",
    }


def _stored(entry_id: int) -> tuple:
    row = db.session.execute(db.select(_TABLE).where(_TABLE.c.id == entry_id)).one()
    raw = db.session.execute(db.select(func.typeof(_TABLE.c.at), _TABLE.c.detail).where(_TABLE.c.id == entry_id))
    return tuple(row)[1:], tuple(raw.one())  # the id aside; and SQLite's own type of the time


def test_the_driver_cursor_writes_the_row_core_writes(app):
    with app.app_context(), db.engine.begin() as connection:
        by_cursor = _BY_CURSOR.scalar(connection, _entry("by-cursor"))
        by_core = connection.execute(_PLAIN, _entry("by-core")).scalar()
    with app.app_context():
        (cursor_row, cursor_raw), (core_row, core_raw) = _stored(by_cursor), _stored(by_core)
    assert by_cursor and by_core and by_cursor != by_core
    assert cursor_row[0] == datetime(2026, 12, 4, 1, 30, 15, 123456, tzinfo=UTC)  # read back aware, in UTC
    assert cursor_row[3] == "by-cursor" and core_row[3] == "by-core"
    assert cursor_row[:3] + cursor_row[4:] == core_row[:3] + core_row[4:]
    assert cursor_raw == core_raw  # the same text in the database: the same bind processors


def test_the_statements_own_constants_are_bound(app):
    """`status = 'accepted'` or `n + 1` in a statement are parameters of its compiled form."""
    with app.app_context():
        _constants_bound()


@pytest.mark.postgres
def test_on_postgresql_the_statements_own_constants_are_bound_by_name(pg_app):
    """psycopg names them as the SQL does (`%(coalesce_1)s`), not as SQLAlchemy keys them."""
    _constants_bound()


def _constants_bound() -> None:
    bump = rows.OnCursor(
        _TABLE.update()
        .where(_TABLE.c.id == bindparam("eid"), _TABLE.c.action == "counted")
        .values(object_id=func.coalesce(_TABLE.c.object_id, "0") + "1")
        .returning(_TABLE.c.object_id)
    )
    with db.engine.begin() as connection:
        entry_id = connection.execute(_PLAIN, {**_entry("counted"), "object_id": None}).scalar()
        assert bump.scalar(connection, {"eid": entry_id}) == "01"
        assert bump.scalar(connection, {"eid": entry_id + 1000}) is None  # no row: no value


def test_a_driver_error_is_sqlalchemys_and_the_transaction_rolls_back(app):
    broken = rows.OnCursor(_TABLE.insert().values({name: bindparam(name) for name in _COLUMNS}))
    with app.app_context():
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            _BY_CURSOR.run(connection, _entry("rolled-back"))
            broken.run(connection, {**_entry("broken"), "action": None})  # NOT NULL
        count = db.select(func.count()).where(_TABLE.c.action.in_(("rolled-back", "broken")))
        assert db.session.execute(count).scalar() == 0


def test_a_statement_that_needs_python_defaults_is_refused(app):
    """Without every column, SQLAlchemy's execution would fill the defaults; the cursor cannot."""
    partial = rows.OnCursor(_TABLE.insert().values(action=bindparam("action"), object_type=bindparam("object_type")))
    with app.app_context(), db.engine.begin() as connection, pytest.raises(TypeError, match="defaults"):
        partial.run(connection, {"action": "a", "object_type": "b"})


def test_a_parameter_without_a_value_is_an_error_not_null(app):
    """As Core says: a missing value is the caller's mistake, never a NULL written or matched."""
    entry = _entry("incomplete")
    del entry["object_type"]
    with app.app_context(), db.engine.begin() as connection:
        with pytest.raises(InvalidRequestError, match="object_type"):
            _BY_CURSOR.scalar(connection, entry)
        with pytest.raises(StatementError, match="object_type"):
            connection.execute(_BY_CURSOR.statement, entry)  # what Core says of the same


def test_an_expanding_in_is_refused(app):
    """SQLAlchemy renders `IN (…)` anew for each run's values: the compiled text cannot carry it."""
    listed = rows.OnCursor(_TABLE.update().where(_TABLE.c.id.in_((1, 2))).values(ip=bindparam("ip")))
    with app.app_context(), db.engine.begin() as connection, pytest.raises(TypeError, match="expanding"):
        listed.run(connection, {"ip": "x"})


def test_on_postgresql_it_binds_by_name_and_writes_the_row_core_writes(pg_app):
    """psycopg takes named parameters: the same values, by name, on the driver's cursor."""
    seen = []
    with pg_app.app_context():
        listener = lambda *args: seen.append(args[2])  # noqa: E731 (SQLAlchemy's event)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            with db.engine.begin() as connection:
                entry_id = _BY_CURSOR.scalar(connection, _entry("on-postgres"))
                core_id = connection.execute(_PLAIN, _entry("by-core")).scalar()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        found = db.session.execute(db.select(_TABLE).where(_TABLE.c.id.in_((entry_id, core_id))).order_by(_TABLE.c.id))
        by_cursor, by_core = (tuple(row)[1:] for row in found)
    assert len(seen) == 2 and seen[0] == seen[1]  # the listeners saw both, the same SQL
    assert by_cursor[0] == datetime(2026, 12, 4, 1, 30, 15, 123456, tzinfo=UTC)
    assert by_cursor[3] == "on-postgres" and by_cursor[:3] + by_cursor[4:] == by_core[:3] + by_core[4:]
    assert by_cursor[6] == {"text": "血压 130/80", "n": 1}


# --- rows.autocommit: one statement, its own transaction, on a pooled connection -----------------


def _back_in_pool(driver) -> bool:
    """The driver connection was given back to the pool as it was lent: open, in transactions."""
    return db.engine.pool.checkedout() == 0 and not driver.closed and driver.autocommit is False


def _outsider(pg_app):
    """A connection of its own engine: another client of the database, outside the app's pool."""
    return sqlalchemy.create_engine(pg_app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sqlalchemy.pool.NullPool)


def test_an_autocommitted_statement_is_stored_at_once_and_its_connection_goes_back_transactional(pg_app):
    with pg_app.app_context():
        with rows.autocommit(db.engine) as connection:
            entry_id = _BY_CURSOR.scalar(connection, _entry("autocommitted"))
            with _outsider(pg_app).connect() as other:  # committed already, before the block ends
                seen = other.execute(db.select(_TABLE.c.action).where(_TABLE.c.id == entry_id)).scalar()
            driver = connection.connection.dbapi_connection
            assert driver.autocommit is True
        assert _back_in_pool(driver)  # the same connection, in transactions again
    assert seen == "autocommitted"


def test_a_failed_statement_or_a_callers_error_gives_the_connection_back_restored(pg_app):
    with pg_app.app_context():
        with pytest.raises(IntegrityError), rows.autocommit(db.engine) as connection:
            driver = connection.connection.dbapi_connection
            _BY_CURSOR.run(connection, {**_entry("broken"), "action": None})  # NOT NULL
        assert _back_in_pool(driver)  # kept: a statement's error is not the connection's
        with pytest.raises(LookupError), rows.autocommit(db.engine) as connection:
            driver = connection.connection.dbapi_connection
            raise LookupError("the caller's own")
        assert _back_in_pool(driver)


def test_connections_the_database_dropped_are_replaced_after_the_first_failure(pg_app):
    """A restart drops every connection: the first to fail invalidates the pool, as Connection
    does, so the others are replaced at their checkout instead of each failing a message."""
    with pg_app.app_context():
        with rows.autocommit(db.engine) as first, rows.autocommit(db.engine) as second:
            drivers = [first.connection.dbapi_connection, second.connection.dbapi_connection]
        for driver in drivers:  # the server ends both backends
            _terminate(pg_app.config["SQLALCHEMY_DATABASE_URI"], driver.info.backend_pid)
        time.sleep(0.2)
        with pytest.raises(DBAPIError) as raised, rows.autocommit(db.engine) as connection:
            assert connection.connection.dbapi_connection in drivers  # given back <5 s ago: not pinged
            _BY_CURSOR.run(connection, _entry("lost"))
        assert raised.value.connection_invalidated
        with rows.autocommit(db.engine) as first, rows.autocommit(db.engine) as second:  # both new, both work
            for connection in (first, second):
                assert connection.connection.dbapi_connection not in drivers
                assert _BY_CURSOR.scalar(connection, _entry("after"))
