"""The expert room through a real Janus, with 30 Flask-SocketIO participants: the stage limit holds,
only stage members get publish credentials, Janus admits only the room's tokens, and a participant
whose invitation is withdrawn loses his credential and is dropped from the Janus room."""

from __future__ import annotations

import secrets
import time
from datetime import date

import pytest
import requests

from core import accounts, sessions
from core.extensions import db, socketio
from hospital.models.expert import ExpertCase
from hospital.services import expert, expert_sfu, network

pytestmark = pytest.mark.usefixtures("janus")
LEADER = "exp01"


def _more_doctors(count: int) -> list[int]:
    """Extra experts from the member hospitals, so that the panel holds 30."""
    exp02 = network.doctor_for_user(accounts.get_by_username("exp02").id)
    ids = []
    for n in range(count):
        doctor = network.create_doctor(
            f"sfu{n:02d}",
            f"测试专家{n:02d}",
            "Passw0rd!x",
            exp02.hospital_id,
            exp02.department_id,
            "attending",
            date(2010, 9, 1),
            license_no=f"22035009{n:07d}",
        )
        ids.append(doctor.id)
    return ids


def _panel_of_thirty() -> tuple[int, dict[str, int]]:
    """An urgent case (its room opens at once) with 29 experts who accepted, and the requester."""
    experts = [network.doctor_for_user(accounts.get_by_username(f"exp{n:02d}").id).id for n in range(1, 16)]
    experts += _more_doctors(14)
    requester = accounts.get_by_username("doc01")
    request = expert.CaseRequest(
        patient_phone=_demo_patient_phone(),
        title="重症肺炎合并感染性休克远程会诊",
        summary="72岁男性，重症肺炎，感染性休克，需多学科会诊。",
        questions=["是否需要升级抗感染方案？"],
        expert_ids=experts,
        leader_id=experts[0],
        urgent=True,
    )
    case = expert.request_case(requester, request)
    usernames = ["doc01"] + [f"exp{n:02d}" for n in range(1, 16)] + [f"sfu{n:02d}" for n in range(14)]
    for username in usernames[2:]:
        expert.answer_invitation(accounts.get_by_username(username), case.id, True)
    return case.id, {name: accounts.get_by_username(name).id for name in usernames}


def _demo_patient_phone() -> str:
    return db.session.get(ExpertCase, 1).patient.username


