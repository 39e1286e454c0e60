"""What every request was made cheaper by (issue #13) must not change what it answers:
- translations remembered within a request still follow a changed locale (force_locale, refresh);
- argument schemas built once still parse each request's arguments apart, errors as before;
- a session cookie nobody touched is not saved, one that was used is set and deleted as before;
- reads grouped into one commit under gevent are each committed before their answer leaves, and
  a failed group commit fails each of its requests;
- an app built without writing its OpenAPI document and URL builders (both written when first
  used) documents the same API and builds the same URLs.
"""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import flask_smorest
import gevent
import pytest
from flask import g
from flask_babel import force_locale, get_locale, refresh
from flask_babel import lazy_gettext as _l
from flask_smorest.arguments import ArgumentsMixin
from sqlalchemy import create_engine, event, text
from werkzeug.routing import AnyConverter, IntegerConverter, Map, PathConverter, Rule

import app as composition
from core import audit, notify
from core.application import Application, Route
from core.extensions import api, db
from core.inputs import SchemaReusingParser
from core.models import AuditEntry, Notification
from core.openapi import Api
from tests.conftest import _config_dict, csrf_of, page_login
from tests.core.test_read_cost import _reads_in_database
from tests.realtime.test_access_at_once import _bearer, accepted_consultation
from tests.realtime.test_socket_rules import DOCTOR, PATIENT, _token, _user

READ = _l("read")  # core.audit's word for a read


@pytest.fixture
def consultation_id(demo_app) -> int:
    return accepted_consultation()


