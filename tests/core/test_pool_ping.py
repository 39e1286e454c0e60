"""The pool's ping of idle PostgreSQL connections (core/extensions.py) hands out a connection
ready for any use: the chat's store asks for autocommit, which psycopg refuses on a connection
left in a transaction by the ping (the chat bench lost messages to it under load)."""

from __future__ import annotations

import sqlalchemy as sa

from core import extensions
from core.extensions import db


def _autocommit_select(app) -> int:
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(sa.text("SELECT 1")).scalar()


def test_a_fresh_connection_takes_autocommit(pg_app):
    with pg_app.app_context():
        db.engine.dispose()  # the next checkout opens a new connection
    assert _autocommit_select(pg_app) == 1


def test_an_idle_connection_is_pinged_and_still_takes_autocommit(pg_app, monkeypatch):
    assert _autocommit_select(pg_app) == 1
    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)  # every checkout pings
    for _ in range(3):
        assert _autocommit_select(pg_app) == 1
    with pg_app.app_context():  # and the ORM's own use after a ping
        assert db.session.execute(sa.text("SELECT 2")).scalar() == 2
        db.session.rollback()