class JanusClient:
    """A participant talking to Janus's public HTTP API as janus.js would (no media needed to join)."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        created = self.post("", janus="create")
        assert created["janus"] == "success", created
        self.session = created["data"]["id"]
        attached = self.post(f"/{self.session}", janus="attach", plugin="janus.plugin.videoroom")
        self.handle = attached["data"]["id"]

    def post(self, path: str, **body) -> dict:
        body = {"transaction": secrets.token_hex(4), "token": self.token, **body}
        return requests.post(self.url + path, json=body, timeout=5).json()

    def join(self, room: int, participant_id: int, token: str) -> dict:
        """Join as a participant; Janus's answer comes as an event on the session's long poll."""
        sent = self.post(
            f"/{self.session}/{self.handle}",
            janus="message",
            body={"request": "join", "ptype": "publisher", "room": room, "id": participant_id, "token": token},
        )
        assert sent["janus"] == "ack", sent
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = requests.get(f"{self.url}/{self.session}?token={self.token}&maxev=1", timeout=35).json()
            data = (event.get("plugindata") or {}).get("data") or {}
            if data.get("videoroom") in ("joined", "event"):
                return data
        raise AssertionError("no answer from Janus to the join")


def _participant_ids(janus, room: int) -> set[int]:
    answer = janus.videoroom("listparticipants", room=room)
    return {p["id"] for p in answer.get("participants", [])}


def test_thirty_participants_through_janus(sfu_app, janus):
    case_id, users = _panel_of_thirty()
    clients = {}
    for name, user_id in users.items():
        token = sessions.open_api_session(accounts.get_by_id(user_id)).token
        clients[name] = socketio.test_client(sfu_app, auth={"token": token})
        assert clients[name].is_connected()
    for name, client in clients.items():
        ack = client.emit("join", {"room": f"case:{case_id}"}, callback=True)
        assert ack["ok"], (name, ack)
    assert len(ack["present"]) == 30

    media = {name: c.emit("case.media", {"case_id": case_id}, callback=True)["media"] for name, c in clients.items()}
    room = expert_sfu.room_id(case_id)
    assert all(m["mode"] == "sfu" and m["room"] == room for m in media.values())
    # Only the stage (the leader, first) gets a publish id; every token is different and his own.
    assert [n for n, m in media.items() if m["may_publish"]] == [LEADER]
    assert len({m["token"] for m in media.values()}) == 30
    held = {t["token"] for t in janus.admin("list_tokens")["data"]["tokens"]}
    assert {m["token"] for m in media.values()} <= held

    # The leader fills the stage to its capacity (4); a fifth is refused, and Janus holds 4 seats.
    leader = clients[LEADER]
    for name in ("exp02", "exp03", "exp04"):
        assert leader.emit("case.floor", {"case_id": case_id, "user_id": users[name], "action": "give"}, callback=True)[
            "ok"
        ]
    refused = leader.emit(
        "case.floor", {"case_id": case_id, "user_id": users["sfu00"], "action": "give"}, callback=True
    )
    assert not refused["ok"] and refused["reason"] == "stage_full"
    rooms = janus.videoroom("list", admin_key=janus.env["JANUS_ADMIN_KEY"])["list"]
    assert next(r for r in rooms if r["room"] == room)["max_publishers"] == 4
    media = {name: c.emit("case.media", {"case_id": case_id}, callback=True)["media"] for name, c in clients.items()}
    assert sorted(n for n, m in media.items() if m["may_publish"]) == ["exp01", "exp02", "exp03", "exp04"]

    # Janus admits a participant with his own token, and nobody with another room's or no token.
    url = janus.env["JANUS_URL"]
    sfu00 = JanusClient(url, media["sfu00"]["token"])
    assert sfu00.join(room, media["sfu00"]["view_id"], media["sfu00"]["token"])["videoroom"] == "joined"
    exp05 = JanusClient(url, media["exp05"]["token"])
    assert exp05.join(room, media["exp05"]["view_id"], media["exp05"]["token"])["videoroom"] == "joined"
    assert requests.post(url, json={"janus": "create", "transaction": "x"}, timeout=5).json()["janus"] == "error"
    other = expert_sfu.join_token(1, users["sfu01"])  # the demo case's token: not this room's
    janus.admin("add_token", token=other, plugins=["janus.plugin.videoroom"])
    stranger = JanusClient(url, other).join(room, 424242, other)
    assert stranger.get("error_code") == 433  # unauthorized: not on this room's list
    assert {media["sfu00"]["view_id"], media["exp05"]["view_id"]} <= _participant_ids(janus, room)

    # The leader withdraws sfu00's invitation: his sockets leave the room, his token and Janus
    # session end, he is dropped from the Janus room; the others stay.
    response = sfu_app.test_client().post(
        f"/api/expert-cases/{case_id}/invitations/{network.doctor_for_user(users['sfu00']).id}/withdraw",
        headers={"Authorization": f"Bearer {sessions.open_api_session(accounts.get_by_id(users[LEADER])).token}"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "withdrawn"
    held = {t["token"] for t in janus.admin("list_tokens")["data"]["tokens"]}
    assert media["sfu00"]["token"] not in held and media["exp05"]["token"] in held
    ids = _participant_ids(janus, room)
    assert media["sfu00"]["view_id"] not in ids and media["exp05"]["view_id"] in ids
    assert sfu00.session not in janus.admin("list_sessions")["sessions"]
    again = clients["sfu00"].emit("case.media", {"case_id": case_id}, callback=True)
    assert not again["ok"] and again["code"] == 403
    withdrawn = {"janus": "create", "transaction": "y", "token": media["sfu00"]["token"]}
    assert requests.post(url, json=withdrawn, timeout=5).json()["janus"] == "error"

    # Taking exp04 off the stage: his publish id is no longer his; the room still holds the others.
    assert leader.emit("case.floor", {"case_id": case_id, "user_id": users["exp04"], "action": "take"}, callback=True)[
        "ok"
    ]
    assert not clients["exp04"].emit("case.media", {"case_id": case_id}, callback=True)["media"]["may_publish"]

    # The leader concludes: the Janus room and the participants' tokens are gone.
    expert.conclude(accounts.get_by_id(users[LEADER]), case_id, "重症肺炎", "升级抗感染方案", ["是"])
    assert room not in {r["room"] for r in janus.videoroom("list", admin_key=janus.env["JANUS_ADMIN_KEY"])["list"]}
    held = {t["token"] for t in janus.admin("list_tokens")["data"]["tokens"]}
    assert not held & {m["token"] for m in media.values()}
    # A room left behind (say the app stopped mid-conclusion) goes at the next sweep.
    expert_sfu.ensure_room(db.session.get(ExpertCase, case_id))
    assert expert_sfu.sweep_rooms()["closed"] == [case_id]
    assert case_id not in expert_sfu.open_rooms()
    for client in clients.values():
        client.disconnect()
