"""Accounts: password change (old one required), administrator reset with a forced change,
token lifetime with refresh, the list of sessions a user can end, "log out everywhere", and a
session cookie that holds an opaque id only."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from core import clock, signals
from tests.conftest import GOOD_PASSWORD, csrf_of, page_login

NEW_PASSWORD = "Another9pass"


@pytest.fixture
def revoked():
    """The user ids announced on `user_sessions_revoked` (what the socket layer listens to)."""
    seen: list[tuple[int, dict]] = []

    def listener(user_id, **extra):
        seen.append((user_id, extra))

    signals.user_sessions_revoked.connect(listener)
    yield seen
    signals.user_sessions_revoked.disconnect(listener)


def _me(client, headers) -> int:
    return client.get("/api/me", headers=headers).status_code


def test_login_gives_a_refresh_token_that_rotates_and_works_once(client, users):
    patient = users.patient()
    assert patient["refresh_token"] and patient["refresh_expires_at"]
    first = client.post("/api/auth/refresh", json={"refresh_token": patient["refresh_token"]})
    assert first.status_code == 200
    pair = first.get_json()
    assert pair["token"] != patient["token"] and pair["refresh_token"] != patient["refresh_token"]
    assert _me(client, patient["headers"]) == 401  # the old bearer token was replaced
    assert _me(client, {"Authorization": f"Bearer {pair['token']}"}) == 200
    again = client.post("/api/auth/refresh", json={"refresh_token": patient["refresh_token"]})
    assert again.status_code == 401 and again.get_json()["reason"] == "invalid_refresh_token"


def test_a_token_expires_by_the_clock_and_refresh_renews_it(app, client, users):
    app.config["TOKEN_LIFETIME_MINUTES"] = 15
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with clock.frozen(start):
        patient = users.patient()
        assert _me(client, patient["headers"]) == 200
    with clock.frozen(start + timedelta(minutes=16)):
        assert _me(client, patient["headers"]) == 401
        renewed = client.post("/api/auth/refresh", json={"refresh_token": patient["refresh_token"]}).get_json()
        assert _me(client, {"Authorization": f"Bearer {renewed['token']}"}) == 200
    with clock.frozen(start + timedelta(days=31)):
        late = client.post("/api/auth/refresh", json={"refresh_token": renewed["refresh_token"]})
        assert late.status_code == 401


def test_changing_the_password_needs_the_old_one_and_ends_every_session(client, users, revoked):
    patient = users.patient()
    other_device = users.login(patient["user"]["username"], GOOD_PASSWORD)
    wrong = client.post(
        "/api/me/password", json={"old_password": "nope12345", "new_password": NEW_PASSWORD}, headers=patient["headers"]
    )
    assert wrong.status_code == 422 and "old_password" in wrong.get_json()["errors"]["json"]
    weak = client.post(
        "/api/me/password", json={"old_password": GOOD_PASSWORD, "new_password": "short"}, headers=patient["headers"]
    )
    assert weak.status_code == 422 and "new_password" in weak.get_json()["errors"]["json"]
    changed = client.post(
        "/api/me/password",
        json={"old_password": GOOD_PASSWORD, "new_password": NEW_PASSWORD},
        headers=patient["headers"],
    )
    assert changed.status_code == 200
    assert _me(client, patient["headers"]) == 401 and _me(client, other_device["headers"]) == 401
    assert _me(client, {"Authorization": f"Bearer {changed.get_json()['token']}"}) == 200
    assert revoked[-1][0] == patient["user"]["id"] and revoked[-1][1]["everywhere"]
    old = client.post("/api/auth/login", json={"username": patient["user"]["username"], "password": GOOD_PASSWORD})
    assert old.status_code == 401
    users.login(patient["user"]["username"], NEW_PASSWORD)


def test_sessions_are_listed_and_one_can_be_ended_but_not_someone_elses(client, users, revoked):
    patient = users.patient()
    phone = users.login(patient["user"]["username"], GOOD_PASSWORD)
    stranger = users.patient()
    listed = client.get("/api/me/sessions", headers=patient["headers"]).get_json()
    assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
    assert {s["kind"] for s in listed} == {"api"}
    phone_id = next(s["id"] for s in listed if not s["current"])
    assert client.post(f"/api/me/sessions/{phone_id}/revoke", headers=stranger["headers"]).status_code == 404
    assert _me(client, phone["headers"]) == 200
    assert client.post(f"/api/me/sessions/{phone_id}/revoke", headers=patient["headers"]).status_code == 204
    assert _me(client, phone["headers"]) == 401 and _me(client, patient["headers"]) == 200
    assert revoked[-1] == (patient["user"]["id"], {"session_ids": [phone_id], "everywhere": False})
    assert len(client.get("/api/me/sessions", headers=patient["headers"]).get_json()) == 1


def test_log_out_everywhere_ends_tokens_and_browser_sessions(client, users, revoked):
    patient = users.patient()
    phone = users.login(patient["user"]["username"], GOOD_PASSWORD)
    page_login(client, patient["user"]["username"], GOOD_PASSWORD)
    assert client.get("/account").status_code == 200
    assert client.post("/api/auth/logout-everywhere", headers=phone["headers"]).status_code == 204
    assert _me(client, patient["headers"]) == 401 and _me(client, phone["headers"]) == 401
    assert client.get("/account").status_code == 302  # the browser's session ended too
    assert revoked[-1][0] == patient["user"]["id"]


def test_an_administrator_reset_forces_a_change_at_the_next_login(client, users, revoked):
    admin = users.staff("admin")
    patient = users.patient()
    reset = client.post(f"/api/users/{patient['user']['id']}/reset-password", json={}, headers=admin["headers"])
    assert reset.status_code == 200
    temporary = reset.get_json()["temporary_password"]
    assert _me(client, patient["headers"]) == 401 and revoked[-1][0] == patient["user"]["id"]
    assert client.post("/api/users/1/reset-password", json={}, headers=patient["headers"]).status_code == 401
    again = users.login(patient["user"]["username"], temporary)
    assert again["user"]["must_change_password"] is True
    blocked = client.get("/api/orders", headers=again["headers"])
    assert blocked.status_code == 403 and blocked.get_json()["reason"] == "password_change_required"
    changed = client.post(
        "/api/me/password", json={"old_password": temporary, "new_password": NEW_PASSWORD}, headers=again["headers"]
    )
    fresh = {"Authorization": f"Bearer {changed.get_json()['token']}"}
    assert client.get("/api/orders", headers=fresh).status_code == 200


def test_a_reset_user_in_the_browser_is_sent_to_choose_a_password(client, users):
    admin = users.staff("admin")
    patient = users.patient()
    temporary = client.post(
        f"/api/users/{patient['user']['id']}/reset-password",
        json={"temporary_password": "Temp1234x"},
        headers=admin["headers"],
    ).get_json()["temporary_password"]
    page_login(client, patient["user"]["username"], temporary)
    assert client.get("/account").headers["Location"].endswith("/account/password")
    page = client.get("/account/password")
    assert page.status_code == 200
    done = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "old_password": temporary,
            "new_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302 and client.get("/account").status_code == 200


def _cookie_payload(client) -> dict:
    """The Flask session cookie's content (signed, not encrypted: anyone can read it)."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def test_the_session_cookie_holds_an_opaque_id_only_and_logout_ends_it_on_the_server(app, client, users):
    patient = users.patient()
    page_login(client, patient["user"]["username"], GOOD_PASSWORD)
    payload = _cookie_payload(client)
    assert set(payload) <= {"sid", "csrf_token", "_permanent"} and "sid" in payload
    from core.models import User

    hash_ = app.extensions["sqlalchemy"].session.get(User, patient["user"]["id"]).password_hash
    assert not any(part in client.get_cookie("session").value for part in (hash_[-16:], hash_[-8:]))
    stolen = client.get_cookie("session").value
    page = client.get("/account")
    client.post("/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    client.set_cookie("session", stolen)  # a copy of the cookie taken before the logout
    assert client.get("/account").status_code == 302


def test_a_socket_is_identified_by_its_session_and_refused_once_that_ended(app, client, users):
    from core.auth import socket_identity

    patient = users.patient()
    with app.test_request_context("/socket.io/"):
        session_id, user = socket_identity({"token": patient["token"]})
        assert user.id == patient["user"]["id"] and session_id
        assert socket_identity({"token": "not-a-token"}) == (None, None)
        assert socket_identity({"token": {"a": 1}}) == (None, None)  # any payload shape
        assert socket_identity(None) == (None, None)
    client.post("/api/auth/logout", headers=patient["headers"])
    with app.test_request_context("/socket.io/"):
        assert socket_identity({"token": patient["token"]}) == (None, None)
