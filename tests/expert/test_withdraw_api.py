"""Withdrawing an invitation (the panel leader only) and the media settings over HTTP, without
Janus (the mesh) and with a Janus that does not answer (the mesh, saying why)."""

from __future__ import annotations

import pytest

from core import accounts
from core.extensions import db, socketio
from hospital.services import network
from tests.conftest import DEMO_PASSWORD, _copy_db, _make_app, free_port

CASE = 1  # the demo case, its room open, led by exp01


def _doctor_id(username: str) -> int:
    return network.doctor_for_user(accounts.get_by_username(username).id).id


def _withdraw(client, headers, doctor_id):
    return client.post(f"/api/expert-cases/{CASE}/invitations/{doctor_id}/withdraw", headers=headers)


def test_only_the_leader_withdraws_and_the_expert_is_out(demo_client, demo_users, demo_app):
    leader = demo_users.login("exp01", DEMO_PASSWORD)["headers"]
    expert = demo_users.login("exp05", DEMO_PASSWORD)["headers"]
    outsider = demo_users.login("doc02", DEMO_PASSWORD)["headers"]
    assert _withdraw(demo_client, expert, _doctor_id("exp06")).status_code == 403
    assert _withdraw(demo_client, outsider, _doctor_id("exp06")).status_code == 404
    own = _withdraw(demo_client, leader, _doctor_id("exp01"))
    assert own.status_code == 422 and "doctor_id" in own.get_json()["errors"]["json"]
    assert _withdraw(demo_client, leader, _doctor_id("doc02")).status_code == 404

    socket = socketio.test_client(demo_app, auth={"token": expert["Authorization"][7:]})
    assert socket.emit("join", {"room": f"case:{CASE}"}, callback=True)["ok"]
    done = _withdraw(demo_client, leader, _doctor_id("exp05"))
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    assert any(r["name"] == "room.left" for r in socket.get_received())
    assert not socket.emit("join", {"room": f"case:{CASE}"}, callback=True)["ok"]
    assert _withdraw(demo_client, leader, _doctor_id("exp05")).status_code == 409
    assert demo_client.get(f"/api/expert-cases/{CASE}/media", headers=expert).status_code == 404
    again = demo_client.post(f"/api/expert-cases/{CASE}/answer", json={"accept": True}, headers=expert)
    assert again.status_code == 409 and again.get_json()["reason"] == "invitation_withdrawn"
    socket.disconnect()


def test_media_without_janus_is_the_mesh(demo_client, demo_users):
    leader = demo_users.login("exp01", DEMO_PASSWORD)["headers"]
    assert demo_client.get(f"/api/expert-cases/{CASE}/media", headers=leader).get_json() == {
        "mode": "mesh",
        "reason": "not_configured",
    }


@pytest.fixture
def unreachable_janus_app(demo_template_db, tmp_path):
    port = free_port()
    app = _make_app(
        _copy_db(demo_template_db, tmp_path / "demo.db"),
        JANUS_URL=f"http://127.0.0.1:{port}/janus",
        JANUS_ADMIN_URL=f"http://127.0.0.1:{port}/admin",
        JANUS_ADMIN_SECRET="x",
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_media_with_janus_not_answering_is_the_mesh(unreachable_janus_app):
    client = unreachable_janus_app.test_client()
    token = client.post("/api/auth/login", json={"username": "exp01", "password": DEMO_PASSWORD}).get_json()["token"]
    answer = client.get(f"/api/expert-cases/{CASE}/media", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json() == {"mode": "mesh", "reason": "unavailable"}
