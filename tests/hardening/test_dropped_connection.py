"""A connection PostgreSQL drops after the answer was made (a restart between a request's last
statement and its end) must not turn that answer into a 500: the session's closing rollback
cannot reach the database, so the connection is invalidated and the pool replaces it.

Seen in CI: under login load, while PostgreSQL restarted, one request in a few hundred was
answered 500 by the server itself (Flask-SQLAlchemy's teardown raised after the view returned).
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from core.extensions import db


def _terminate(url: str, pid: int) -> None:
    """What a restart does to one connection: the server ends its backend."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    engine.dispose()


def _get(app, path: str):
    """A request with an app context of its own, as a server's is (the fixture holds one open
    in this thread, which would keep the request's teardown from running)."""
    answers = []
    thread = threading.Thread(target=lambda: answers.append(app.test_client().get(path)))
    thread.start()
    thread.join(timeout=60)
    return answers[0]


def test_a_connection_dropped_after_the_answer_still_answers_and_is_replaced(pg_app):
    url = pg_app.config["SQLALCHEMY_DATABASE_URI"]

    @pg_app.get("/_test/backend")
    def backend():
        return {"pid": db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()}

    @pg_app.get("/_test/dropped-after-answer")
    def dropped_after_answer():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()  # a transaction is open
        _terminate(url, pid)
        return {"pid": pid}

    dropped = _get(pg_app, "/_test/dropped-after-answer")
    assert dropped.status_code == 200, dropped.get_data(as_text=True)
    after = _get(pg_app, "/_test/backend")
    assert after.status_code == 200 and after.json["pid"] != dropped.json["pid"]  # a new connection
    assert db.engine.pool.checkedout() == 0  # the dropped one was given back, not leaked


def test_a_database_error_when_the_connection_is_gone_answers_503(pg_app):
    """The error handler's own rollback meets the dropped connection: still a 503 with Retry-After."""
    url = pg_app.config["SQLALCHEMY_DATABASE_URI"]

    @pg_app.get("/api/_test/dropped-then-unavailable")
    def dropped_then_unavailable():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        _terminate(url, pid)
        # Another connection (the audit's group commit, say) finds the database gone too.
        raise sa.exc.OperationalError(
            "INSERT INTO audit_entries …", {}, ConnectionError("server closed the connection")
        )

    answer = _get(pg_app, "/api/_test/dropped-then-unavailable")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert answer.json["code"] == 503 and answer.json["message"]
    assert _get(pg_app, "/api/hospitals").status_code == 200
    assert db.engine.pool.checkedout() == 0