def test_remembered_translations_follow_a_forced_or_refreshed_locale(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(get_locale()) == "en"
        assert str(READ) == "read"
        assert str(READ) == "read"  # the remembered translations
        with force_locale("zh"):
            assert str(READ) == "查看了"
            with force_locale("en"):
                assert str(READ) == "read"
            assert str(READ) == "查看了"
        assert str(READ) == "read"
        g.user = SimpleNamespace(locale="zh", elder_mode=False)  # he saved Chinese meanwhile
        assert str(READ) == "read"  # the request's locale stands until refreshed
        refresh()
        assert str(READ) == "查看了"


def test_a_request_after_another_in_an_other_language_reads_its_own(client):
    assert "实名注册" in client.get("/register").get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Register with your real name" in client.get("/register").get_data(as_text=True)
    client.set_cookie("lang", "zh")
    assert "实名注册" in client.get("/register").get_data(as_text=True)


def test_argument_schemas_are_built_once_and_still_parse_each_request_apart(demo_app, demo_client):
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    assert isinstance(parser, SchemaReusingParser)
    headers = _bearer(_token(DOCTOR))
    five = demo_client.get("/api/drugs?q=a&limit=5", headers=headers).get_json()
    assert len(five) == 5
    assert len(demo_client.get("/api/drugs?q=a&limit=2", headers=headers).get_json()) == 2
    assert len(demo_client.get("/api/drugs?q=a", headers=headers).get_json()) > 5  # the default again
    assert demo_client.get("/api/drugs?q=a&limit=5", headers=headers).get_json() == five
    refused = demo_client.get("/api/drugs?q=a&limit=x", headers=headers)
    assert refused.status_code == 422 and "limit" in str(refused.get_json())
    assert isinstance(ArgumentsMixin.ARGUMENTS_PARSER, SchemaReusingParser)


def test_a_session_nobody_touched_sets_no_cookie_and_a_used_one_still_does(demo_app, demo_client):
    answer = demo_client.get("/api/me", headers=_bearer(_token(DOCTOR)))
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
    page = demo_app.test_client()
    assert "session=" in page.get("/login").headers.get("Set-Cookie", "")  # the form's CSRF token
    page_login(page, DOCTOR)
    assert page.get("/api/me").get_json()["username"] == DOCTOR  # the cookie carries him
    token = csrf_of(page.get("/account").get_data(as_text=True))
    ended = page.post("/logout", data={"csrf_token": token})
    assert ended.status_code < 400 and "session=;" in ended.headers.get("Set-Cookie", "")
    assert page.get("/api/me").status_code == 401


def test_concurrent_reads_are_committed_in_one_group_before_each_answer(demo_app, consultation_id):
    """As the gevent server runs them: each request a greenlet; their audit rows are written in
    one transaction, and each answer comes back only once its row is committed (seen from
    another connection at that moment)."""
    patient, token = _user(PATIENT), _token(PATIENT)
    path = f"/api/consultations/{consultation_id}"
    before = len(_reads_in_database(demo_app, patient.id))
    group_commit = audit._group_commit(db.engine)
    groups_before = group_commit.commits
    seen: dict[int, tuple[int, int]] = {}

    def read(n: int) -> None:
        answer = demo_app.test_client().get(path, headers=_bearer(token))
        seen[n] = (answer.status_code, len(_reads_in_database(demo_app, patient.id)))

    gevent.joinall([gevent.spawn(read, n) for n in range(6)], raise_error=True)
    assert all(status == 200 for status, _ in seen.values())
    assert all(committed == before + 6 for _, committed in seen.values())  # the whole group, at once
    assert group_commit.commits == groups_before + 1


def test_a_failed_group_commit_fails_each_of_its_requests_and_commits_none(demo_app, consultation_id):
    patient, token = _user(PATIENT), _token(PATIENT)
    before = len(_reads_in_database(demo_app, patient.id))
    statuses: list[int] = []

    def read() -> None:
        try:  # the test client hands on a view's exception (TESTING); a server answers 500
            answer = demo_app.test_client().get(f"/api/consultations/{consultation_id}", headers=_bearer(token))
            statuses.append(answer.status_code)
        except RuntimeError as refused:
            statuses.append(str(refused))

    def refuse_audit_rows(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO audit_log"):
            raise RuntimeError("the disk is full")

    event.listen(db.engine, "before_cursor_execute", refuse_audit_rows)
    try:
        gevent.joinall([gevent.spawn(read) for _ in range(3)], raise_error=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse_audit_rows)
    assert statuses == ["the disk is full"] * 3
    assert len(_reads_in_database(demo_app, patient.id)) == before
    read()  # the writer is not stuck: the next group commits
    assert statuses[-1] == 200 and len(_reads_in_database(demo_app, patient.id)) == before + 1


def test_grouped_reads_on_postgres_are_committed_before_each_returns(pg_app):
    def committed() -> int:  # another connection: only what is committed
        engine = create_engine(pg_app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.connect() as connection:
                query = text(f"SELECT count(*) FROM {AuditEntry.__tablename__} WHERE object_type = 'grouped'")
                return connection.execute(query).scalar_one()
        finally:
            engine.dispose()

    group_commit = audit._group_commit(db.engine)
    seen: list[int] = []

    def read(n: int) -> None:
        with pg_app.test_request_context("/"):
            audit.record_reads(None, [None, None], "grouped", n)  # two entries each
            seen.append(committed())
            db.session.remove()

    gevent.joinall([gevent.spawn(read, n) for n in range(5)], raise_error=True)
    assert seen == [10] * 5 and group_commit.commits == 1


def test_a_read_recorded_beside_a_change_commits_with_that_change_not_in_a_group(demo_app):
    patient = _user(PATIENT)
    group_commit = audit._group_commit(db.engine)
    groups_before = group_commit.commits

    def change_and_read() -> None:
        with demo_app.test_request_context("/"):
            notify.add_notification(patient.id, "test.changed", {})
            audit.record_read(None, patient.id, "changed_and_read")
            db.session.remove()

    gevent.spawn(change_and_read).get()
    assert group_commit.commits == groups_before  # its own transaction, with the change
    assert ("changed_and_read", None) in _reads_in_database(demo_app, patient.id)
    assert db.session.execute(db.select(Notification).filter_by(event="test.changed")).scalar_one()


def test_hooks_and_views_are_readied_once_and_every_one_still_runs(app, client):
    assert isinstance(app, Application)
    ran = []

    @app.before_request
    def first_hook():
        ran.append("before")

    @app.route("/readied")
    def readied():
        ran.append("view")
        return "ok"

    for _ in range(3):
        assert client.get("/readied").get_data() == b"ok"
    assert ran == ["before", "view"] * 3
    assert app.ensure_sync(readied) is readied and readied in app._ready
    unhashable = type("Unhashable", (), {"__call__": lambda self: "called", "__hash__": None})()
    assert app.ensure_sync(unhashable)() == "called"  # asked anew each time, as Flask does


def _document(app) -> dict:
    with app.app_context():
        return json.loads(json.dumps(api.spec.to_dict(), sort_keys=True))


def test_the_openapi_document_written_when_first_read_is_the_one_written_at_registration(tmp_path, monkeypatch):
    config = {**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'spec.db'}"}
    lazy = composition.create_app(config)
    assert api._undocumented  # nothing written yet
    readers = [threading.Thread(target=lambda: documents.append(_document(lazy))) for _ in range(2)]
    documents: list[dict] = []
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert not api._undocumented and documents[0] == documents[1]
    assert lazy.test_client().get("/api/openapi.json").get_json() == documents[0]

    # flask-smorest's own registration, which documents each blueprint as it registers it.
    monkeypatch.setattr(Api, "register_blueprint", flask_smorest.Api.register_blueprint)
    eager = composition.create_app(config)
    assert not api._undocumented
    assert _document(eager) == documents[0]
    assert len(documents[0]["paths"]) > 100


def _sample_value(converter):
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    if isinstance(converter, IntegerConverter):
        return 7
    return "a b/c" if isinstance(converter, PathConverter) else "a b é"


def _sample_values(rule: Rule) -> dict:
    defaults = rule.defaults or {}
    return {name: _sample_value(rule._converters[name]) for name in rule.arguments if name not in defaults}


def test_every_route_builds_the_urls_werkzeug_builds(app):
    """`Route` writes its URL builders when first used: every route's URL, with and without query
    arguments, built twice (the second through the kept builder), is werkzeug's own."""
    plain = Map(
        [Rule(rule.rule, **rule.get_empty_kwargs()) for rule in app.url_map.iter_rules()],
        converters=app.url_map.converters,
    )
    ours, theirs = app.url_map.bind("hospital.test"), plain.bind("hospital.test")
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 200 and all(isinstance(rule, Route) for rule in rules)
    for rule in rules:
        values = _sample_values(rule)
        method = sorted(rule.methods - {"HEAD", "OPTIONS"} or rule.methods)[0]
        for arguments in (values, {**values, "q": "x y", "page": 2}, values):
            expected = theirs.build(rule.endpoint, arguments, method=method, force_external=True)
            assert ours.build(rule.endpoint, arguments, method=method, force_external=True) == expected
