"""What the REST reads were made cheaper by (issue #13) must not cost what they guard:
- reads of a patient's record stay audited: the rows are in the database when the answer is back;
- a remembered bearer token resolves without a statement, and still ends at once when revoked."""

from __future__ import annotations

import contextvars

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from core import accounts, sessions
from core.extensions import db
from core.models import AuditEntry, User
from tests.realtime.test_access_at_once import _bearer, accepted_consultation
from tests.realtime.test_socket_rules import PATIENT, _token, _user


@pytest.fixture
def consultation_id(demo_app) -> int:
    return accepted_consultation()


def _reads_in_database(app, patient_id: int) -> list[tuple[str, str | None]]:
    """The read entries as another connection sees them (committed, not only in our session)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as connection:
            table = AuditEntry.__tablename__
            query = text(f"SELECT object_type, object_id FROM {table} WHERE patient_id = :p AND action = 'read'")
            return [tuple(row) for row in connection.execute(query, {"p": patient_id})]
    finally:
        engine.dispose()


def test_reads_of_the_record_are_in_the_audit_log_when_the_answer_is_back(demo_app, demo_client, consultation_id):
    patient = _user(PATIENT)
    headers = _bearer(_token(PATIENT))
    before = _reads_in_database(demo_app, patient.id)
    for path in (
        f"/api/consultations/{consultation_id}",
        f"/api/consultations/{consultation_id}/messages",
        "/api/consultations",
        "/api/prescriptions",
    ):
        assert demo_client.get(path, headers=headers).status_code == 200, path
    after = _reads_in_database(demo_app, patient.id)
    new = [entry for entry in after if entry not in before or after.count(entry) > before.count(entry)]
    kinds = {object_type for object_type, _ in new}
    assert ("consultation", str(consultation_id)) in new
    assert {"consultation", "consultation_list", "consultation_messages"} <= kinds


def test_a_remembered_token_costs_no_statement_and_still_ends_at_once(demo_app, demo_client):
    token = _token(PATIENT)
    assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 200
        assert statements == []
        entry, _user_row = sessions.for_token(token)
        sessions.revoke(entry.user_id, entry.id)
        assert demo_client.get("/api/me", headers=_bearer(token)).status_code == 401
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _own_context(call, *args, **kwargs):
    """A request in its own app context, as a server runs it (the fixture's context, which test
    requests would share, already has a database session)."""
    return contextvars.Context().run(call, *args, **kwargs)


def test_a_read_that_needs_no_database_makes_no_session_for_its_user(demo_app, demo_client):
    """/api/me answered from a remembered token makes no database session (it used to make one
    only to attach the user and close it again), and still answers who he is."""
    token = _token(PATIENT)
    assert _own_context(demo_client.get, "/api/me", headers=_bearer(token)).status_code == 200
    begun: list[object] = []
    listener = lambda session, transaction: begun.append(session)  # noqa: E731
    event.listen(Session, "after_transaction_create", listener)
    try:
        me = _own_context(demo_client.get, "/api/me", headers=_bearer(token))
    finally:
        event.remove(Session, "after_transaction_create", listener)
    assert me.status_code == 200 and me.get_json()["username"] == PATIENT
    assert begun == []


def test_a_change_to_the_user_made_before_any_statement_is_saved(demo_app, demo_client):
    """The request's user joins its database session when the request makes one: preferences set
    on a remembered user (no statement before) are written, and read back by another connection."""
    token = _token(PATIENT)
    patient = _user(PATIENT)
    assert _own_context(demo_client.get, "/api/me", headers=_bearer(token)).status_code == 200  # remembered now
    for locale, elder_mode in (("en", True), ("zh", False)):
        changed = _own_context(
            demo_client.patch, "/api/me", json={"locale": locale, "elder_mode": elder_mode}, headers=_bearer(token)
        )
        assert changed.status_code == 200 and changed.get_json()["locale"] == locale
        engine = create_engine(demo_app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.connect() as connection:
                query = text("SELECT locale, elder_mode FROM users WHERE id = :id")
                stored = tuple(connection.execute(query, {"id": patient.id}).one())
        finally:
            engine.dispose()
        assert stored == (locale, elder_mode)
        me = _own_context(demo_client.get, "/api/me", headers=_bearer(token)).get_json()
        assert (me["locale"], me["elder_mode"]) == (locale, elder_mode)


def test_a_user_resolved_twice_in_one_request_is_one_instance_in_its_session(demo_app):
    """A socket event may resolve its token again within the request: both answers are the same
    instance, and the session made afterwards holds him once (not two instances of one row)."""
    token = _token(PATIENT)

    def resolve_twice() -> None:
        with demo_app.test_request_context():
            first, second = accounts.user_for_token(token), accounts.user_for_token(token)
            assert first is second and first.username == PATIENT
            assert db.session.get(User, first.id) is first

    _own_context(resolve_twice)  # the first resolution reads the database, then it is remembered
    _own_context(resolve_twice)
